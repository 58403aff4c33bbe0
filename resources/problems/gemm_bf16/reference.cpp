// Reference for gemm_bf16: C[M,N] = A[M,K] @ B[K,N], A and B bf16, C f32, row-major. The i-k-j
// triple loop of gemm_square's reference: every bf16 widens exactly to double, each row of C is
// accumulated in double (a product of two bf16 is exact even in float, so the only rounding is
// that of the double sums, about 1e-16 relative) and rounded to float once at the end.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const uint16_t* a = static_cast<const uint16_t*>(inputs[0].data);
  const uint16_t* b = static_cast<const uint16_t*>(inputs[1].data);
  float* c = static_cast<float*>(outputs[0].data);
  const int64_t m = inputs[0].shape[0], k = inputs[0].shape[1], n = inputs[1].shape[1];
  if (inputs[1].shape[0] != k || outputs[0].shape[0] != m || outputs[0].shape[1] != n) return 2;
  std::vector<double> row(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    for (auto& v : row) v = 0.0;
    for (int64_t p = 0; p < k; ++p) {
      const double aip = kevo_bf16_to_f32(a[i * k + p]);
      const uint16_t* brow = b + p * n;
      for (int64_t j = 0; j < n; ++j) row[j] += aip * kevo_bf16_to_f32(brow[j]);
    }
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = static_cast<float>(row[j]);
  }
  return 0;
}

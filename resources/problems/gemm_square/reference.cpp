// Reference for gemm_square: C[M,N] = A[M,K] @ B[K,N], fp32 in and out, row-major. A plain
// triple loop in i-k-j order (B and C walked row by row, so it is cache-friendly enough to run a
// 2048^3 product in a second or two) accumulating each row of C in double, rounded once at the end.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* a = static_cast<const float*>(inputs[0].data);
  const float* b = static_cast<const float*>(inputs[1].data);
  float* c = static_cast<float*>(outputs[0].data);
  const int64_t m = inputs[0].shape[0], k = inputs[0].shape[1], n = inputs[1].shape[1];
  if (inputs[1].shape[0] != k || outputs[0].shape[0] != m || outputs[0].shape[1] != n) return 2;
  std::vector<double> row(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    for (auto& v : row) v = 0.0;
    for (int64_t p = 0; p < k; ++p) {
      const double aip = a[i * k + p];
      const float* brow = b + p * n;
      for (int64_t j = 0; j < n; ++j) row[j] += aip * brow[j];
    }
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = static_cast<float>(row[j]);
  }
  return 0;
}

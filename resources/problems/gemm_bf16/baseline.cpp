// Baseline for gemm_bf16: the loop a user writes, single-threaded, -O3: i-k-j order (B and C
// walked row by row), each a[i,k] widened to float once and each B row widened as it is used,
// C accumulated in fp32 in place. The inner loop vectorizes (the widening is a shift); there is
// no blocking, so every k step streams a row of B and a row of C through the caches.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const uint16_t* a = static_cast<const uint16_t*>(inputs[0].data);
  const uint16_t* b = static_cast<const uint16_t*>(inputs[1].data);
  float* c = static_cast<float*>(outputs[0].data);
  const int64_t m = inputs[0].shape[0], k = inputs[0].shape[1], n = inputs[1].shape[1];
  for (int64_t i = 0; i < m; ++i) {
    float* crow = c + i * n;
    for (int64_t j = 0; j < n; ++j) crow[j] = 0.0f;
    for (int64_t p = 0; p < k; ++p) {
      const float aip = kevo_bf16_to_f32(a[i * k + p]);
      const uint16_t* brow = b + p * n;
      for (int64_t j = 0; j < n; ++j) crow[j] += aip * kevo_bf16_to_f32(brow[j]);
    }
  }
  return 0;
}

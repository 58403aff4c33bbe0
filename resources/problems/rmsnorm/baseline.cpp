// Baseline for rmsnorm (eps = 1e-6): the loop a user writes in fp32, single-threaded, -O3: a sum
// of squares (a sequential fp32 chain without -ffast-math), then a vectorized scaling pass.
#include <cmath>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  const float* gamma = static_cast<const float*>(inputs[1].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  for (int64_t b = 0; b < rows; ++b) {
    const float* xr = x + b * cols;
    float* yr = y + b * cols;
    float sq = 0.0f;
    for (int64_t i = 0; i < cols; ++i) sq += xr[i] * xr[i];
    const float r = 1.0f / std::sqrt(sq / static_cast<float>(cols) + 1e-6f);
    for (int64_t i = 0; i < cols; ++i) yr[i] = xr[i] * r * gamma[i];
  }
  return 0;
}

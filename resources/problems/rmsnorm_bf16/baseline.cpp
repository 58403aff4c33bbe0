// Baseline for rmsnorm_bf16 (eps = 1e-6): the loop a user writes in fp32, single-threaded, -O3:
// a sum of squares (a sequential fp32 chain without -ffast-math), then a vectorized pass that
// scales and rounds to bf16, each bf16 widened to float where it is used.
#include <cmath>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const uint16_t* x = static_cast<const uint16_t*>(inputs[0].data);
  const uint16_t* gamma = static_cast<const uint16_t*>(inputs[1].data);
  uint16_t* y = static_cast<uint16_t*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  for (int64_t b = 0; b < rows; ++b) {
    const uint16_t* xr = x + b * cols;
    uint16_t* yr = y + b * cols;
    float sq = 0.0f;
    for (int64_t i = 0; i < cols; ++i) {
      const float v = kevo_bf16_to_f32(xr[i]);
      sq += v * v;
    }
    const float r = 1.0f / std::sqrt(sq / static_cast<float>(cols) + 1e-6f);
    for (int64_t i = 0; i < cols; ++i)
      yr[i] = kevo_f32_to_bf16(kevo_bf16_to_f32(xr[i]) * r * kevo_bf16_to_f32(gamma[i]));
  }
  return 0;
}

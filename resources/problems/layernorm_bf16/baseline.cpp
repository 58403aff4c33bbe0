// Baseline for layernorm_bf16 (eps = 1e-5): the loop a user writes in fp32, single-threaded,
// -O3: one pass for the mean, one for the biased variance, one to normalize, apply gamma and beta
// and round to bf16, each bf16 widened to float where it is used. The two reductions run as
// sequential fp32 chains (no -ffast-math); the last pass vectorizes.
#include <cmath>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 3 || n_outputs != 1) return 1;
  const uint16_t* x = static_cast<const uint16_t*>(inputs[0].data);
  const uint16_t* gamma = static_cast<const uint16_t*>(inputs[1].data);
  const uint16_t* beta = static_cast<const uint16_t*>(inputs[2].data);
  uint16_t* y = static_cast<uint16_t*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  const float inv_n = 1.0f / static_cast<float>(cols);
  for (int64_t b = 0; b < rows; ++b) {
    const uint16_t* xr = x + b * cols;
    uint16_t* yr = y + b * cols;
    float sum = 0.0f;
    for (int64_t i = 0; i < cols; ++i) sum += kevo_bf16_to_f32(xr[i]);
    const float mu = sum * inv_n;
    float sq = 0.0f;
    for (int64_t i = 0; i < cols; ++i) {
      const float d = kevo_bf16_to_f32(xr[i]) - mu;
      sq += d * d;
    }
    const float rstd = 1.0f / std::sqrt(sq * inv_n + 1e-5f);
    for (int64_t i = 0; i < cols; ++i)
      yr[i] = kevo_f32_to_bf16((kevo_bf16_to_f32(xr[i]) - mu) * rstd * kevo_bf16_to_f32(gamma[i]) +
                               kevo_bf16_to_f32(beta[i]));
  }
  return 0;
}

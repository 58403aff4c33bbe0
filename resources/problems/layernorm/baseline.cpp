// Baseline for layernorm (eps = 1e-5): the loop a user writes in fp32, single-threaded, -O3:
// one pass for the mean, one for the biased variance, one to normalize and apply gamma, beta.
// The two reductions run as sequential fp32 chains (no -ffast-math); the last pass vectorizes.
#include <cmath>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 3 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  const float* gamma = static_cast<const float*>(inputs[1].data);
  const float* beta = static_cast<const float*>(inputs[2].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  const float inv_n = 1.0f / static_cast<float>(cols);
  for (int64_t b = 0; b < rows; ++b) {
    const float* xr = x + b * cols;
    float* yr = y + b * cols;
    float sum = 0.0f;
    for (int64_t i = 0; i < cols; ++i) sum += xr[i];
    const float mu = sum * inv_n;
    float sq = 0.0f;
    for (int64_t i = 0; i < cols; ++i) sq += (xr[i] - mu) * (xr[i] - mu);
    const float rstd = 1.0f / std::sqrt(sq * inv_n + 1e-5f);
    for (int64_t i = 0; i < cols; ++i) yr[i] = (xr[i] - mu) * rstd * gamma[i] + beta[i];
  }
  return 0;
}

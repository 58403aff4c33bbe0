// Baseline for softmax: the three-pass fp32 loop a user writes (row max; exp and sum, storing the
// exps; scale by the reciprocal of the sum), single-threaded, -O3, expf from libm.
#include <cmath>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  for (int64_t b = 0; b < rows; ++b) {
    const float* xr = x + b * cols;
    float* yr = y + b * cols;
    float m = xr[0];
    for (int64_t i = 1; i < cols; ++i) m = xr[i] > m ? xr[i] : m;
    float s = 0.0f;
    for (int64_t i = 0; i < cols; ++i) {
      yr[i] = std::exp(xr[i] - m);
      s += yr[i];
    }
    const float inv = 1.0f / s;
    for (int64_t i = 0; i < cols; ++i) yr[i] *= inv;
  }
  return 0;
}

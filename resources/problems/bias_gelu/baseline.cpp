// Baseline for bias_gelu: the fused loop a user writes by hand, in fp32 with std::tanh (tanhf),
// single-threaded, -O3. It already fuses the bias add (one pass over x), so a candidate's gain
// comes from vectorizing tanh and using more cores, not from fusion alone.
#include <cmath>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  const float* bias = static_cast<const float*>(inputs[1].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  constexpr float k = 0.7978845608028654f;  // sqrt(2/pi)
  for (int64_t b = 0; b < rows; ++b) {
    const float* xr = x + b * cols;
    float* yr = y + b * cols;
    for (int64_t i = 0; i < cols; ++i) {
      const float h = xr[i] + bias[i];
      yr[i] = 0.5f * h * (1.0f + std::tanh(k * (h + 0.044715f * h * h * h)));
    }
  }
  return 0;
}

// Baseline for gelu (tanh form): the loop a user writes by hand, in fp32 with std::tanh (tanhf),
// single-threaded, built at -O3. The libm call per element keeps the compiler from vectorizing;
// that is exactly what a candidate is measured against.
#include <cmath>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0] * inputs[0].shape[1];
  constexpr float k = 0.7978845608028654f;  // sqrt(2/pi)
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + std::tanh(k * (v + 0.044715f * v * v * v)));
  }
  return 0;
}

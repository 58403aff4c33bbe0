// Reference for gelu: y = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), the tanh form.
// Scalar and in double so that tanh and the cubic are rounded once, at the final cast to float;
// this is the truth candidates are compared with, so it favours obvious correctness over speed.
#include <cmath>
#include <cstdint>
#include <numbers>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0] * inputs[0].shape[1];
  const double k = std::sqrt(2.0 / std::numbers::pi);
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    y[i] = static_cast<float>(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
  }
  return 0;
}

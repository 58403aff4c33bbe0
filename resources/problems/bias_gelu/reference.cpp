// Reference for bias_gelu: h = x[b,i] + bias[i]; y = 0.5 h (1 + tanh(sqrt(2/pi) (h + 0.044715
// h^3))). Scalar and in double (the add included), rounded once at the final cast to float: the
// truth candidates are compared with, written for obvious correctness rather than speed.
#include <cmath>
#include <cstdint>
#include <numbers>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  const float* bias = static_cast<const float*>(inputs[1].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  if (inputs[1].shape[0] != cols) return 2;
  const double k = std::sqrt(2.0 / std::numbers::pi);
  for (int64_t b = 0; b < rows; ++b) {
    for (int64_t i = 0; i < cols; ++i) {
      const double h = static_cast<double>(x[b * cols + i]) + static_cast<double>(bias[i]);
      y[b * cols + i] =
          static_cast<float>(0.5 * h * (1.0 + std::tanh(k * (h + 0.044715 * h * h * h))));
    }
  }
  return 0;
}

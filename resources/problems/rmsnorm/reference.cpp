// Reference for rmsnorm: per row, r = 1 / sqrt(mean(x^2) + 1e-6), y = x * r * gamma. The sum of
// squares and the scaling are done in double and rounded once when stored; eps is fixed at 1e-6
// because scalars are integers.
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
  if (inputs[1].shape[0] != cols) return 2;
  constexpr double eps = 1e-6;
  for (int64_t b = 0; b < rows; ++b) {
    const float* xr = x + b * cols;
    double sq = 0.0;
    for (int64_t i = 0; i < cols; ++i) sq += static_cast<double>(xr[i]) * xr[i];
    const double r = 1.0 / std::sqrt(sq / static_cast<double>(cols) + eps);
    for (int64_t i = 0; i < cols; ++i) y[b * cols + i] = static_cast<float>(xr[i] * r * gamma[i]);
  }
  return 0;
}

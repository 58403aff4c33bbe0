// Reference for layernorm: per row, mu = mean(x), var = mean((x - mu)^2) (biased), then
// y = (x - mu) / sqrt(var + 1e-5) * gamma + beta. Two passes in double (the textbook, numerically
// stable form), rounded once when stored; eps is fixed at 1e-5 because scalars are integers.
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
  if (inputs[1].shape[0] != cols || inputs[2].shape[0] != cols) return 2;
  constexpr double eps = 1e-5;
  for (int64_t b = 0; b < rows; ++b) {
    const float* xr = x + b * cols;
    double mu = 0.0;
    for (int64_t i = 0; i < cols; ++i) mu += xr[i];
    mu /= static_cast<double>(cols);
    double var = 0.0;
    for (int64_t i = 0; i < cols; ++i) var += (xr[i] - mu) * (xr[i] - mu);
    var /= static_cast<double>(cols);
    const double rstd = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < cols; ++i)
      y[b * cols + i] = static_cast<float>((xr[i] - mu) * rstd * gamma[i] + beta[i]);
  }
  return 0;
}

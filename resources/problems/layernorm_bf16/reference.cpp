// Reference for layernorm_bf16: per row, mu = mean(x), var = mean((x - mu)^2) (biased), then
// y = (x - mu) / sqrt(var + 1e-5) * gamma + beta. Every bf16 input widens exactly; two passes
// in double (the textbook, numerically stable form), y computed in double, rounded to float and
// then to bf16 (nearest even) when stored. The float step differs from a direct double-to-bf16
// rounding (by one bf16 ulp) only when y lies within half a float ulp of a bf16 tie, far inside
// the tolerance; reference.cu rounds the same way.
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
  if (inputs[1].shape[0] != cols || inputs[2].shape[0] != cols) return 2;
  constexpr double eps = 1e-5;
  for (int64_t b = 0; b < rows; ++b) {
    const uint16_t* xr = x + b * cols;
    double mu = 0.0;
    for (int64_t i = 0; i < cols; ++i) mu += kevo_bf16_to_f32(xr[i]);
    mu /= static_cast<double>(cols);
    double var = 0.0;
    for (int64_t i = 0; i < cols; ++i) {
      const double d = kevo_bf16_to_f32(xr[i]) - mu;
      var += d * d;
    }
    var /= static_cast<double>(cols);
    const double rstd = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < cols; ++i) {
      const double v = (kevo_bf16_to_f32(xr[i]) - mu) * rstd * kevo_bf16_to_f32(gamma[i]) +
                       kevo_bf16_to_f32(beta[i]);
      y[b * cols + i] = kevo_f32_to_bf16(static_cast<float>(v));
    }
  }
  return 0;
}

// Reference for rmsnorm_bf16: per row, r = 1 / sqrt(mean(x^2) + 1e-6), y = x * r * gamma. Every
// bf16 input widens exactly; the sum of squares and the scaling are done in double, rounded to
// float and then to bf16 (nearest even) when stored. The float step differs from a direct
// double-to-bf16 rounding (by one bf16 ulp) only when y lies within half a float ulp of a bf16
// tie, far inside the tolerance; reference.cu rounds the same way. eps is fixed at 1e-6 because
// scalars are integers.
#include <cmath>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const uint16_t* x = static_cast<const uint16_t*>(inputs[0].data);
  const uint16_t* gamma = static_cast<const uint16_t*>(inputs[1].data);
  uint16_t* y = static_cast<uint16_t*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  if (inputs[1].shape[0] != cols) return 2;
  constexpr double eps = 1e-6;
  for (int64_t b = 0; b < rows; ++b) {
    const uint16_t* xr = x + b * cols;
    double sq = 0.0;
    for (int64_t i = 0; i < cols; ++i) {
      const double v = kevo_bf16_to_f32(xr[i]);
      sq += v * v;
    }
    const double r = 1.0 / std::sqrt(sq / static_cast<double>(cols) + eps);
    for (int64_t i = 0; i < cols; ++i) {
      const double v = kevo_bf16_to_f32(xr[i]) * r * kevo_bf16_to_f32(gamma[i]);
      y[b * cols + i] = kevo_f32_to_bf16(static_cast<float>(v));
    }
  }
  return 0;
}

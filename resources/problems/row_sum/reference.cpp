// Reference for row_sum: y[b] = sum_i x[b,i]. Scalar loop with a double accumulator: for the
// sizes used (N of a few thousand, values of order 1) the double sum is exact to well below fp32
// resolution, so the only rounding is the final cast.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  for (int64_t b = 0; b < rows; ++b) {
    double s = 0.0;
    for (int64_t i = 0; i < cols; ++i) s += x[b * cols + i];
    y[b] = static_cast<float>(s);
  }
  return 0;
}

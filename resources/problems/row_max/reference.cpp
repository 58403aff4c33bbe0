// Reference for row_max: y[b] = max_i x[b,i]. A scalar running maximum; the inputs hold no NaN,
// so the maximum is the same value whatever order a candidate takes it in: compared bit for bit.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  for (int64_t b = 0; b < rows; ++b) {
    float m = x[b * cols];
    for (int64_t i = 1; i < cols; ++i)
      if (x[b * cols + i] > m) m = x[b * cols + i];
    y[b] = m;
  }
  return 0;
}

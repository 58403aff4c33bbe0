// Reference for softmax: y[b,i] = exp(x[b,i] - m_b) / sum_j exp(x[b,j] - m_b), m_b = max_j x[b,j].
// Scalar and in double (exp, the sum and the division), rounded once when stored: the truth a
// candidate is compared with, so it is written for obvious correctness, not speed.
#include <cmath>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  for (int64_t b = 0; b < rows; ++b) {
    const float* xr = x + b * cols;
    double m = xr[0];
    for (int64_t i = 1; i < cols; ++i)
      if (xr[i] > m) m = xr[i];
    double s = 0.0;
    for (int64_t i = 0; i < cols; ++i) s += std::exp(xr[i] - m);
    for (int64_t i = 0; i < cols; ++i)
      y[b * cols + i] = static_cast<float>(std::exp(xr[i] - m) / s);
  }
  return 0;
}

// Baseline for row_max: the loop a user writes with std::max, single-threaded, -O3. GCC does not
// vectorize this fp32 max reduction without -ffast-math (std::max is not associative for NaN),
// so it is a sequential chain: the honest starting point.
#include <algorithm>
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
    float m = xr[0];
    for (int64_t i = 1; i < cols; ++i) m = std::max(m, xr[i]);
    y[b] = m;
  }
  return 0;
}

// Baseline for row_sum: the loop a user writes, one fp32 accumulator per row, single-threaded,
// -O3. Without -ffast-math the compiler may not reorder the fp32 additions, so this runs at one
// add per add-latency: the honest starting point a vectorized, multi-threaded candidate beats.
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
    float s = 0.0f;
    for (int64_t i = 0; i < cols; ++i) s += xr[i];
    y[b] = s;
  }
  return 0;
}

// Baseline for add_relu: y = max(x + residual, 0), the loop a user writes, single-threaded, -O3.
// The compiler vectorizes it, so this is already near one core's bandwidth: the headroom is in
// using more cores and non-temporal stores, not in the arithmetic.
#include <algorithm>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  const float* r = static_cast<const float*>(inputs[1].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0] * inputs[0].shape[1];
  for (int64_t i = 0; i < n; ++i) y[i] = std::max(x[i] + r[i], 0.0f);
  return 0;
}

// Reference for add_relu: y = max(x + residual, 0). One fp32 add (exactly rounded under IEEE 754)
// and a comparison, so every correct candidate matches bit for bit; written as the plainest scalar
// loop. An exact zero sum is +0 in round-to-nearest, so the sign of zero never depends on the max
// used.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  const float* r = static_cast<const float*>(inputs[1].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0] * inputs[0].shape[1];
  for (int64_t i = 0; i < n; ++i) {
    const float s = x[i] + r[i];
    y[i] = s > 0.0f ? s : 0.0f;
  }
  return 0;
}

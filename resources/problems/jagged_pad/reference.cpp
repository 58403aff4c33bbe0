// Reference for jagged_pad: out[b, j] = values[offsets[b] + j] for j < min(len_b, max_len), else
// 0.0, with len_b = offsets[b+1] - offsets[b]. One element at a time; it also checks that the
// offsets are a valid partition of values (returns 3 otherwise), since a reference should fail
// loudly on bad input rather than read out of bounds.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar* scalars, int32_t n_scalars,
                           void*) {
  if (n_inputs != 2 || n_outputs != 1 || n_scalars != 1) return 1;
  const float* values = static_cast<const float*>(inputs[0].data);
  const int64_t* offsets = static_cast<const int64_t*>(inputs[1].data);
  float* out = static_cast<float*>(outputs[0].data);
  const int64_t total = inputs[0].shape[0];
  const int64_t batch = inputs[1].shape[0] - 1;
  const int64_t max_len = scalars[0].i;
  if (outputs[0].shape[0] != batch || outputs[0].shape[1] != max_len) return 2;
  if (offsets[0] != 0 || offsets[batch] != total) return 3;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t start = offsets[b], end = offsets[b + 1];
    if (end < start) return 3;
    for (int64_t j = 0; j < max_len; ++j)
      out[b * max_len + j] = start + j < end ? values[start + j] : 0.0f;
  }
  return 0;
}

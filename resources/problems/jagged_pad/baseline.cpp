// Baseline for jagged_pad: what a user writes, one memcpy of the kept prefix and one memset of the
// padding per row, single-threaded, -O3. Already a bulk copy: candidates gain from threads and
// streaming stores on the large output, not from the per-element work.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar* scalars, int32_t n_scalars,
                           void*) {
  if (n_inputs != 2 || n_outputs != 1 || n_scalars != 1) return 1;
  const float* values = static_cast<const float*>(inputs[0].data);
  const int64_t* offsets = static_cast<const int64_t*>(inputs[1].data);
  float* out = static_cast<float*>(outputs[0].data);
  const int64_t batch = inputs[1].shape[0] - 1;
  const int64_t max_len = scalars[0].i;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t n = std::min(offsets[b + 1] - offsets[b], max_len);
    float* row = out + b * max_len;
    std::memcpy(row, values + offsets[b], static_cast<std::size_t>(n) * sizeof(float));
    std::memset(row + n, 0, static_cast<std::size_t>(max_len - n) * sizeof(float));
  }
  return 0;
}

// Reference for bucketize: out[i] = number of boundaries strictly less than values[i], which for
// strictly increasing boundaries is std::lower_bound's index (first boundary >= value). The
// standard library's binary search is the obviously-correct way to say that, and stays fast
// enough (N log NB) for the training set, where a linear count would not.
#include <algorithm>
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* values = static_cast<const float*>(inputs[0].data);
  const float* bounds = static_cast<const float*>(inputs[1].data);
  int32_t* out = static_cast<int32_t*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0], nb = inputs[1].shape[0];
  if (nb > INT32_MAX) return 2;
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<int32_t>(std::lower_bound(bounds, bounds + nb, values[i]) - bounds);
  return 0;
}

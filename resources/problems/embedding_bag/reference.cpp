// Reference for embedding_bag: out[b, :] = sum of weight[indices[t], :] over t in
// [offsets[b], offsets[b+1]), zeros for an empty bag. Each bag is accumulated in double and
// rounded once; offsets and indices are checked (returns 3 on a bad one) so that a broken input
// fails loudly instead of reading out of bounds.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 3 || n_outputs != 1) return 1;
  const float* weight = static_cast<const float*>(inputs[0].data);
  const int64_t* indices = static_cast<const int64_t*>(inputs[1].data);
  const int64_t* offsets = static_cast<const int64_t*>(inputs[2].data);
  float* out = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], dim = inputs[0].shape[1];
  const int64_t total = inputs[1].shape[0];
  const int64_t bags = inputs[2].shape[0] - 1;
  if (outputs[0].shape[0] != bags || outputs[0].shape[1] != dim) return 2;
  if (offsets[0] != 0 || offsets[bags] != total) return 3;
  std::vector<double> acc(static_cast<std::size_t>(dim));
  for (int64_t b = 0; b < bags; ++b) {
    if (offsets[b + 1] < offsets[b]) return 3;
    for (auto& v : acc) v = 0.0;
    for (int64_t t = offsets[b]; t < offsets[b + 1]; ++t) {
      const int64_t r = indices[t];
      if (r < 0 || r >= rows) return 3;
      for (int64_t d = 0; d < dim; ++d) acc[d] += weight[r * dim + d];
    }
    for (int64_t d = 0; d < dim; ++d) out[b * dim + d] = static_cast<float>(acc[d]);
  }
  return 0;
}

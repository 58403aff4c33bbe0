// Baseline for embedding_bag (sum): the loop a user writes, zero the bag's output row and add each
// gathered weight row into it in fp32, single-threaded, -O3 (the row add vectorizes). The rows are
// random, so the hardware prefetcher cannot run ahead and each one is a DRAM miss: software
// prefetch of upcoming rows and threads are left to candidates.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 3 || n_outputs != 1) return 1;
  const float* weight = static_cast<const float*>(inputs[0].data);
  const int64_t* indices = static_cast<const int64_t*>(inputs[1].data);
  const int64_t* offsets = static_cast<const int64_t*>(inputs[2].data);
  float* out = static_cast<float*>(outputs[0].data);
  const int64_t dim = inputs[0].shape[1];
  const int64_t bags = inputs[2].shape[0] - 1;
  for (int64_t b = 0; b < bags; ++b) {
    float* o = out + b * dim;
    for (int64_t d = 0; d < dim; ++d) o[d] = 0.0f;
    for (int64_t t = offsets[b]; t < offsets[b + 1]; ++t) {
      const float* w = weight + indices[t] * dim;
      for (int64_t d = 0; d < dim; ++d) o[d] += w[d];
    }
  }
  return 0;
}

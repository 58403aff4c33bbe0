// Baseline for bucketize: the binary search a user writes (what torch.bucketize does on the CPU),
// one value at a time, single-threaded, -O3. Each value walks log2(NB) dependent, unpredictable
// branches; branchless or SIMD search, a cache-friendly (Eytzinger) layout of the boundaries and
// threads are left to candidates.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* values = static_cast<const float*>(inputs[0].data);
  const float* bounds = static_cast<const float*>(inputs[1].data);
  int32_t* out = static_cast<int32_t*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0], nb = inputs[1].shape[0];
  for (int64_t i = 0; i < n; ++i) {
    const float v = values[i];
    int64_t lo = 0, hi = nb;  // answer in [lo, hi]
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (bounds[mid] < v)
        lo = mid + 1;
      else
        hi = mid;
    }
    out[i] = static_cast<int32_t>(lo);
  }
  return 0;
}

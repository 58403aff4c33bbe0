// Baseline for feature_hash: the loop a user writes, fmix64 then a 64-bit unsigned %, one element
// at a time, single-threaded, -O3. The divisor is only known at run time, so every element pays
// for a hardware 64-bit division; the multiply-by-reciprocal trick (and threads) is left to
// candidates.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar* scalars, int32_t n_scalars,
                           void*) {
  if (n_inputs != 1 || n_outputs != 1 || n_scalars != 1) return 1;
  const uint64_t* ids = static_cast<const uint64_t*>(inputs[0].data);
  int64_t* out = static_cast<int64_t*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0];
  if (scalars[0].i <= 0) return 2;
  const uint64_t buckets = static_cast<uint64_t>(scalars[0].i);
  for (int64_t i = 0; i < n; ++i) {
    uint64_t k = ids[i];
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    out[i] = static_cast<int64_t>(k % buckets);
  }
  return 0;
}

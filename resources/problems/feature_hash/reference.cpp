// Reference for feature_hash: out[i] = fmix64(uint64(ids[i])) % num_buckets, where fmix64 is
// MurmurHash3's 64-bit finalizer. Written straight from the published constants, one element at a
// time, all in unsigned 64-bit arithmetic so that the multiplications wrap as specified.
#include <cstdint>

#include "kevo_abi.h"

namespace {

uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar* scalars, int32_t n_scalars,
                           void*) {
  if (n_inputs != 1 || n_outputs != 1 || n_scalars != 1) return 1;
  const int64_t* ids = static_cast<const int64_t*>(inputs[0].data);
  int64_t* out = static_cast<int64_t*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0];
  const int64_t buckets = scalars[0].i;
  if (buckets <= 0) return 2;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t h = fmix64(static_cast<uint64_t>(ids[i]));
    out[i] = static_cast<int64_t>(h % static_cast<uint64_t>(buckets));
  }
  return 0;
}

// CUDA reference for feature_hash: out[i] = fmix64(uint64(ids[i])) % num_buckets, one thread per
// id. fmix64 is MurmurHash3's 64-bit finalizer, written from the published constants in
// unsigned 64-bit arithmetic (unsigned long long is 64 bits on every CUDA target), so the
// multiplications wrap mod 2^64 and the modulo is unsigned, bit for bit as in reference.cpp.
#include "kevo_cuda.h"

__device__ unsigned long long fmix64(unsigned long long k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// kevo-launch: feature_hash_ref grid(cdiv(N, 256)) block(256)
extern "C" __global__ void feature_hash_ref(kevo_cuda_args a) {
  const long long* ids = (const long long*)a.in[0];
  long long* out = (long long*)a.out[0];
  const long long n = a.in_shape[0][0];
  const long long buckets = a.scalar[0];
  // reference.cpp refuses a non-positive bucket count; a launch cannot return an error, so fail
  // loudly (the worker reports a crash) rather than produce a meaningless modulo.
  if (buckets <= 0) __trap();
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  const unsigned long long h = fmix64((unsigned long long)ids[i]);
  out[i] = (long long)(h % (unsigned long long)buckets);
}

// feature_hash on the GPU: 16-byte loads and stores of id pairs, fmix64, and a divide-free exact
// remainder.
//
// out[i] = fmix64(uint64(ids[i])) % num_buckets. The traffic is 16 bytes per id; fmix64 is three
// shift/xors and two 64-bit multiplies (3 IMADs each), cheap. The expensive part is the 64-bit
// remainder: the GPU has no integer divider, and `%` by a run-time u64 compiles to a ~70
// instruction subroutine, which with the 64-bit multiplies is enough to make the kernel
// issue-bound instead of memory-bound. MOD picks the remainder:
//   0  the compiler's 64-bit `%` (the reference's arithmetic, for comparison);
//   1  a double-precision reciprocal, corrected to exactness. inv = 1/d is computed once per
//      thread. q = trunc(double(h) * inv) is within 1 + 2^13/d of h/d (three roundings of relative
//      2^-53 on a value below 2^64), so r = h - q*d (wrapping 64-bit math, read as signed) has
//      |r| < 2d + 2^13. A second round on r, which a double now holds exactly, leaves
//      r - trunc(r*inv)*d in (-2d, 2d), and two conditional adds and subtracts of d make it the
//      exact remainder. About 20 instructions and 4 int<->double conversions per id. Divisors
//      above 2^51 (not a real bucket count) take the `%` path, where the error bound would not
//      hold.
// Each thread handles ITEMS ids as ITEMS/2 16-byte vectors, strided by BLOCK so that every load
// and store instruction of a warp covers 512 contiguous bytes; all loads are issued before the
// first hash, so ITEMS/2 loads per thread are in flight. The last partial tile uses scalar code.
// Integer arithmetic throughout: bitwise equal to the reference.
#include "kevo_cuda.h"

// kevo-launch: feature_hash_vec grid(cdiv(N, BLOCK * ITEMS)) block(BLOCK)

#define FH_C1 0xff51afd7ed558ccdULL
#define FH_C2 0xc4ceb9fe1a85ec53ULL

__device__ __forceinline__ unsigned long long fmix64(unsigned long long k) {
  k ^= k >> 33;
  k *= FH_C1;
  k ^= k >> 33;
  k *= FH_C2;
  k ^= k >> 33;
  return k;
}

struct Divisor {
  unsigned long long d;
  double inv;
  bool fast;  // the reciprocal path is exact for d <= 2^51
};

__device__ __forceinline__ unsigned long long modBuckets(unsigned long long h, const Divisor& m) {
  if (MOD == 0 || !m.fast) return h % m.d;
  const long long d = (long long)m.d;
  const unsigned long long q = __double2ull_rz(__dmul_rn(__ull2double_rn(h), m.inv));
  long long r = (long long)(h - q * m.d);  // |r| < 2d + 2^13: exact as a double
  r -= __double2ll_rz(__dmul_rn(__ll2double_rn(r), m.inv)) * d;  // r in (-2d, 2d)
  r += r < 0 ? d : 0;
  r += r < 0 ? d : 0;
  r -= r >= d ? d : 0;
  r -= r >= d ? d : 0;
  return (unsigned long long)r;
}

extern "C" __global__ void __launch_bounds__(BLOCK) feature_hash_vec(kevo_cuda_args a) {
  const long long* __restrict__ ids = (const long long*)a.in[0];
  long long* __restrict__ out = (long long*)a.out[0];
  const long long n = a.in_shape[0][0];
  Divisor m;
  m.d = (unsigned long long)a.scalar[0];
  m.fast = m.d <= (1ULL << 51);
  m.inv = __ddiv_rn(1.0, __ull2double_rn(m.d));

  const long long tile0 = (long long)blockIdx.x * (BLOCK * ITEMS);
  const bool vec = tile0 + BLOCK * ITEMS <= n &&
                   ((((unsigned long long)ids | (unsigned long long)out) & 15) == 0);
  if (vec) {
    // Pair p of this thread holds ids tile0 + 2*(p*BLOCK + tid) + {0, 1}.
    const longlong2* src = (const longlong2*)(ids + tile0);
    longlong2* dst = (longlong2*)(out + tile0);
    longlong2 x[ITEMS / 2];
#pragma unroll
    for (int p = 0; p < ITEMS / 2; ++p) x[p] = __ldcs(src + p * BLOCK + threadIdx.x);
#pragma unroll
    for (int p = 0; p < ITEMS / 2; ++p) {
      longlong2 y;
      y.x = (long long)modBuckets(fmix64((unsigned long long)x[p].x), m);
      y.y = (long long)modBuckets(fmix64((unsigned long long)x[p].y), m);
      __stcs(dst + p * BLOCK + threadIdx.x, y);
    }
  } else {
#pragma unroll
    for (int e = 0; e < ITEMS; ++e) {
      const long long i = tile0 + (long long)e * BLOCK + threadIdx.x;
      if (i < n) out[i] = (long long)modBuckets(fmix64((unsigned long long)ids[i]), m);
    }
  }
}

// feature_hash, scalar: fmix64 then `% num_buckets` without a hardware divide.
//
// The baseline pays one 64-bit DIV per element (~10-18 cycles latency on Zen 4, a few cycles of
// throughput). num_buckets is a runtime scalar but constant for the whole call, so the divisor's
// reciprocal is computed once and every element does multiplications instead (MOD knob):
//   MOD=0  hardware `%` (the baseline's divide; kept so the search can see what the rest buys)
//   MOD=1  libdivide-style round-up magic: q = floor(n/d) from a 65-bit multiplier as
//          t = mulhi(magic, n); q = (((n - t) >> 1) + t) >> shift; r = n - q*d.
//          One MULX for the high half, one IMUL for q*d: ~2 multiplies per element.
//   MOD=2  Lemire's fastmod with a 128-bit M = ceil(2^128 / d): r = mulhi128(M*n mod 2^128, d).
//          No quotient and no shift, but 4 64x64 multiplies; exact for every 64-bit n and d.
//   MOD=3  double reciprocal: q = trunc(double(n) * (1/d)) is within 2^14/d + 1 of n/d (three
//          roundings of relative 2^-52 below 2^64), so r = n - q*d lies in [-2^14-1, d + 2^14];
//          for d >= 2^15 one conditional +d / -d makes it exact, smaller d take a second round
//          on r (exact in a double). One integer multiply, no 128-bit products.
// A power-of-two divisor (1, 2, 4, ...) takes a mask instead, for every MOD.
// Elements are independent, so UNROLL only gives the out-of-order core longer straight-line code
// (fewer loop branches, more multiplies in flight). UNROLL=1 leaves the plain loop to GCC, which
// auto-vectorizes MOD=3 with AVX-512DQ (VPMULLQ, VCVTUQQ2PD: ~5x the baseline) but not the
// 128-bit products of MOD=1/2; the explicit unroll blocks that. THREADS splits the array in
// halves, but only when there is enough work to pay for a thread start (~30 us).
// Integer math only: bitwise identical to the reference.
#include <cstdint>
#include <thread>

#include "kevo_abi.h"

namespace {

__extension__ typedef unsigned __int128 u128;

inline uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

struct Divisor {
  uint64_t d = 1;
  uint64_t mask = 0;    // d - 1 when d is a power of two
  bool pow2 = false;
  uint64_t magic = 0;   // MOD=1: low 64 bits of the 65-bit multiplier
  unsigned shift = 0;   // MOD=1: floor(log2 d)
  u128 m128 = 0;        // MOD=2: ceil(2^128 / d)
  double inv = 1.0;     // MOD=3: 1.0 / d
  bool small = true;    // MOD=3: d < 2^15 needs the second round
};

Divisor makeDivisor(uint64_t d) {
  Divisor v;
  v.d = d;
  v.pow2 = (d & (d - 1)) == 0;
  v.mask = d - 1;
  v.inv = 1.0 / static_cast<double>(d);
  v.small = d < (uint64_t{1} << 15);
  if (v.pow2) return v;
  // libdivide u64 branch-free generator: magic = floor(2^(65+l) / d) + 1 - 2^64, l = floor(log2 d).
  const unsigned l = 63u - static_cast<unsigned>(__builtin_clzll(d));
  const u128 num = static_cast<u128>(1) << (64 + l);
  uint64_t m = static_cast<uint64_t>(num / d);
  const uint64_t rem = static_cast<uint64_t>(num % d);
  m += m;
  const uint64_t twice = rem + rem;
  if (twice >= d || twice < rem) m += 1;
  v.magic = m + 1;
  v.shift = l;
  v.m128 = (~static_cast<u128>(0)) / d + 1;
  return v;
}

inline uint64_t modOne(uint64_t n, const Divisor& v) {
#if MOD == 0
  return n % v.d;
#elif MOD == 1
  const uint64_t t = static_cast<uint64_t>((static_cast<u128>(v.magic) * n) >> 64);
  const uint64_t q = (((n - t) >> 1) + t) >> v.shift;
  return n - q * v.d;
#elif MOD == 3
  const uint64_t q = static_cast<uint64_t>(static_cast<double>(n) * v.inv);
  int64_t r = static_cast<int64_t>(n - q * v.d);
  const int64_t d = static_cast<int64_t>(v.d);
  if (v.small) r -= static_cast<int64_t>(__builtin_floor(static_cast<double>(r) * v.inv)) * d;
  r += r < 0 ? d : 0;
  r -= r >= d ? d : 0;
  return static_cast<uint64_t>(r);
#else
  const u128 low = v.m128 * n;  // M * n mod 2^128
  const u128 bottom = (static_cast<u128>(static_cast<uint64_t>(low)) * v.d) >> 64;
  const u128 top = static_cast<u128>(static_cast<uint64_t>(low >> 64)) * v.d;
  return static_cast<uint64_t>((bottom + top) >> 64);
#endif
}

template <bool Pow2>
void hashRange(const uint64_t* __restrict ids, int64_t* __restrict out, int64_t n,
               const Divisor v) {
  int64_t i = 0;
  for (; i + UNROLL <= n; i += UNROLL) {
    uint64_t h[UNROLL];
    for (int u = 0; u < UNROLL; ++u) h[u] = fmix64(ids[i + u]);
    for (int u = 0; u < UNROLL; ++u)
      out[i + u] = static_cast<int64_t>(Pow2 ? (h[u] & v.mask) : modOne(h[u], v));
  }
  for (; i < n; ++i) {
    const uint64_t h = fmix64(ids[i]);
    out[i] = static_cast<int64_t>(Pow2 ? (h & v.mask) : modOne(h, v));
  }
}

// always_inline: the call sites (main thread and worker) get the same code as the one-thread build
__attribute__((always_inline)) inline void hashAll(const uint64_t* ids, int64_t* out, int64_t n,
                                                   const Divisor& v) {
  if (v.pow2)
    hashRange<true>(ids, out, n, v);
  else
    hashRange<false>(ids, out, n, v);
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar* scalars, int32_t n_scalars,
                           void*) {
  if (n_inputs != 1 || n_outputs != 1 || n_scalars != 1) return 1;
  if (scalars[0].i <= 0) return 2;
  const uint64_t* ids = static_cast<const uint64_t*>(inputs[0].data);
  int64_t* out = static_cast<int64_t*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0];
  const Divisor v = makeDivisor(static_cast<uint64_t>(scalars[0].i));
  // A second thread costs ~30 us to start: only worth it past ~1M elements of ~1 ns each.
  if (THREADS > 1 && n >= (int64_t{1} << 20)) {
    const int64_t half = (n / 2 + 7) & ~int64_t{7};  // split on a cache line of output
    std::thread worker([&] { hashAll(ids + half, out + half, n - half, v); });
    hashAll(ids, out, half, v);
    worker.join();
  } else {
    hashAll(ids, out, n, v);
  }
  return 0;
}

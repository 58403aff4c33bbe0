// feature_hash, AVX-512: fmix64 on 8 ids per zmm, then an exact remainder without any divide.
//
// fmix64 is 3 shift/xor pairs and 2 multiplies modulo 2^64: with AVX-512DQ's VPMULLQ that is 8
// vector instructions per 8 ids. The baseline's cost is the 64-bit DIV per element (~8 cycles
// each); there is no vector integer divide, so the remainder is rebuilt from a per-call
// reciprocal of num_buckets (MOD knob):
//   MOD=0  floating-point reciprocal. q = trunc(double(h) * (1/d)) is within 2^14/d + 1 of h/d
//          (three roundings of relative 2^-52 on a value below 2^64), so r = h - q*d (wrapping
//          64-bit math) lies in [-2^14-1, d + 2^14]. For d >= 2^15 one conditional +d and one
//          conditional -d make it exact; for smaller d a second round on r (now exactly
//          representable in a double) does. ~7 vector instructions, 1 VPMULLQ.
//   MOD=1  libdivide round-up 65-bit magic, integer only: t = mulhi64(magic, h) built from four
//          32x32->64 VPMULUDQ, q = (((h - t) >> 1) + t) >> l, r = h - q*d. More instructions
//          than MOD=0 but no int<->double conversions.
// Both are exact for every 64-bit h and every d >= 1, so the output is bitwise the reference's.
//
// U vectors per iteration give independent dependency chains (VPMULLQ has 3+ cycles latency).
// STREAM=1 writes the output with non-temporal stores when it is larger than half the L3: in the
// cold training set that saves the read-for-ownership of every output line (1/3 of the DRAM
// traffic), while warm outputs that fit in cache keep normal stores. THREADS=2 halves the array
// once there is enough work to pay for a thread start (~30 us); 2 cores double the hash rate and
// the outstanding misses.
#include <cstdint>
#include <thread>

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>
#define FH_AVX512 1
#else
#define FH_AVX512 0
#endif

#include "kevo_abi.h"

namespace {

__extension__ typedef unsigned __int128 u128;

constexpr uint64_t kC1 = 0xff51afd7ed558ccdULL;
constexpr uint64_t kC2 = 0xc4ceb9fe1a85ec53ULL;

inline uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= kC1;
  k ^= k >> 33;
  k *= kC2;
  k ^= k >> 33;
  return k;
}

struct Divisor {
  uint64_t d = 1;
  uint64_t magic = 0;  // libdivide branch-free magic (0 for powers of two)
  unsigned shift = 0;  // floor(log2 d) (minus 1 for powers of two, see makeDivisor)
  bool one = false;    // d == 1: every remainder is 0
  double inv = 1.0;    // 1.0 / d for MOD=0
  bool small = true;   // d < 2^15: MOD=0 needs its second round
};

Divisor makeDivisor(uint64_t d) {
  Divisor v;
  v.d = d;
  v.one = d == 1;
  v.inv = 1.0 / static_cast<double>(d);
  v.small = d < (uint64_t{1} << 15);
  const unsigned l = 63u - static_cast<unsigned>(__builtin_clzll(d));
  if ((d & (d - 1)) == 0) {
    // power of two: t = 0, q = (h >> 1) >> (l - 1) = h >> l (d == 1 is handled apart)
    v.magic = 0;
    v.shift = l == 0 ? 0 : l - 1;
    return v;
  }
  const u128 num = static_cast<u128>(1) << (64 + l);
  uint64_t m = static_cast<uint64_t>(num / d);
  const uint64_t rem = static_cast<uint64_t>(num % d);
  m += m;
  const uint64_t twice = rem + rem;
  if (twice >= d || twice < rem) m += 1;
  v.magic = m + 1;
  v.shift = l;
  return v;
}

// Scalar remainder with the same math as the vector code (tails, no-AVX-512 builds).
inline uint64_t modScalar(uint64_t h, const Divisor& v) {
  if (v.one) return 0;
#if MOD == 0
  const uint64_t q = static_cast<uint64_t>(static_cast<double>(h) * v.inv);
  int64_t r = static_cast<int64_t>(h - q * v.d);
  if (v.small) {
    const int64_t q2 = static_cast<int64_t>(__builtin_floor(static_cast<double>(r) * v.inv));
    r -= q2 * static_cast<int64_t>(v.d);
  }
  if (r < 0) r += static_cast<int64_t>(v.d);
  if (r >= static_cast<int64_t>(v.d)) r -= static_cast<int64_t>(v.d);
  return static_cast<uint64_t>(r);
#else
  const uint64_t t = static_cast<uint64_t>((static_cast<u128>(v.magic) * h) >> 64);
  const uint64_t q = (((h - t) >> 1) + t) >> v.shift;
  return h - q * v.d;
#endif
}

#if FH_AVX512

// GCC 12's plain _mm512_srli_epi64 / _mm512_mul_epu32 pass an "undefined" vector as the merge
// source, which -Wmaybe-uninitialized reports once inlined; the all-ones zero-masked forms are
// the same single instruction without that warning.
constexpr __mmask8 kAll = 0xff;
inline __m512i srli64(__m512i a, unsigned n) { return _mm512_maskz_srli_epi64(kAll, a, n); }
inline __m512i mulu32(__m512i a, __m512i b) { return _mm512_maskz_mul_epu32(kAll, a, b); }

inline __m512i fmixV(__m512i k) {
  const __m512i c1 = _mm512_set1_epi64(static_cast<int64_t>(kC1));
  const __m512i c2 = _mm512_set1_epi64(static_cast<int64_t>(kC2));
  k = _mm512_xor_si512(k, srli64(k, 33));
  k = _mm512_mullo_epi64(k, c1);
  k = _mm512_xor_si512(k, srli64(k, 33));
  k = _mm512_mullo_epi64(k, c2);
  return _mm512_xor_si512(k, srli64(k, 33));
}

struct VDiv {
  __m512i d, magicLo, magicHi, lo32;
  __m512d inv;
  __m128i shift;
  bool small, one;
};

VDiv makeVDiv(const Divisor& v) {
  VDiv w;
  w.d = _mm512_set1_epi64(static_cast<int64_t>(v.d));
  w.magicLo = _mm512_set1_epi64(static_cast<int64_t>(v.magic & 0xffffffffULL));
  w.magicHi = _mm512_set1_epi64(static_cast<int64_t>(v.magic >> 32));
  w.lo32 = _mm512_set1_epi64(0xffffffffLL);
  w.inv = _mm512_set1_pd(v.inv);
  w.shift = _mm_cvtsi64_si128(static_cast<int64_t>(v.shift));
  w.small = v.small;
  w.one = v.one;
  return w;
}

template <bool Small>
inline __m512i modV(__m512i h, const VDiv& w) {
#if MOD == 0
  // q1 = trunc(h * inv); r = h - q1*d in [-2^14-1, d + 2^14] (as a signed 64-bit value)
  const __m512d hd = _mm512_cvt_roundepu64_pd(h, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512i q = _mm512_cvtt_roundpd_epu64(_mm512_mul_pd(hd, w.inv), _MM_FROUND_NO_EXC);
  __m512i r = _mm512_sub_epi64(h, _mm512_mullo_epi64(q, w.d));
  if (Small) {
    // |r| < 2^16 is exact in a double; floor(r/d) is right or one too small/large
    const __m512d rd = _mm512_cvt_roundepi64_pd(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512i q2 = _mm512_cvt_roundpd_epi64(_mm512_mul_pd(rd, w.inv),
                                                _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    r = _mm512_sub_epi64(r, _mm512_mullo_epi64(q2, w.d));
  }
  // now r in [-d, 2d): one correction each way
  r = _mm512_mask_add_epi64(r, _mm512_cmplt_epi64_mask(r, _mm512_setzero_si512()), r, w.d);
  r = _mm512_mask_sub_epi64(r, _mm512_cmpge_epi64_mask(r, w.d), r, w.d);
  return r;
#else
  (void)sizeof(Small);
  // t = high 64 bits of magic * h, from 32-bit halves: four VPMULUDQ
  const __m512i hHi = srli64(h, 32);
  const __m512i ll = mulu32(h, w.magicLo);
  const __m512i lh = mulu32(h, w.magicHi);
  const __m512i hl = mulu32(hHi, w.magicLo);
  const __m512i hh = mulu32(hHi, w.magicHi);
  const __m512i mid = _mm512_add_epi64(
      _mm512_add_epi64(srli64(ll, 32), _mm512_and_si512(lh, w.lo32)),
      _mm512_and_si512(hl, w.lo32));
  const __m512i t = _mm512_add_epi64(
      _mm512_add_epi64(hh, srli64(lh, 32)),
      _mm512_add_epi64(srli64(hl, 32), srli64(mid, 32)));
  __m512i q = _mm512_add_epi64(srli64(_mm512_sub_epi64(h, t), 1), t);
  q = _mm512_maskz_srl_epi64(kAll, q, w.shift);
  return _mm512_sub_epi64(h, _mm512_mullo_epi64(q, w.d));
#endif
}

template <bool Small, bool Stream>
void hashRangeV(const uint64_t* __restrict ids, int64_t* __restrict out, int64_t n,
                const VDiv& w) {
  int64_t i = 0;
  if (Stream) {
    // peel up to 7 elements so that the streaming stores are 64-byte aligned
    const int64_t mis = static_cast<int64_t>((reinterpret_cast<uintptr_t>(out) >> 3) & 7);
    const int64_t head = mis == 0 ? 0 : (8 - mis < n ? 8 - mis : n);
    if (head > 0) {
      const __mmask8 m = static_cast<__mmask8>((1u << head) - 1);
      const __m512i h = fmixV(_mm512_maskz_loadu_epi64(m, ids));
      _mm512_mask_storeu_epi64(out, m, modV<Small>(h, w));
      i = head;
    }
  }
  for (; i + 8 * U <= n; i += 8 * U) {
    __m512i h[U];
    for (int u = 0; u < U; ++u) h[u] = fmixV(_mm512_loadu_si512(ids + i + 8 * u));
    for (int u = 0; u < U; ++u) {
      const __m512i r = modV<Small>(h[u], w);
      if (Stream)
        _mm512_stream_si512(reinterpret_cast<__m512i*>(out + i + 8 * u), r);
      else
        _mm512_storeu_si512(out + i + 8 * u, r);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m512i r = modV<Small>(fmixV(_mm512_loadu_si512(ids + i)), w);
    if (Stream)
      _mm512_stream_si512(reinterpret_cast<__m512i*>(out + i), r);
    else
      _mm512_storeu_si512(out + i, r);
  }
  if (i < n) {
    const __mmask8 m = static_cast<__mmask8>((1u << (n - i)) - 1);
    const __m512i h = fmixV(_mm512_maskz_loadu_epi64(m, ids + i));
    _mm512_mask_storeu_epi64(out + i, m, modV<Small>(h, w));
  }
  if (Stream) _mm_sfence();
}

#endif  // FH_AVX512

void hashRange(const uint64_t* ids, int64_t* out, int64_t n, const Divisor& v, bool stream) {
#if FH_AVX512
  if (v.one) {  // every remainder is 0 (the magic/shift tables do not cover d == 1)
    for (int64_t i = 0; i < n; ++i) out[i] = 0;
    return;
  }
  const VDiv w = makeVDiv(v);
  const bool aligned8 = (reinterpret_cast<uintptr_t>(out) & 7) == 0;
  if (stream && aligned8) {
    if (w.small) hashRangeV<true, true>(ids, out, n, w);
    else         hashRangeV<false, true>(ids, out, n, w);
  } else {
    if (w.small) hashRangeV<true, false>(ids, out, n, w);
    else         hashRangeV<false, false>(ids, out, n, w);
  }
#else
  (void)stream;
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int64_t>(modScalar(fmix64(ids[i]), v));
#endif
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
  (void)&modScalar;  // used by the scalar build only
  // Streaming pays only when the output does not stay in cache anyway (> 16 MiB, half the L3).
  const bool stream = STREAM != 0 && n * 8 > (int64_t{16} << 20);
  // A second thread costs ~30 us to start: worth it from ~1M elements (~150 us of work).
  if (THREADS > 1 && n >= (int64_t{1} << 20)) {
    const int64_t half = (n / 2 + 7) & ~int64_t{7};  // split on a cache line of output
    std::thread worker([&] { hashRange(ids + half, out + half, n - half, v, stream); });
    hashRange(ids, out, half, v, stream);
    worker.join();
  } else {
    hashRange(ids, out, n, v, stream);
  }
  return 0;
}

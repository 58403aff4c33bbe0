// GELU (tanh form), optionally fused with a broadcast bias add, computed as a sigmoid:
//
//   0.5 h (1 + tanh(u)) = h / (1 + exp(-2u)),   u = sqrt(2/pi) (h + 0.044715 h^3)
//
// so one vectorized exp and one reciprocal per element replace the libm tanhf call that keeps
// the baseline scalar (~20 ns per element). The form has no cancellation: for very negative h the
// quotient is tiny with full relative accuracy, where 1 + tanh(u) would lose digits.
//
// exp(-2u) is evaluated as 2^t with log2(e) folded into the cubic's constants: n = round(t)
// (vroundscaleps, or the 1.5*2^23 magic add without AVX-512), f = t - n in [-0.5, 0.5], a
// degree-5 minimax polynomial for 2^f (7.5e-8 relative) and 2^n applied by vscalefps (or in the
// exponent bits). About 18 vector ops per 16 elements with AVX-512. Against the double reference
// on a dense grid over [-300, 300] the error stays below 2% of the tolerance.
//
// The code is written once over GCC vector extensions (VEC floats per vector), so VEC=16 is one
// AVX-512 register, 8 one AVX2 register, 4 one SSE register, and on a machine without AVX-512
// the same source is lowered to narrower instructions. Intrinsics are only used, behind #if, for
// min/max, round/scalef, the reciprocal estimate and streaming stores, each with a plain
// fallback (compare-and-select, the magic-number rounding, division, ordinary stores). The flag
// -ffp-contract=fast lets g++ fuse a*b+c into FMAs (ISO mode keeps them separate otherwise);
// that only makes the polynomial more accurate, and -ffast-math is not needed.
//
// Knobs:
//   VEC      floats per vector (4, 8, 16)
//   UNROLL   independent vectors per loop trip: the exp chain is ~15 dependent ops, so several
//            vectors in flight keep both FMA pipes busy
//   RCP      0: IEEE division; 1: reciprocal estimate (rcp14 on AVX-512, rcp on AVX) refined by
//            one Newton step, which is cheaper than vdivps (about 1e-7 relative either way)
//   THREADS  1 or 2 std::threads (the caller included, joined before returning)
//   CHUNK    0: static schedule, contiguous halves of the flat index range; > 0: dynamic
//            schedule, CHUNK-element pieces taken from an atomic counter (robust when the cores
//            are shared with other work; a helper starts only if there are two chunks or more)
//   NT       1: non-temporal (streaming) stores for y: on cold, larger-than-cache data they skip
//            the read-for-ownership of every output line (12 -> 8 bytes of traffic per element);
//            on warm, cache-resident data they hurt, since y is evicted to DRAM.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "kevo_abi.h"

// On a target without AVX-512, g++ notes that 64-byte vector parameters (VEC=16) have a
// different ABI; every helper here is inlined, so the recipe passes -Wno-psabi to silence it.

namespace {

// Every helper that takes or returns a vector is forced inline: no vector ever crosses a call.
#define KI inline __attribute__((always_inline))

typedef float vf __attribute__((vector_size(VEC * sizeof(float))));
typedef int32_t vi __attribute__((vector_size(VEC * sizeof(float))));

KI vf splat(float s) { return vf{} + s; }
KI vf loadu(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
KI void storeu(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

// a < b ? a : b and a > b ? a : b, one vminps / vmaxps each (g++ leaves the vector ternary as a
// compare plus a blend, because of NaN ordering).
#if VEC == 16 && defined(__AVX512F__)
KI vf vmin(vf a, vf b) { return (vf)_mm512_mask_min_ps((__m512)a, (__mmask16)-1, (__m512)a, (__m512)b); }
KI vf vmax(vf a, vf b) { return (vf)_mm512_mask_max_ps((__m512)a, (__mmask16)-1, (__m512)a, (__m512)b); }
#elif VEC == 8 && defined(__AVX__)
KI vf vmin(vf a, vf b) { return (vf)_mm256_min_ps((__m256)a, (__m256)b); }
KI vf vmax(vf a, vf b) { return (vf)_mm256_max_ps((__m256)a, (__m256)b); }
#elif VEC == 4 && defined(__SSE__)
KI vf vmin(vf a, vf b) { return (vf)_mm_min_ps((__m128)a, (__m128)b); }
KI vf vmax(vf a, vf b) { return (vf)_mm_max_ps((__m128)a, (__m128)b); }
#else
KI vf vmin(vf a, vf b) { return a < b ? a : b; }
KI vf vmax(vf a, vf b) { return a > b ? a : b; }
#endif

// p must be aligned to sizeof(vf) when NT is on (the caller peels to that alignment).
KI void store(float* p, vf v) {
#if NT && VEC == 16 && defined(__AVX512F__)
  _mm512_stream_ps(p, (__m512)v);
#elif NT && VEC == 8 && defined(__AVX__)
  _mm256_stream_ps(p, (__m256)v);
#elif NT && VEC == 4 && defined(__SSE__)
  _mm_stream_ps(p, (__m128)v);
#else
  storeu(p, v);
#endif
}

KI void store_fence() {
#if NT && (defined(__x86_64__) || defined(__i386__))
  _mm_sfence();  // streaming stores are weakly ordered: drain them before the thread finishes
#endif
}

// Reciprocal estimate for RCP=1, where the target has one for this vector width. (The masked
// rcp14 forms with an all-ones mask avoid g++ 12's false "may be used uninitialized" warning on
// the _mm512_undefined_ps() pass-through of the plain form.)
#if RCP && VEC == 16 && defined(__AVX512F__)
#define RCP_ESTIMATE(d) (vf) _mm512_mask_rcp14_ps((__m512)(d), (__mmask16)-1, (__m512)(d))  // 14 bits
#elif RCP && VEC == 8 && defined(__AVX512VL__)
#define RCP_ESTIMATE(d) (vf) _mm256_mask_rcp14_ps((__m256)(d), (__mmask8)-1, (__m256)(d))
#elif RCP && VEC == 4 && defined(__AVX512VL__)
#define RCP_ESTIMATE(d) (vf) _mm_mask_rcp14_ps((__m128)(d), (__mmask8)-1, (__m128)(d))
#elif RCP && VEC == 8 && defined(__AVX__)
#define RCP_ESTIMATE(d) (vf) _mm256_rcp_ps((__m256)(d))  // 12 bits
#elif RCP && VEC == 4 && defined(__SSE__)
#define RCP_ESTIMATE(d) (vf) _mm_rcp_ps((__m128)(d))
#endif

// 1 / d for d >= 1.
KI vf reciprocal(vf d) {
#ifdef RCP_ESTIMATE
  const vf r = RCP_ESTIMATE(d);
  const vf e = 1.0f - d * r;  // one Newton step: relative error e -> e^2, below fp32 rounding
  return r + r * e;
#else
  return 1.0f / d;
#endif
}

// 2^n * p for integer-valued n in [-126, 126] and p in [0.7, 1.5]: one vscalefps on AVX-512 (it
// replaces an integer subtract, a shift and a multiply), elsewhere 2^n assembled in the exponent
// field.
#if VEC == 16 && defined(__AVX512F__)
#define HAVE_SCALEF 1
KI vf round_nearest(vf t) { return (vf)_mm512_mask_roundscale_ps((__m512)t, (__mmask16)-1, (__m512)t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
KI vf scale2(vf p, vf n) { return (vf)_mm512_mask_scalef_ps((__m512)p, (__mmask16)-1, (__m512)p, (__m512)n); }
#elif VEC == 8 && defined(__AVX512VL__)
#define HAVE_SCALEF 1
KI vf round_nearest(vf t) { return (vf)_mm256_mask_roundscale_ps((__m256)t, (__mmask8)-1, (__m256)t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
KI vf scale2(vf p, vf n) { return (vf)_mm256_mask_scalef_ps((__m256)p, (__mmask8)-1, (__m256)p, (__m256)n); }
#elif VEC == 4 && defined(__AVX512VL__)
#define HAVE_SCALEF 1
KI vf round_nearest(vf t) { return (vf)_mm_mask_roundscale_ps((__m128)t, (__mmask8)-1, (__m128)t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
KI vf scale2(vf p, vf n) { return (vf)_mm_mask_scalef_ps((__m128)p, (__mmask8)-1, (__m128)p, (__m128)n); }
#endif

KI vf gelu(vf h) {
  // Below h = -16 the true y is ~ -1e-100, i.e. -0 in fp32: clamping h there keeps h^3 and the
  // product h / (1 + 2^t) finite (y ~ -2e-37) for any input down to -FLT_MAX. vmaxps returns its
  // second operand for NaN, so a NaN input still gives NaN.
  h = vmax(splat(-16.0f), h);
  // t = log2(e) * (-2u) = h * (c1 + c3 h^2): the base change is folded into the two constants,
  // so exp(-2u) = 2^t. The Cody-Waite split of exp buys nothing here, since t itself carries the
  // rounding of h^3; its relative error (~1e-7 |t|) only matters where y is tiny (atol covers).
  const vf h2 = h * h;
  vf t = h * (h2 * -0.1029432395800235f + -2.302208198144325f);
  // Clamp to [-126, 126]: 2^t stays finite and normal (below -126, 1 + 2^t rounds to 1 anyway;
  // above 126, y = h / (1 + 2^126) ~ -1e-38 h is as good as the true ~ -0), so the reciprocal's
  // Newton step never sees inf * 0.
  t = vmax(vmin(t, splat(126.0f)), splat(-126.0f));
#ifdef HAVE_SCALEF
  const vf n = round_nearest(t);
#else
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer, kept in the low bits
  const vf tm = t + magic;
  const vf n = tm - magic;
#endif
  const vf f = t - n;  // exact, in [-0.5, 0.5]
  // 2^f, degree-5 minimax for relative error on [-0.5, 0.5] (7.5e-8)
  vf p = f * 1.3276471979e-3f + 9.6755413342e-3f;
  p = p * f + 5.5507132735e-2f;
  p = p * f + 2.4022119724e-1f;
  p = p * f + 6.9314696706e-1f;
  p = p * f + 1.0000000717e+00f;
#ifdef HAVE_SCALEF
  const vf ex = scale2(p, n);
#else
  const vi bits = ((vi)tm - (0x4B400000 - 127)) << 23;  // (n + 127) << 23 = 2^n
  const vf ex = p * (vf)bits;
#endif
  // y = h / (1 + 2^t)
  return h * reciprocal(ex + 1.0f);
}

// Fewer than VEC elements (a tail, or the head peeled for aligned streaming stores): through a
// zero-padded buffer, so every element is computed by the same vector code.
template <bool BIAS>
KI void partial(const float* x, const float* b, float* y, int64_t n) {
  if (n <= 0) return;
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  float bx[VEC] = {}, bb[VEC] = {}, by[VEC];
  std::memcpy(bx, x, bytes);
  vf h = loadu(bx);
  if constexpr (BIAS) {
    std::memcpy(bb, b, bytes);
    h += loadu(bb);
  }
  storeu(by, gelu(h));
  std::memcpy(y, by, bytes);
}

// One contiguous run of n elements; b points at the bias of x[0] (unused without BIAS).
template <bool BIAS>
void segment(const float* x, const float* b, float* y, int64_t n) {
  int64_t i = 0;
#if NT
  {
    const uintptr_t mis = reinterpret_cast<uintptr_t>(y) % sizeof(vf);
    int64_t head = mis % sizeof(float) ? 0 : int64_t((sizeof(vf) - mis) % sizeof(vf) / sizeof(float));
    if (head > n) head = n;
    partial<BIAS>(x, b, y, head);
    i = head;
    if (mis % sizeof(float)) {  // y not even float-aligned: no aligned stores possible
      for (; i < n; i += VEC) partial<BIAS>(x + i, b + i, y + i, n - i < VEC ? n - i : VEC);
      return;
    }
  }
#endif
  for (; i + VEC * UNROLL <= n; i += VEC * UNROLL) {
    vf h[UNROLL];
#pragma GCC unroll 8
    for (int u = 0; u < UNROLL; ++u) {
      h[u] = loadu(x + i + u * VEC);
      if constexpr (BIAS) h[u] += loadu(b + i + u * VEC);
    }
#pragma GCC unroll 8
    for (int u = 0; u < UNROLL; ++u) h[u] = gelu(h[u]);
#pragma GCC unroll 8
    for (int u = 0; u < UNROLL; ++u) store(y + i + u * VEC, h[u]);
  }
  for (; i + VEC <= n; i += VEC) {
    vf h = loadu(x + i);
    if constexpr (BIAS) h += loadu(b + i);
    store(y + i, gelu(h));
  }
  partial<BIAS>(x + i, b + i, y + i, n - i);
}

// Flat elements [begin, end) of a [rows, cols] matrix, cut at row ends so the bias index is
// contiguous inside each piece.
template <bool BIAS>
void range(const float* x, const float* bias, float* y, int64_t cols, int64_t begin, int64_t end) {
  int64_t i = begin;
  while (i < end) {
    const int64_t col = i % cols;
    const int64_t stop = end < i - col + cols ? end : i - col + cols;
    segment<BIAS>(x + i, BIAS ? bias + col : x, y + i, stop - i);
    i = stop;
  }
  store_fence();
}

#if CHUNK > 0
// Dynamic schedule: CHUNK-element pieces claimed from a shared counter by whichever thread is
// free, so a worker that starts late or loses its core to another process costs one chunk.
template <bool BIAS>
void claim_chunks(const float* x, const float* bias, float* y, int64_t cols, int64_t total,
                  std::atomic<int64_t>* next) {
  for (;;) {
    const int64_t begin = next->fetch_add(1, std::memory_order_relaxed) * CHUNK;
    if (begin >= total) break;
    range<BIAS>(x, bias, y, cols, begin, total - begin < CHUNK ? total : begin + CHUNK);
  }
}
#endif

template <bool BIAS>
void run(const float* x, const float* bias, float* y, int64_t rows, int64_t cols) {
  const int64_t total = rows * cols;
  if (total <= 0) return;
  if (THREADS <= 1 || total < 2 * 64) {
    range<BIAS>(x, bias, y, cols, 0, total);
    return;
  }
  std::thread workers[THREADS];
#if CHUNK > 0
  // Helpers only while there is more than one chunk to share.
  std::atomic<int64_t> next{0};
  const int64_t chunks = (total + CHUNK - 1) / CHUNK;
  const int helpers = int(THREADS - 1 < chunks - 1 ? THREADS - 1 : chunks - 1);
  for (int t = 1; t <= helpers; ++t) {
    try {
      workers[t] = std::thread(claim_chunks<BIAS>, x, bias, y, cols, total, &next);
    } catch (...) {  // no thread available: the caller claims every chunk
      break;
    }
  }
  claim_chunks<BIAS>(x, bias, y, cols, total, &next);
#else
  // Static schedule: contiguous parts, split on 64-element (256-byte) boundaries so that no
  // output cache line is shared.
  int64_t cut[THREADS + 1];
  cut[0] = 0;
  cut[THREADS] = total;
  for (int t = 1; t < THREADS; ++t) cut[t] = (total * t / THREADS) & ~int64_t(63);
  for (int t = 1; t < THREADS; ++t) {
    try {
      workers[t] = std::thread(range<BIAS>, x, bias, y, cols, cut[t], cut[t + 1]);
    } catch (...) {  // no thread available: do that part here
      range<BIAS>(x, bias, y, cols, cut[t], cut[t + 1]);
    }
  }
  range<BIAS>(x, bias, y, cols, cut[0], cut[1]);
#endif
  for (int t = 1; t < THREADS; ++t)
    if (workers[t].joinable()) workers[t].join();
}

}  // namespace

// gelu: inputs (x[B,N]); bias_gelu: inputs (x[B,N], bias[N]). Output y[B,N].
extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs < 1 || n_inputs > 2 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  float* y = static_cast<float*>(outputs[0].data);
  const kevo_tensor& xt = inputs[0];
  const int64_t cols = xt.ndim > 0 ? xt.shape[xt.ndim - 1] : 1;
  int64_t rows = 1;
  for (int d = 0; d + 1 < xt.ndim; ++d) rows *= xt.shape[d];
  if (n_inputs == 1) {
    run<false>(x, nullptr, y, 1, rows * cols);  // no bias: one flat row
  } else {
    if (inputs[1].shape[0] != cols) return 2;
    run<true>(x, static_cast<const float*>(inputs[1].data), y, rows, cols);
  }
  return 0;
}

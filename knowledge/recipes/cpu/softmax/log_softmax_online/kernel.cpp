// Recipe log_softmax_online: y = x - max - log(sum exp(x - max)) in two sweeps, the first an
// online max + sum.
//
// Why it is fast (the baseline is three scalar passes with a libm expf per element):
//  * sweep 1 reads each element once and keeps a running row max c and the sum of exp(x - c):
//    per step of ACC vectors it takes their max and, only if some lane exceeds c (about
//    ln(N/16/ACC) times per row for random data: a well-predicted branch), moves c up and
//    rescales the ACC partial sums by exp(c_old - c_new). No separate max pass.
//  * sweep 2 is y = x - (c + log(sum)): no exp at all, one subtraction per element. A 32000-float
//    row (125 KiB) is read from DRAM once, then once more from L2, and y written once: the least
//    traffic possible without keeping the row in registers. STREAM=1 writes y with non-temporal
//    stores (no read-for-ownership on cold, large shapes).
//  * exp is computed inline on 16 floats, as 2^t with t = x*log2(e) - c*log2(e) (one FMA),
//    f = t - floor(t) from VREDUCEPS, a degree-POLY minimax polynomial for 2^f on [0,1) and
//    VSCALEFPS for 2^floor(t): about 9 instructions per 16 exps.
//  * PF>0 issues a software prefetch PF cache lines ahead in sweep 1 (the hardware prefetcher
//    may already do this; the knob lets the search decide); THREADS=2 splits the rows.
// Tolerance (allclose 1e-4 / 1e-5): the log-sum-exp error equals the relative error of the sum:
// exp within ~2e-7 (POLY 5/6) or ~3e-6 (POLY 4), a 16*ACC-lane fp32 sum: far inside 1e-4.
#include <cmath>
#include <cstdint>
#include <thread>

#include "kevo_abi.h"

#if defined(__AVX512F__) && defined(__AVX512DQ__)
// GCC 12 reports its own _mm512_undefined_ps() self-initialization inside the intrinsic headers
// as -W(maybe-)uninitialized (GCC PR 105593); silence that for the header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define KV_AVX512 1
#endif

namespace {

// Run f(begin, end) over THREADS contiguous row ranges; the calling thread takes the last one.
template <class F>
void for_rows(int64_t rows, const F& f) {
  const int64_t nt = rows < THREADS ? rows : THREADS;
  if (nt <= 1) {
    if (rows > 0) f(int64_t(0), rows);
    return;
  }
  std::thread pool[THREADS];
  const int64_t per = rows / nt, extra = rows % nt;
  int64_t begin = 0;
  for (int64_t t = 0; t < nt; ++t) {
    const int64_t end = begin + per + (t < extra ? 1 : 0);
    if (t == nt - 1)
      f(begin, end);
    else
      pool[t] = std::thread([&f, begin, end] { f(begin, end); });
    begin = end;
  }
  for (int64_t t = 0; t + 1 < nt; ++t) pool[t].join();
}

#ifdef KV_AVX512

constexpr float kLog2e = 1.44269504088896341f;

// 2^f for f in [0, 1): minimax polynomial (relative error 2.7e-6 / 1.5e-7 / 8e-8 in fp32).
inline __m512 exp2_frac(__m512 f) {
#if POLY == 4
  __m512 p = _mm512_set1_ps(1.353416778e-02f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.201146007e-02f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.414427549e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.930038333e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.000002623e+00f));
#elif POLY == 5
  __m512 p = _mm512_set1_ps(1.877576695e-03f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(8.989339694e-03f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.582631752e-02f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.401536107e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931530833e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.999999404e-01f));
#else
  __m512 p = _mm512_set1_ps(2.170225634e-04f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.243968727e-03f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.678840637e-03f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.548334122e-02f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402298301e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931470037e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
#endif
  return p;
}

// exp(x - m) given nml = -m*log2(e). t is clamped at -200 so that -inf (or a NaN from
// -inf - -inf) gives 0, and scalef flushes anything below 2^-149 to 0.
inline __m512 exp_shift(__m512 x, __m512 nml) {
  __m512 t = _mm512_fmadd_ps(x, _mm512_set1_ps(kLog2e), nml);
  t = _mm512_max_ps(t, _mm512_set1_ps(-200.0f));
  const __m512 f = _mm512_reduce_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  return _mm512_scalef_ps(exp2_frac(f), t);
}

inline __mmask16 tail_mask(int64_t rem) { return static_cast<__mmask16>((1u << rem) - 1u); }

inline float hmax(__m512 v) {
  __m256 a = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 b = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  b = _mm_max_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_max_ss(b, _mm_shuffle_ps(b, b, 1)));
}

inline float hsum(__m512 v) {
  __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  b = _mm_add_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_add_ss(b, _mm_shuffle_ps(b, b, 1)));
}

// y[0, n) = full(j) for whole vectors, part(j, mask) for the tail. STREAM=1: peel to a 64-byte
// boundary of y, then non-temporal full-line stores.
template <class Full, class Part>
inline void store_row(float* y, int64_t n, const Full& full, const Part& part) {
  int64_t i = 0;
#if STREAM
  if ((reinterpret_cast<uintptr_t>(y) & 3u) == 0) {
    const int64_t head = static_cast<int64_t>(((64u - (reinterpret_cast<uintptr_t>(y) & 63u)) & 63u) / 4u);
    if (head > 0) {
      const int64_t h = head < n ? head : n;
      const __mmask16 k = tail_mask(h);
      _mm512_mask_storeu_ps(y, k, part(0, k));
      i = h;
    }
    for (; i + 16 <= n; i += 16) _mm512_stream_ps(y + i, full(i));
  }
#endif
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, full(i));
  if (i < n) {
    const __mmask16 k = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, k, part(i, k));
  }
}

// One row.
void log_softmax_row(const float* x, float* y, int64_t n) {
  constexpr int64_t U = 16 * ACC;
  // Sweep 1: online max and sum. c is the running max (uniform over the lanes), s[] the partial
  // sums of exp(x - c).
  float c = -INFINITY;
  __m512 cv = _mm512_set1_ps(c), nml = _mm512_setzero_ps();
  __m512 s[ACC];
  for (int a = 0; a < ACC; ++a) s[a] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + U <= n; i += U) {
    if (PF > 0) _mm_prefetch(reinterpret_cast<const char*>(x + i + 16 * PF), _MM_HINT_T0);
    __m512 v[ACC];
    for (int a = 0; a < ACC; ++a) v[a] = _mm512_loadu_ps(x + i + 16 * a);
    __m512 bm = v[0];
    for (int a = 1; a < ACC; ++a) bm = _mm512_max_ps(bm, v[a]);
    if (_mm512_cmp_ps_mask(bm, cv, _CMP_GT_OQ)) {
      // Rare: a lane exceeds the running max. Move c up to the block max and rescale the partial
      // sums (by exp(-inf) = 0 on the first block). Inline rather than a lambda, so that s[]
      // stays in registers.
      const float cn = hmax(bm);
      const __m512 scale = _mm512_set1_ps(std::exp(c - cn));
      for (int a = 0; a < ACC; ++a) s[a] = _mm512_mul_ps(s[a], scale);
      c = cn;
      cv = _mm512_set1_ps(c);
      nml = _mm512_set1_ps(-c * kLog2e);
    }
    for (int a = 0; a < ACC; ++a) s[a] = _mm512_add_ps(s[a], exp_shift(v[a], nml));
  }
  for (; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    const __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), k, x + i);
    if (_mm512_cmp_ps_mask(v, cv, _CMP_GT_OQ)) {
      const float cn = hmax(v);
      const __m512 scale = _mm512_set1_ps(std::exp(c - cn));
      for (int a = 0; a < ACC; ++a) s[a] = _mm512_mul_ps(s[a], scale);
      c = cn;
      cv = _mm512_set1_ps(c);
      nml = _mm512_set1_ps(-c * kLog2e);
    }
    s[0] = _mm512_mask_add_ps(s[0], k, s[0], exp_shift(v, nml));
  }
  for (int a = 1; a < ACC; ++a) s[0] = _mm512_add_ps(s[0], s[a]);
  const __m512 shift = _mm512_set1_ps(c + std::log(hsum(s[0])));
  store_row(y, n, [&](int64_t j) { return _mm512_sub_ps(_mm512_loadu_ps(x + j), shift); },
            [&](int64_t j, __mmask16 k) { return _mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), shift); });
}

#else  // portable fallback: the same online sweep in scalar code with libm exp (correct, not fast);
       // 8 interleaved (max, sum) lanes keep the fp32 sums short, combined at the end

void log_softmax_row(const float* x, float* y, int64_t n) {
  float c[8], s[8];
  for (int l = 0; l < 8; ++l) c[l] = -INFINITY, s[l] = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    const int l = static_cast<int>(i & 7);
    if (x[i] > c[l]) {
      s[l] *= std::exp(c[l] - x[i]);
      c[l] = x[i];
    }
    s[l] += std::exp(x[i] - c[l]);
  }
  float m = c[0];
  for (int l = 1; l < 8; ++l) m = c[l] > m ? c[l] : m;
  float sum = 0.0f;
  for (int l = 0; l < 8; ++l)
    if (s[l] > 0.0f) sum += s[l] * std::exp(c[l] - m);
  const float shift = m + std::log(sum);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] - shift;
}

#endif

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  if (rows <= 0 || cols <= 0) return 0;
  for_rows(rows, [&](int64_t r0, int64_t r1) {
    for (int64_t b = r0; b < r1; ++b) log_softmax_row(x + b * cols, y + b * cols, cols);
#ifdef KV_AVX512
    _mm_sfence();  // order the non-temporal stores before the join / return
#endif
  });
  return 0;
}

// Recipe layernorm_two_pass: row-parallel LayerNorm, exact two-pass statistics (AVX-512).
//
// Why it is fast (the baseline's mean and variance are two sequential fp32 chains, one element
// per add latency each):
//  * the mean pass and the centered variance pass sum((x - mu)^2) run on ACC independent
//    16-float accumulators, so they are limited by load bandwidth, not add/FMA latency. The mean
//    pass is the row's only DRAM read; the variance and output passes find the row in L1 (a
//    1024-float row is 4 KiB), so the numerically exact two-pass form costs almost nothing extra.
//  * the output pass is y = (x * rstd + (-mu * rstd)) * gamma + beta: two FMAs per element.
//    STREAM=1 writes y with non-temporal stores (no read-for-ownership: 4 instead of 8 bytes of
//    DRAM traffic per output element on cold, large shapes).
//  * PF>0 prefetches the row PF rows ahead during the output pass, so the next row's DRAM fetch
//    overlaps this row's arithmetic.
//  * THREADS=2 splits the rows over both cores; 1 avoids the ~20-50 us thread start-up on small,
//    warm shapes.
// Tolerance (allclose 1e-4 / 1e-4): mu and var from 16*ACC-lane fp32 sums are within a few 1e-7
// relative for N = 1024; rstd = 1/sqrtf is correctly rounded: far inside 1e-4.
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

inline __mmask16 tail_mask(int64_t rem) { return static_cast<__mmask16>((1u << rem) - 1u); }

inline float hsum(__m512 v) {
  __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  b = _mm_add_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_add_ss(b, _mm_shuffle_ps(b, b, 1)));
}

// y[0, n) = full(j) for whole vectors, part(j, mask) for the tail. STREAM=1: peel to a 64-byte
// boundary of y, then non-temporal full-line stores (no read-for-ownership of y).
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

void ln_row(const float* x, const float* g, const float* be, float* y, int64_t n, const float* pf) {
  constexpr int64_t U = 16 * ACC;
  const float inv_n = 1.0f / static_cast<float>(n);
  // Pass 1: mean.
  __m512 acc[ACC];
  for (int a = 0; a < ACC; ++a) acc[a] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + U <= n; i += U)
    for (int a = 0; a < ACC; ++a) acc[a] = _mm512_add_ps(acc[a], _mm512_loadu_ps(x + i + 16 * a));
  for (; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    acc[0] = _mm512_add_ps(acc[0], _mm512_maskz_loadu_ps(k, x + i));
  }
  for (int a = 1; a < ACC; ++a) acc[0] = _mm512_add_ps(acc[0], acc[a]);
  const float mu = hsum(acc[0]) * inv_n;
  const __m512 muv = _mm512_set1_ps(mu);
  // Pass 2: biased variance about the mean (the row is in L1 now).
  for (int a = 0; a < ACC; ++a) acc[a] = _mm512_setzero_ps();
  i = 0;
  for (; i + U <= n; i += U)
    for (int a = 0; a < ACC; ++a) {
      const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16 * a), muv);
      acc[a] = _mm512_fmadd_ps(d, d, acc[a]);
    }
  for (; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    const __m512 d = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + i), muv);
    acc[0] = _mm512_fmadd_ps(d, d, acc[0]);
  }
  for (int a = 1; a < ACC; ++a) acc[0] = _mm512_add_ps(acc[0], acc[a]);
  const float rstd = 1.0f / std::sqrt(hsum(acc[0]) * inv_n + 1e-5f);
  // Pass 3: y = (x - mu) * rstd * gamma + beta, as fma(fma(x, rstd, -mu*rstd), gamma, beta).
  const __m512 a1 = _mm512_set1_ps(rstd), c1 = _mm512_set1_ps(-mu * rstd);
  store_row(
      y, n,
      [&](int64_t j) {
        if (pf) _mm_prefetch(reinterpret_cast<const char*>(pf + j), _MM_HINT_T0);
        return _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_loadu_ps(x + j), a1, c1), _mm512_loadu_ps(g + j),
                               _mm512_loadu_ps(be + j));
      },
      [&](int64_t j, __mmask16 k) {
        return _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + j), a1, c1),
                               _mm512_maskz_loadu_ps(k, g + j), _mm512_maskz_loadu_ps(k, be + j));
      });
}

#else  // portable fallback: the same three passes with 8 partial sums (-O3 vectorizes them)

void ln_row(const float* x, const float* g, const float* be, float* y, int64_t n, const float*) {
  const float inv_n = 1.0f / static_cast<float>(n);
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int a = 0; a < 8; ++a) acc[a] += x[i + a];
  for (; i < n; ++i) acc[0] += x[i];
  float s = 0.0f;
  for (int a = 0; a < 8; ++a) s += acc[a];
  const float mu = s * inv_n;
  for (int a = 0; a < 8; ++a) acc[a] = 0.0f;
  for (i = 0; i + 8 <= n; i += 8)
    for (int a = 0; a < 8; ++a) acc[a] += (x[i + a] - mu) * (x[i + a] - mu);
  for (; i < n; ++i) acc[0] += (x[i] - mu) * (x[i] - mu);
  s = 0.0f;
  for (int a = 0; a < 8; ++a) s += acc[a];
  const float rstd = 1.0f / std::sqrt(s * inv_n + 1e-5f);
  for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mu) * rstd * g[j] + be[j];
}

#endif

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 3 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  const float* gamma = static_cast<const float*>(inputs[1].data);
  const float* beta = static_cast<const float*>(inputs[2].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  if (inputs[1].shape[0] != cols || inputs[2].shape[0] != cols) return 2;
  if (rows <= 0 || cols <= 0) return 0;
  for_rows(rows, [&](int64_t r0, int64_t r1) {
    for (int64_t b = r0; b < r1; ++b) {
      const float* pf = (PF > 0 && b + PF < r1) ? x + (b + PF) * cols : nullptr;
      ln_row(x + b * cols, gamma, beta, y + b * cols, cols, pf);
    }
#ifdef KV_AVX512
    _mm_sfence();  // order the non-temporal stores before the join / return
#endif
  });
  return 0;
}

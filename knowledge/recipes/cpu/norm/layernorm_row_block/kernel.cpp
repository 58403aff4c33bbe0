// Recipe layernorm_row_block: LayerNorm over blocks of ROWS rows, one-pass shifted moments.
//
// Why it is fast (the baseline's mean and variance are two sequential fp32 chains):
//  * one sweep computes, for ROWS rows together, S1 = sum(x - K) and S2 = sum((x - K)^2) on
//    ROWS*ACC pairs of 16-float accumulators (an add and an FMA per element), where K is the
//    mean of the row's first 16 elements: mu = K + S1/N, var = S2/N - (S1/N)^2. Shifting by K
//    (close to mu) removes the cancellation that makes the plain E[x^2] - mu^2 inaccurate when
//    the mean is large against the spread; no second statistics pass.
//  * ROWS concurrent sequential DRAM streams per thread (more memory-level parallelism).
//  * the output is y = fma(fma(x, rstd, -mu*rstd), gamma, beta). LOOP=0 walks the columns once
//    for the block, each gamma and beta vector loaded once and used by ROWS rows; LOOP=1 writes
//    the rows one after the other, which avoids L1 set conflicts when the row stride is a
//    multiple of 4 KiB. The block's rows come back from L1/L2. STREAM=1 writes y with
//    non-temporal stores (no read-for-ownership).
//  * THREADS=2 splits the rows over both cores; leftover rows go one at a time.
// Tolerance (allclose 1e-4 / 1e-4): with the shift, S2/N - (S1/N)^2 loses at most a factor
// ~(1 + (K - mu)^2 / var) of fp32 precision, about 1e-6 relative here: inside 1e-4.
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

// R rows starting at x (row stride n).
template <int R>
void ln_block(const float* x, const float* g, const float* be, float* y, int64_t n) {
  constexpr int64_t U = 16 * ACC;
  const float inv_n = 1.0f / static_cast<float>(n);
  const __mmask16 k0 = n >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n);
  const float n0 = static_cast<float>(n >= 16 ? 16 : n);
  __m512 kv[R], s1[R][ACC], s2[R][ACC];
  float kshift[R];
  for (int r = 0; r < R; ++r) {
    kshift[r] = hsum(_mm512_maskz_loadu_ps(k0, x + r * n)) / n0;
    kv[r] = _mm512_set1_ps(kshift[r]);
    for (int a = 0; a < ACC; ++a) s1[r][a] = s2[r][a] = _mm512_setzero_ps();
  }
  int64_t i = 0;
  for (; i + U <= n; i += U)
    for (int r = 0; r < R; ++r)
      for (int a = 0; a < ACC; ++a) {
        const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + r * n + i + 16 * a), kv[r]);
        s1[r][a] = _mm512_add_ps(s1[r][a], d);
        s2[r][a] = _mm512_fmadd_ps(d, d, s2[r][a]);
      }
  for (; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    for (int r = 0; r < R; ++r) {
      const __m512 d = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + r * n + i), kv[r]);
      s1[r][0] = _mm512_add_ps(s1[r][0], d);
      s2[r][0] = _mm512_fmadd_ps(d, d, s2[r][0]);
    }
  }
  __m512 av[R], cv[R];
  for (int r = 0; r < R; ++r) {
    for (int a = 1; a < ACC; ++a) {
      s1[r][0] = _mm512_add_ps(s1[r][0], s1[r][a]);
      s2[r][0] = _mm512_add_ps(s2[r][0], s2[r][a]);
    }
    const float m1 = hsum(s1[r][0]) * inv_n;
    float var = hsum(s2[r][0]) * inv_n - m1 * m1;
    var = var > 0.0f ? var : 0.0f;
    const float mu = kshift[r] + m1;
    const float rstd = 1.0f / std::sqrt(var + 1e-5f);
    av[r] = _mm512_set1_ps(rstd);
    cv[r] = _mm512_set1_ps(-mu * rstd);
  }
  // Output. LOOP=0: column-major over the block, each gamma/beta vector loaded once for all R
  // rows. LOOP=1: row by row (fewer concurrent streams: rows N*4 bytes apart map to the same L1
  // sets when N*4 is a multiple of 4 KiB, and 2R+2 streams overflow its 8 ways for R >= 4).
#if LOOP == 0
#if STREAM
  // Rows share a stride, so they share a 64-byte alignment only when n is a multiple of 16;
  // otherwise fall through to the row-by-row path, where store_row peels each row's head.
  const bool colmajor = (reinterpret_cast<uintptr_t>(y) & 63u) == 0 && n % 16 == 0;
#else
  const bool colmajor = true;
#endif
  if (colmajor) {
    i = 0;
    for (; i + 16 <= n; i += 16) {
      const __m512 gv = _mm512_loadu_ps(g + i), bv = _mm512_loadu_ps(be + i);
      for (int r = 0; r < R; ++r) {
        const __m512 o = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_loadu_ps(x + r * n + i), av[r], cv[r]), gv, bv);
#if STREAM
        _mm512_stream_ps(y + r * n + i, o);
#else
        _mm512_storeu_ps(y + r * n + i, o);
#endif
      }
    }
    if (i < n) {  // only when STREAM == 0 (colmajor with STREAM needs n % 16 == 0)
      const __mmask16 k = tail_mask(n - i);
      const __m512 gv = _mm512_maskz_loadu_ps(k, g + i), bv = _mm512_maskz_loadu_ps(k, be + i);
      for (int r = 0; r < R; ++r) _mm512_mask_storeu_ps(y + r * n + i, k, _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + r * n + i), av[r], cv[r]), gv, bv));
    }
    return;
  }
#endif
  for (int r = 0; r < R; ++r) {
    const float* xr = x + r * n;
    const __m512 a1 = av[r], c1 = cv[r];
    store_row(
        y + r * n, n,
        [&](int64_t j) { return _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_loadu_ps(xr + j), a1, c1), _mm512_loadu_ps(g + j),
                               _mm512_loadu_ps(be + j)); },
        [&](int64_t j, __mmask16 k) { return _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, xr + j), a1, c1),
                               _mm512_maskz_loadu_ps(k, g + j), _mm512_maskz_loadu_ps(k, be + j)); });
  }
}

#else  // portable fallback: the same shifted one-pass moments in plain loops

template <int R>
void ln_block(const float* x, const float* g, const float* be, float* y, int64_t n) {
  const float inv_n = 1.0f / static_cast<float>(n);
  float av[R], cv[R];
  for (int r = 0; r < R; ++r) {
    const float* xr = x + r * n;
    const int64_t n0 = n >= 16 ? 16 : n;
    float k = 0.0f;
    for (int64_t i = 0; i < n0; ++i) k += xr[i];
    k /= static_cast<float>(n0);
    float s1[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s2[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int a = 0; a < 8; ++a) {
        const float d = xr[i + a] - k;
        s1[a] += d;
        s2[a] += d * d;
      }
    for (; i < n; ++i) {
      const float d = xr[i] - k;
      s1[0] += d;
      s2[0] += d * d;
    }
    float t1 = 0.0f, t2 = 0.0f;
    for (int a = 0; a < 8; ++a) {
      t1 += s1[a];
      t2 += s2[a];
    }
    const float m1 = t1 * inv_n;
    float var = t2 * inv_n - m1 * m1;
    var = var > 0.0f ? var : 0.0f;
    const float rstd = 1.0f / std::sqrt(var + 1e-5f);
    av[r] = rstd;
    cv[r] = -(k + m1) * rstd;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int r = 0; r < R; ++r) y[r * n + i] = (x[r * n + i] * av[r] + cv[r]) * g[i] + be[i];
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
    int64_t b = r0;
    for (; b + ROWS <= r1; b += ROWS) ln_block<ROWS>(x + b * cols, gamma, beta, y + b * cols, cols);
    for (; b < r1; ++b) ln_block<1>(x + b * cols, gamma, beta, y + b * cols, cols);
#ifdef KV_AVX512
    _mm_sfence();  // order the non-temporal stores before the join / return
#endif
  });
  return 0;
}

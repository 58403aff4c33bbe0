// Recipe rmsnorm_row_block: RMSNorm over blocks of ROWS rows processed together.
//
// Why it is fast (the baseline's sum of squares is a sequential fp32 chain, one element per FMA
// latency, ~4 cycles each):
//  * ROWS rows are reduced in one loop: ROWS*ACC independent FMA accumulators, and ROWS
//    concurrent sequential streams from DRAM per thread (more memory-level parallelism than
//    one row at a time; the hardware prefetcher tracks each stream).
//  * LOOP=0: the scaling pass walks the columns once for the whole block, each gamma vector
//    loaded once and used for ROWS rows (y_r = x_r * r_r * gamma), the block's rows coming back
//    from L1/L2 (ROWS * N * 4 bytes: keep it within L2). LOOP=1 scales the rows one after the
//    other, which avoids L1 set conflicts when the row stride is a multiple of 4 KiB.
//  * STREAM=1 writes y with non-temporal stores (no read-for-ownership: 4 instead of 8 bytes of
//    DRAM traffic per output element on cold, large shapes).
//  * THREADS=2 splits the rows over both cores; rows left over after the last full block are
//    done one at a time.
// Tolerance (allclose 1e-5 / 1e-4): a 16*ACC-lane fp32 sum of N squares is within a few 1e-7
// relative, r = 1/sqrtf is correctly rounded: far inside rtol 1e-4.
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
void rms_block(const float* x, const float* g, float* y, int64_t n) {
  constexpr int64_t U = 16 * ACC;
  __m512 acc[R][ACC];
  for (int r = 0; r < R; ++r)
    for (int a = 0; a < ACC; ++a) acc[r][a] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + U <= n; i += U)
    for (int r = 0; r < R; ++r)
      for (int a = 0; a < ACC; ++a) {
        const __m512 v = _mm512_loadu_ps(x + r * n + i + 16 * a);
        acc[r][a] = _mm512_fmadd_ps(v, v, acc[r][a]);
      }
  for (; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    for (int r = 0; r < R; ++r) {
      const __m512 v = _mm512_maskz_loadu_ps(k, x + r * n + i);
      acc[r][0] = _mm512_fmadd_ps(v, v, acc[r][0]);
    }
  }
  __m512 rs[R];
  for (int r = 0; r < R; ++r) {
    for (int a = 1; a < ACC; ++a) acc[r][0] = _mm512_add_ps(acc[r][0], acc[r][a]);
    rs[r] = _mm512_set1_ps(1.0f / std::sqrt(hsum(acc[r][0]) / static_cast<float>(n) + 1e-6f));
  }
  // Scaling. LOOP=0: column-major over the block, each gamma vector loaded once for all R rows.
  // LOOP=1: row by row (fewer concurrent streams: rows N*4 bytes apart map to the same L1 sets
  // when N*4 is a multiple of 4 KiB, and 2R+1 streams overflow its 8 ways for R >= 4).
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
      const __m512 gv = _mm512_loadu_ps(g + i);
      for (int r = 0; r < R; ++r) {
        const __m512 o = _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + r * n + i), rs[r]), gv);
#if STREAM
        _mm512_stream_ps(y + r * n + i, o);
#else
        _mm512_storeu_ps(y + r * n + i, o);
#endif
      }
    }
    if (i < n) {  // only when STREAM == 0 (colmajor with STREAM needs n % 16 == 0)
      const __mmask16 k = tail_mask(n - i);
      const __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
      for (int r = 0; r < R; ++r)
        _mm512_mask_storeu_ps(y + r * n + i, k,
                              _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + r * n + i), rs[r]), gv));
    }
    return;
  }
#endif
  for (int r = 0; r < R; ++r) {
    const float* xr = x + r * n;
    const __m512 rv = rs[r];
    store_row(
        y + r * n, n,
        [&](int64_t j) { return _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(xr + j), rv), _mm512_loadu_ps(g + j)); },
        [&](int64_t j, __mmask16 k) {
          return _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, xr + j), rv), _mm512_maskz_loadu_ps(k, g + j));
        });
  }
}

#else  // portable fallback: the same row blocks in plain loops (-O3 vectorizes the scaling)

template <int R>
void rms_block(const float* x, const float* g, float* y, int64_t n) {
  float rs[R];
  for (int r = 0; r < R; ++r) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const float* xr = x + r * n;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int a = 0; a < 8; ++a) acc[a] += xr[i + a] * xr[i + a];
    for (; i < n; ++i) acc[0] += xr[i] * xr[i];
    float ss = 0.0f;
    for (int a = 0; a < 8; ++a) ss += acc[a];
    rs[r] = 1.0f / std::sqrt(ss / static_cast<float>(n) + 1e-6f);
  }
  for (int64_t i = 0; i < n; ++i)
    for (int r = 0; r < R; ++r) y[r * n + i] = x[r * n + i] * rs[r] * g[i];
}

#endif

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  const float* gamma = static_cast<const float*>(inputs[1].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  if (inputs[1].shape[0] != cols) return 2;
  if (rows <= 0 || cols <= 0) return 0;
  for_rows(rows, [&](int64_t r0, int64_t r1) {
    int64_t b = r0;
    for (; b + ROWS <= r1; b += ROWS) rms_block<ROWS>(x + b * cols, gamma, y + b * cols, cols);
    for (; b < r1; ++b) rms_block<1>(x + b * cols, gamma, y + b * cols, cols);
#ifdef KV_AVX512
    _mm_sfence();  // order the non-temporal stores before the join / return
#endif
  });
  return 0;
}

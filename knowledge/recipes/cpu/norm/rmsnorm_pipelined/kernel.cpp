// Recipe rmsnorm_pipelined: software-pipelined RMSNorm, one fused sweep per row that writes
// row b while it reduces row b+1.
//
// Why it is fast (the baseline's sum of squares is a sequential fp32 chain, one element per FMA
// latency, ~4 cycles each):
//  * a row-parallel two-pass kernel alternates a load-only pass (the sum of squares, which waits
//    on DRAM or L2) with a store-heavy pass (the scaling), so each pass leaves half the machine
//    idle. Here every loop step does both: it loads the next row's vectors into ACC independent
//    FMA accumulators (that row's only DRAM read) and scales the current row, which the previous
//    sweep left in L1. The memory stream never pauses between passes, the load and store units
//    work together, and only two rows (2 * N * 4 bytes) need to stay in L1.
//  * STREAM=1 writes y with non-temporal stores (no read-for-ownership: 4 instead of 8 bytes of
//    DRAM traffic per output element on cold, large shapes).
//  * THREADS=2 splits the rows over both cores; each thread runs its own pipeline (a prologue
//    reduces its first row).
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

inline float rms_scale(float ss, int64_t n) {
  return 1.0f / std::sqrt(ss / static_cast<float>(n) + 1e-6f);
}

// Sum of squares of x[0, n), ACC accumulators.
float sumsq(const float* x, int64_t n) {
  constexpr int64_t U = 16 * ACC;
  __m512 acc[ACC];
  for (int a = 0; a < ACC; ++a) acc[a] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + U <= n; i += U)
    for (int a = 0; a < ACC; ++a) {
      const __m512 v = _mm512_loadu_ps(x + i + 16 * a);
      acc[a] = _mm512_fmadd_ps(v, v, acc[a]);
    }
  for (; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(k, x + i);
    acc[0] = _mm512_fmadd_ps(v, v, acc[0]);
  }
  for (int a = 1; a < ACC; ++a) acc[0] = _mm512_add_ps(acc[0], acc[a]);
  return hsum(acc[0]);
}

// y = x * r * g for one row while summing the squares of xn (the next row; nullptr for none).
float scale_and_reduce(const float* x, const float* g, float* y, int64_t n, float r, const float* xn) {
  constexpr int64_t U = 16 * ACC;
  const __m512 rv = _mm512_set1_ps(r);
  __m512 acc[ACC];
  for (int a = 0; a < ACC; ++a) acc[a] = _mm512_setzero_ps();
  int64_t i = 0;
#if STREAM
  const bool nt = (reinterpret_cast<uintptr_t>(y) & 63u) == 0;  // else ordinary stores
#endif
  if (xn) {
    for (; i + U <= n; i += U)
      for (int a = 0; a < ACC; ++a) {
        const __m512 v = _mm512_loadu_ps(xn + i + 16 * a);
        acc[a] = _mm512_fmadd_ps(v, v, acc[a]);
        const __m512 o = _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i + 16 * a), rv), _mm512_loadu_ps(g + i + 16 * a));
#if STREAM
        if (nt) {
          _mm512_stream_ps(y + i + 16 * a, o);
          continue;
        }
#endif
        _mm512_storeu_ps(y + i + 16 * a, o);
      }
  } else {
    for (; i + U <= n; i += U)
      for (int a = 0; a < ACC; ++a) {
        const __m512 o = _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + i + 16 * a), rv), _mm512_loadu_ps(g + i + 16 * a));
#if STREAM
        if (nt) {
          _mm512_stream_ps(y + i + 16 * a, o);
          continue;
        }
#endif
        _mm512_storeu_ps(y + i + 16 * a, o);
      }
  }
  for (; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : tail_mask(n - i);
    if (xn) {
      const __m512 v = _mm512_maskz_loadu_ps(k, xn + i);
      acc[0] = _mm512_fmadd_ps(v, v, acc[0]);
    }
    _mm512_mask_storeu_ps(y + i, k, _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), rv), _mm512_maskz_loadu_ps(k, g + i)));
  }
  for (int a = 1; a < ACC; ++a) acc[0] = _mm512_add_ps(acc[0], acc[a]);
  return hsum(acc[0]);
}

#else  // portable fallback: the same pipeline in plain loops (-O3 vectorizes the scaling)

inline float rms_scale(float ss, int64_t n) {
  return 1.0f / std::sqrt(ss / static_cast<float>(n) + 1e-6f);
}

float sumsq(const float* x, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t i = 0; i < n; ++i) acc[i & 7] += x[i] * x[i];
  float s = 0.0f;
  for (int a = 0; a < 8; ++a) s += acc[a];
  return s;
}

float scale_and_reduce(const float* x, const float* g, float* y, int64_t n, float r, const float* xn) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * r * g[i];
  return xn ? sumsq(xn, n) : 0.0f;
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
    float ss = sumsq(x + r0 * cols, cols);  // prologue: the first row's statistics
    for (int64_t b = r0; b < r1; ++b) {
      const float* next = b + 1 < r1 ? x + (b + 1) * cols : nullptr;
      ss = scale_and_reduce(x + b * cols, gamma, y + b * cols, cols, rms_scale(ss, cols), next);
    }
#ifdef KV_AVX512
    _mm_sfence();  // order the non-temporal stores before the join / return
#endif
  });
  return 0;
}

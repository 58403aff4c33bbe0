// Recipe rmsnorm_two_pass: row-parallel RMSNorm, a sum-of-squares pass then a scaling pass.
//
// Why it is fast (the baseline's sum of squares is a sequential fp32 chain, one element per FMA
// latency, ~4 cycles each):
//  * the sum of squares runs on ACC independent 16-float FMA accumulators, so it is limited by
//    load bandwidth instead of FMA latency; the row is read from DRAM once by this pass.
//  * the scaling pass y = x * r * gamma reads the row again from L1/L2 (a 4096-float row is
//    16 KiB) and gamma from L1; STREAM=1 writes y with non-temporal stores, so y costs 4 bytes of
//    DRAM traffic per element instead of 8 (no read-for-ownership) on cold, large shapes.
//  * PF>0 prefetches the row PF rows ahead during the scaling pass, so its DRAM fetch overlaps
//    the arithmetic of this row instead of stalling the next sum-of-squares pass.
//  * THREADS=2 splits the rows over both cores (both memory streams are needed to approach the
//    DRAM bandwidth); 1 avoids the ~20-50 us thread start-up on small, warm shapes.
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

void rms_row(const float* x, const float* g, float* y, int64_t n, const float* pf) {
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
  const __m512 r = _mm512_set1_ps(1.0f / std::sqrt(hsum(acc[0]) / static_cast<float>(n) + 1e-6f));
  store_row(
      y, n,
      [&](int64_t j) {
        if (pf) _mm_prefetch(reinterpret_cast<const char*>(pf + j), _MM_HINT_T0);
        return _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + j), r), _mm512_loadu_ps(g + j));
      },
      [&](int64_t j, __mmask16 k) {
        return _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + j), r), _mm512_maskz_loadu_ps(k, g + j));
      });
}

#else  // portable fallback: the same two passes; -O3 vectorizes the scaling pass

void rms_row(const float* x, const float* g, float* y, int64_t n, const float*) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int a = 0; a < 8; ++a) acc[a] += x[i + a] * x[i + a];
  for (; i < n; ++i) acc[0] += x[i] * x[i];
  float ss = 0.0f;
  for (int a = 0; a < 8; ++a) ss += acc[a];
  const float r = 1.0f / std::sqrt(ss / static_cast<float>(n) + 1e-6f);
  for (int64_t j = 0; j < n; ++j) y[j] = x[j] * r * g[j];
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
    for (int64_t b = r0; b < r1; ++b) {
      const float* pf = (PF > 0 && b + PF < r1) ? x + (b + PF) * cols : nullptr;
      rms_row(x + b * cols, gamma, y + b * cols, cols, pf);
    }
#ifdef KV_AVX512
    _mm_sfence();  // order the non-temporal stores before the join / return
#endif
  });
  return 0;
}

// Recipe norm_bf16_fused_moments: bf16 LayerNorm and RMSNorm (fp32 statistics) with all the
// statistics of ROWS rows in one sweep over the bf16 data, then one output sweep that re-reads
// the rows from L1/L2. One source for both problems: three inputs (x, gamma, beta) make it
// layernorm_bf16, two (x, gamma) rmsnorm_bf16.
//
// Why it is fast:
//  * One statistics sweep. LayerNorm accumulates the shifted moments sum(d) and sum(d^2), d =
//    x - K with K the row's first element, together (E[d^2] - E[d]^2 stays accurate because K
//    is within a few standard deviations of the mean: the cancellation costs about one bit here,
//    against a tolerance far above fp32 rounding); RMSNorm accumulates sum(x^2). No buffer and
//    no second statistics pass: x is read twice in total, the second time from cache.
//  * ROWS rows at once: ROWS * ACC independent accumulators per moment and ROWS concurrent
//    sequential DRAM streams per thread, more memory-level parallelism than one row at a time;
//    the block's rows (ROWS * N * 2 bytes) are still in L1/L2 for the output sweep.
//  * Widening is exact (zero extend + 16-bit shift); y is rounded to bf16 16 values at a time
//    (vcvtneps2bf16 with AVX512-BF16, else the round-to-nearest-even bit trick).
//  * THREADS = 2 splits the rows over both cores; leftover rows go one at a time.
#include <cmath>
#include <cstdint>
#include <thread>

#include "kevo_abi.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
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

inline __mmask16 tail_mask(int64_t rem) {
  return rem >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << rem) - 1u);
}
inline __m512 widen(const uint16_t* p, __mmask16 k) {
  return _mm512_castsi512_ps(
      _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, p)), 16));
}
inline void narrow_store(uint16_t* p, __mmask16 k, __m512 v) {
#ifdef __AVX512BF16__
  const __m256i h = (__m256i)_mm512_cvtneps_pbh(v);
#else
  const __m512i u = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                                _mm512_set1_epi32(0x7f800000));
  r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
  const __m256i h = _mm512_cvtepi32_epi16(r);
#endif
  _mm256_mask_storeu_epi16(p, k, h);
}

// R rows starting at x (row stride n). LN: beta != nullptr.
template <int R>
void norm_block(const uint16_t* x, const uint16_t* g, const uint16_t* b, uint16_t* y, int64_t n) {
  const bool ln = b != nullptr;
  __m512 s1[R][ACC], s2[R][ACC], shift[R];
  for (int r = 0; r < R; ++r) {
    shift[r] = _mm512_set1_ps(ln ? kevo_bf16_to_f32(x[r * n]) : 0.0f);
    for (int a = 0; a < ACC; ++a) s1[r][a] = s2[r][a] = _mm512_setzero_ps();
  }
  // The statistics sweep: every row of the block, ACC vectors per row per step.
  int64_t i = 0;
  for (; i + 16 * ACC <= n; i += 16 * ACC)
    for (int r = 0; r < R; ++r)
      for (int a = 0; a < ACC; ++a) {
        const __m512 d = _mm512_sub_ps(widen(x + r * n + i + 16 * a, 0xFFFF), shift[r]);
        s1[r][a] = _mm512_add_ps(s1[r][a], d);
        s2[r][a] = _mm512_fmadd_ps(d, d, s2[r][a]);
      }
  for (; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    for (int r = 0; r < R; ++r) {
      const __m512 d = _mm512_maskz_sub_ps(k, widen(x + r * n + i, k), shift[r]);
      s1[r][0] = _mm512_add_ps(s1[r][0], d);
      s2[r][0] = _mm512_fmadd_ps(d, d, s2[r][0]);
    }
  }
  // Per row: y = x * scale + offset (LN: scale = rstd, offset = -mu * rstd before gamma).
  for (int r = 0; r < R; ++r) {
    for (int a = 1; a < ACC; ++a) {
      s1[r][0] = _mm512_add_ps(s1[r][0], s1[r][a]);
      s2[r][0] = _mm512_add_ps(s2[r][0], s2[r][a]);
    }
    const float inv_n = 1.0f / static_cast<float>(n);
    const float m2 = _mm512_reduce_add_ps(s2[r][0]) * inv_n;
    float mu = 0.0f, rstd;
    if (ln) {
      const float md = _mm512_reduce_add_ps(s1[r][0]) * inv_n;  // mean of d
      const float var = std::fmax(m2 - md * md, 0.0f);
      mu = kevo_bf16_to_f32(x[r * n]) + md;
      rstd = 1.0f / std::sqrt(var + 1e-5f);
    } else {
      rstd = 1.0f / std::sqrt(m2 + 1e-6f);
    }
    const __m512 muv = _mm512_set1_ps(mu), rv = _mm512_set1_ps(rstd);
    const uint16_t* xr = x + r * n;
    uint16_t* yr = y + r * n;
    for (i = 0; i < n; i += 16) {
      const __mmask16 k = tail_mask(n - i);
      const __m512 xv = widen(xr + i, k);
      const __m512 o = ln ? _mm512_fmadd_ps(_mm512_mul_ps(_mm512_sub_ps(xv, muv), rv),
                                            widen(g + i, k), widen(b + i, k))
                          : _mm512_mul_ps(_mm512_mul_ps(xv, rv), widen(g + i, k));
      narrow_store(yr + i, k, o);
    }
  }
}

#else  // portable fallback: the same sweeps in plain loops

template <int R>
void norm_block(const uint16_t* x, const uint16_t* g, const uint16_t* b, uint16_t* y, int64_t n) {
  const bool ln = b != nullptr;
  for (int r = 0; r < R; ++r) {
    const uint16_t* xr = x + r * n;
    const float shift = ln ? kevo_bf16_to_f32(xr[0]) : 0.0f;
    float s1 = 0.0f, s2 = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float d = kevo_bf16_to_f32(xr[i]) - shift;
      s1 += d;
      s2 += d * d;
    }
    const float md = s1 / static_cast<float>(n), m2 = s2 / static_cast<float>(n);
    const float mu = ln ? shift + md : 0.0f;
    const float rstd = ln ? 1.0f / std::sqrt(std::fmax(m2 - md * md, 0.0f) + 1e-5f)
                          : 1.0f / std::sqrt(m2 + 1e-6f);
    for (int64_t i = 0; i < n; ++i) {
      const float xv = kevo_bf16_to_f32(xr[i]);
      y[r * n + i] = kevo_f32_to_bf16(ln ? (xv - mu) * rstd * kevo_bf16_to_f32(g[i]) +
                                               kevo_bf16_to_f32(b[i])
                                         : xv * rstd * kevo_bf16_to_f32(g[i]));
    }
  }
}

#endif

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if ((n_inputs != 2 && n_inputs != 3) || n_outputs != 1) return 1;
  const uint16_t* x = static_cast<const uint16_t*>(inputs[0].data);
  const uint16_t* gamma = static_cast<const uint16_t*>(inputs[1].data);
  const uint16_t* beta = n_inputs == 3 ? static_cast<const uint16_t*>(inputs[2].data) : nullptr;
  uint16_t* y = static_cast<uint16_t*>(outputs[0].data);
  const int64_t rows = inputs[0].shape[0], cols = inputs[0].shape[1];
  if (rows <= 0 || cols <= 0) return 0;
  for_rows(rows, [&](int64_t r0, int64_t r1) {
    int64_t r = r0;
    for (; r + ROWS <= r1; r += ROWS)
      norm_block<ROWS>(x + r * cols, gamma, beta, y + r * cols, cols);
    for (; r < r1; ++r) norm_block<1>(x + r * cols, gamma, beta, y + r * cols, cols);
  });
  return 0;
}

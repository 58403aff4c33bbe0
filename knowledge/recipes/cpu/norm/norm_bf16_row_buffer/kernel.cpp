// Recipe norm_bf16_row_buffer: bf16 LayerNorm and RMSNorm (fp32 statistics), each row widened
// once into an fp32 buffer that stays in L1. One source for both problems: three inputs
// (x, gamma, beta) make it layernorm_bf16, two (x, gamma) rmsnorm_bf16.
//
// Why it is fast (the baseline widens every element in each of its passes and sums in one
// sequential fp32 chain, one element per add latency):
//  * The first pass reads the bf16 row from DRAM once, widens 16 values per step (zero extend +
//    16-bit shift: exact), stores them to a per-thread fp32 row buffer and accumulates the row
//    sum (LayerNorm) or the sum of squares (RMSNorm) in ACC independent 16-lane accumulators,
//    so it runs at load bandwidth, not add latency.
//  * LayerNorm's centered second pass sum((x - mu)^2) reads the buffer from L1 (a 2048-wide row
//    is 8 KiB): the numerically exact two-pass variance at no DRAM cost.
//  * The output pass computes y in fp32 from the buffer ((x - mu) * rstd * gamma + beta, or
//    x * r * gamma), rounds 16 values to bf16 at once (vcvtneps2bf16 with AVX512-BF16, else
//    the round-to-nearest-even bit trick) and stores 32 bytes.
//  * PF > 0 prefetches the row PF rows ahead during the output pass, so the next row's DRAM
//    fetch overlaps this row's arithmetic; THREADS = 2 splits the rows over both cores.
// Tolerance: 16*ACC-lane fp32 sums are within a few 1e-7 relative at N = 4096, y is rounded to
// bf16 once: the rounding is the reference's except within ~1e-6 of a rounding boundary.
#include <cmath>
#include <cstdint>
#include <cstdlib>
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

// Run f(begin, end, tid) over THREADS contiguous row ranges; the calling thread takes the last.
template <class F>
void for_rows(int64_t rows, const F& f) {
  const int64_t nt = rows < THREADS ? rows : THREADS;
  if (nt <= 1) {
    if (rows > 0) f(int64_t(0), rows, 0);
    return;
  }
  std::thread pool[THREADS];
  const int64_t per = rows / nt, extra = rows % nt;
  int64_t begin = 0;
  for (int64_t t = 0; t < nt; ++t) {
    const int64_t end = begin + per + (t < extra ? 1 : 0);
    if (t == nt - 1)
      f(begin, end, int(t));
    else
      pool[t] = std::thread([&f, begin, end, t] { f(begin, end, int(t)); });
    begin = end;
  }
  for (int64_t t = 0; t + 1 < nt; ++t) pool[t].join();
}

// Per-thread fp32 row buffers, grown on demand and kept across calls.
struct Buf {
  float* p = nullptr;
  int64_t n = 0;
  float* get(int64_t need) {
    if (need > n) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, size_t((need + 15) / 16 * 16) * 4));
      n = p ? need : 0;
    }
    return p;
  }
  ~Buf() { std::free(p); }
};
Buf g_row[THREADS];

#ifdef KV_AVX512

inline __mmask16 tail_mask(int64_t rem) {
  return rem >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << rem) - 1u);
}
// 16 bf16 (masked; zeros elsewhere) -> 16 floats, exactly.
inline __m512 widen(const uint16_t* p, __mmask16 k) {
  return _mm512_castsi512_ps(
      _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(k, p)), 16));
}
// 16 floats -> 16 bf16, round to nearest even, masked store.
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
inline float hsum(__m512 v) { return _mm512_reduce_add_ps(v); }

void norm_row(const uint16_t* x, const uint16_t* g, const uint16_t* b, uint16_t* y, float* buf,
              int64_t n, const uint16_t* next) {
  const bool ln = b != nullptr;
  __m512 acc[ACC];
  for (int a = 0; a < ACC; ++a) acc[a] = _mm512_setzero_ps();
  // Pass 1 (the row's only DRAM read): widen into buf, sum (LayerNorm) or sum of squares.
  int64_t i = 0;
  for (; i + 16 * ACC <= n; i += 16 * ACC)
    for (int a = 0; a < ACC; ++a) {
      const __m512 v = widen(x + i + 16 * a, 0xFFFF);
      _mm512_store_ps(buf + i + 16 * a, v);
      acc[a] = ln ? _mm512_add_ps(acc[a], v) : _mm512_fmadd_ps(v, v, acc[a]);
    }
  for (; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    const __m512 v = widen(x + i, k);
    _mm512_store_ps(buf + i, v);  // the buffer is padded to a multiple of 16
    acc[0] = ln ? _mm512_add_ps(acc[0], v) : _mm512_fmadd_ps(v, v, acc[0]);
  }
  for (int a = 1; a < ACC; ++a) acc[0] = _mm512_add_ps(acc[0], acc[a]);
  const float s1 = hsum(acc[0]);
  float mu = 0.0f, rstd;
  if (ln) {
    // Pass 2, from L1: the centered sum of squares (exact two-pass variance).
    mu = s1 / static_cast<float>(n);
    const __m512 muv = _mm512_set1_ps(mu);
    for (int a = 0; a < ACC; ++a) acc[a] = _mm512_setzero_ps();
    i = 0;
    for (; i + 16 * ACC <= n; i += 16 * ACC)
      for (int a = 0; a < ACC; ++a) {
        const __m512 d = _mm512_sub_ps(_mm512_load_ps(buf + i + 16 * a), muv);
        acc[a] = _mm512_fmadd_ps(d, d, acc[a]);
      }
    for (; i < n; i += 16) {
      const __mmask16 k = tail_mask(n - i);
      const __m512 d = _mm512_maskz_sub_ps(k, _mm512_load_ps(buf + i), muv);
      acc[0] = _mm512_fmadd_ps(d, d, acc[0]);
    }
    for (int a = 1; a < ACC; ++a) acc[0] = _mm512_add_ps(acc[0], acc[a]);
    rstd = 1.0f / std::sqrt(hsum(acc[0]) / static_cast<float>(n) + 1e-5f);
  } else {
    rstd = 1.0f / std::sqrt(s1 / static_cast<float>(n) + 1e-6f);
  }
  // Output pass: y from the buffer, rounded to bf16 once.
  const __m512 muv = _mm512_set1_ps(mu), rv = _mm512_set1_ps(rstd);
  for (i = 0; i < n; i += 16) {
#if PF
    if (next && i % 32 == 0) _mm_prefetch(reinterpret_cast<const char*>(next + i), _MM_HINT_T0);
#endif
    const __mmask16 k = tail_mask(n - i);
    const __m512 xv = _mm512_load_ps(buf + i);
    const __m512 o = ln ? _mm512_fmadd_ps(_mm512_mul_ps(_mm512_sub_ps(xv, muv), rv), widen(g + i, k),
                                          widen(b + i, k))
                        : _mm512_mul_ps(_mm512_mul_ps(xv, rv), widen(g + i, k));
    narrow_store(y + i, k, o);
  }
  (void)next;
}

#else  // portable fallback: the same passes in plain loops

void norm_row(const uint16_t* x, const uint16_t* g, const uint16_t* b, uint16_t* y, float* buf,
              int64_t n, const uint16_t*) {
  const bool ln = b != nullptr;
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t i = 0; i < n; ++i) {
    const float v = kevo_bf16_to_f32(x[i]);
    buf[i] = v;
    acc[i % 8] += ln ? v : v * v;
  }
  float s1 = 0.0f;
  for (float a : acc) s1 += a;
  float mu = 0.0f, rstd;
  if (ln) {
    mu = s1 / static_cast<float>(n);
    float sq = 0.0f;
    for (int64_t i = 0; i < n; ++i) sq += (buf[i] - mu) * (buf[i] - mu);
    rstd = 1.0f / std::sqrt(sq / static_cast<float>(n) + 1e-5f);
  } else {
    rstd = 1.0f / std::sqrt(s1 / static_cast<float>(n) + 1e-6f);
  }
  for (int64_t i = 0; i < n; ++i)
    y[i] = kevo_f32_to_bf16(ln ? (buf[i] - mu) * rstd * kevo_bf16_to_f32(g[i]) +
                                     kevo_bf16_to_f32(b[i])
                               : buf[i] * rstd * kevo_bf16_to_f32(g[i]));
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
  for (int t = 0; t < THREADS; ++t)
    if (!g_row[t].get(cols)) return 2;
  for_rows(rows, [&](int64_t r0, int64_t r1, int tid) {
    float* buf = g_row[tid].p;
    for (int64_t r = r0; r < r1; ++r) {
      const uint16_t* next = PF > 0 && r + PF < r1 ? x + (r + PF) * cols : nullptr;
      norm_row(x + r * cols, gamma, beta, y + r * cols, buf, cols, next);
    }
  });
  return 0;
}

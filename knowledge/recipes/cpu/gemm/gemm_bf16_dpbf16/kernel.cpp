// bf16 GEMM on AVX512-BF16 dot-product instructions (vdpbf16ps), packed GotoBLAS style:
// C[M,N] (fp32) = A[M,K] (bf16) @ B[K,N] (bf16), row-major, beta = 0.
//
// Why it is fast:
//  * vdpbf16ps does, in each of 16 fp32 lanes, acc += a[2i] * b[2i] + a[2i+1] * b[2i+1] on bf16
//    pairs: 32 multiply-adds per instruction at the throughput of one 16-lane FMA, twice the
//    FMA rate, and the operands stay bf16 (half the bytes of fp32 packs in L1/L2).
//  * Pair packing. The instruction multiplies pairs along k, so B's KC x NC panel is packed
//    into NR-wide slivers of k-pairs: word (p, j) = B[2p][j] | B[2p+1][j] << 16, one zmm = 16
//    columns x 2 k. A's MC x KC block is packed into MR-tall slivers of the same pairs
//    (A[r][2p] | A[r][2p+1] << 16), each broadcast to all 16 lanes. An odd k tail is paired
//    with zero. The micro-kernel keeps an MR x NR fp32 tile of C in zmm registers: per k pair,
//    NR/16 loads of B, MR broadcasts, MR * NR/16 independent vdpbf16ps.
//  * Cache blocking as in gemm_bf16_packed: KC bounds a sliver's k extent, LOOP picks which
//    operand's sliver stays in L1; THREADS = 2 splits M into independent halves.
// Accuracy: products of two bf16 are exact in fp32 and accumulate in fp32 (vdpbf16ps rounds to
// nearest even and treats subnormals as zero, far below the tolerance's 1e-2).
// Without AVX512-BF16 (no __AVX512BF16__ at -march=native) the same packed layout is
// multiplied by a plain fp32 loop: correct, not fast.
//
// Knobs (materialized as #defines): MR, NR, KC, MC, NC, LOOP, THREADS.
// Tails: slivers are zero padded, stores are masked to the valid columns and rows. Correct for
// any M, N, K (K = 0 writes zeros).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "kevo_abi.h"

#if defined(__AVX512F__) && defined(__AVX512BF16__) && defined(__AVX512BW__)
#include <immintrin.h>
#define KV_DPBF16 1
#endif

namespace {

constexpr int kMR = MR;
constexpr int kNR = NR;  // multiple of 16 (one zmm = 16 fp32 lanes = 16 columns)
static_assert(kNR % 16 == 0, "NR must be a multiple of 16");
[[maybe_unused]] constexpr int kNV = kNR / 16;

// Pack buffers (32-bit pair words), one pair per thread index, grown on demand and kept.
struct Buf {
  uint32_t* p = nullptr;
  std::size_t n = 0;
  uint32_t* get(std::size_t need) {
    if (need > n) {
      std::free(p);
      std::size_t bytes = (need * sizeof(uint32_t) + 63) / 64 * 64;
      p = static_cast<uint32_t*>(std::aligned_alloc(64, bytes));
      n = p ? need : 0;
    }
    return p;
  }
  ~Buf() { std::free(p); }
};
Buf g_abuf[2], g_bbuf[2];

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

#ifdef KV_DPBF16
inline __mmask16 mask16(int64_t rem) {
  return rem >= 16 ? static_cast<__mmask16>(0xFFFF)
                   : (rem <= 0 ? static_cast<__mmask16>(0)
                               : static_cast<__mmask16>((1u << rem) - 1u));
}
#endif

// ---- packing ---------------------------------------------------------------------------------
// B rows [0,kc), cols [0,nc) -> slivers of kNR columns and ceil(kc/2) k pairs:
// bp[s*kp*kNR + p*kNR + j] = B[2p][s*kNR + j] | B[2p+1][s*kNR + j] << 16, zero past nc or kc.
void pack_b(const uint16_t* __restrict b, int64_t ldb, int64_t kc, int64_t nc,
            uint32_t* __restrict bp) {
  const int64_t kp = (kc + 1) / 2;
  for (int64_t j0 = 0; j0 < nc; j0 += kNR) {
    const int64_t w = std::min<int64_t>(kNR, nc - j0);
    uint32_t* __restrict dst = bp + (j0 / kNR) * kp * kNR;
    const uint16_t* __restrict src = b + j0;
#ifdef KV_DPBF16
    __mmask16 m[kNV];
    for (int v = 0; v < kNV; ++v) m[v] = mask16(w - 16 * v);
    for (int64_t p = 0; p < kp; ++p) {
      const bool odd = 2 * p + 1 < kc;
#pragma GCC unroll 8
      for (int v = 0; v < kNV; ++v) {
        const __m512i lo =
            _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m[v], src + 2 * p * ldb + 16 * v));
        const __m512i hi =
            odd ? _mm512_cvtepu16_epi32(
                      _mm256_maskz_loadu_epi16(m[v], src + (2 * p + 1) * ldb + 16 * v))
                : _mm512_setzero_si512();
        _mm512_store_si512(dst + p * kNR + 16 * v, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
      }
    }
#else
    for (int64_t p = 0; p < kp; ++p)
      for (int64_t j = 0; j < kNR; ++j) {
        const uint32_t lo = j < w ? src[2 * p * ldb + j] : 0;
        const uint32_t hi = j < w && 2 * p + 1 < kc ? src[(2 * p + 1) * ldb + j] : 0;
        dst[p * kNR + j] = lo | hi << 16;
      }
#endif
  }
}

// A rows [0,h) (h <= kMR), cols [0,kc) -> one sliver ap[p*kMR + r] = A[r][2p] | A[r][2p+1] << 16,
// zero rows past h and k past kc.
void pack_a_sliver(const uint16_t* __restrict a, int64_t lda, int64_t h, int64_t kc,
                   uint32_t* __restrict ap) {
  const int64_t kp = (kc + 1) / 2;
  for (int64_t r = 0; r < kMR; ++r) {
    if (r < h) {
      const uint16_t* src = a + r * lda;
      for (int64_t p = 0; p < kc / 2; ++p)
        ap[p * kMR + r] = uint32_t(src[2 * p]) | uint32_t(src[2 * p + 1]) << 16;
      if (kc % 2) ap[(kp - 1) * kMR + r] = src[kc - 1];
    } else {
      for (int64_t p = 0; p < kp; ++p) ap[p * kMR + r] = 0;
    }
  }
}

// ---- micro-kernel ----------------------------------------------------------------------------
// C[0:mr, 0:nr] (=|+=) sum over kp k pairs of the packed slivers.
#ifdef KV_DPBF16
inline void micro(int64_t kp, const uint32_t* __restrict a, const uint32_t* __restrict b,
                  float* __restrict c, int64_t ldc, int mr, int nr, bool accum) {
  __m512 acc[kMR][kNV];
#pragma GCC unroll 32
  for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_setzero_ps();

#pragma GCC unroll 2
  for (int64_t p = 0; p < kp; ++p) {
    __m512bh bv[kNV];
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) bv[v] = (__m512bh)_mm512_load_si512(b + p * kNR + 16 * v);
#pragma GCC unroll 32
    for (int r = 0; r < kMR; ++r) {
      const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[p * kMR + r]));
#pragma GCC unroll 8
      for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, bv[v]);
    }
  }

  __mmask16 msk[kNV];
#pragma GCC unroll 8
  for (int v = 0; v < kNV; ++v) msk[v] = mask16(nr - 16 * v);
#pragma GCC unroll 32
  for (int r = 0; r < kMR; ++r) {
    if (r >= mr) break;
    float* cr = c + r * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) {
      if (!msk[v]) continue;
      __m512 x = acc[r][v];
      if (accum) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(msk[v], cr + 16 * v));
      _mm512_mask_storeu_ps(cr + 16 * v, msk[v], x);
    }
  }
}
#else
inline void micro(int64_t kp, const uint32_t* __restrict a, const uint32_t* __restrict b,
                  float* __restrict c, int64_t ldc, int mr, int nr, bool accum) {
  float acc[kMR][kNR];
  for (int r = 0; r < kMR; ++r)
    for (int j = 0; j < kNR; ++j) acc[r][j] = 0.0f;
  for (int64_t p = 0; p < kp; ++p) {
    const uint32_t* bk = b + p * kNR;
    for (int r = 0; r < kMR; ++r) {
      const float a0 = kevo_bf16_to_f32(uint16_t(a[p * kMR + r]));
      const float a1 = kevo_bf16_to_f32(uint16_t(a[p * kMR + r] >> 16));
      for (int j = 0; j < kNR; ++j)
        acc[r][j] += a0 * kevo_bf16_to_f32(uint16_t(bk[j])) +
                     a1 * kevo_bf16_to_f32(uint16_t(bk[j] >> 16));
    }
  }
  for (int r = 0; r < mr; ++r)
    for (int j = 0; j < nr; ++j) c[r * ldc + j] = accum ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}
#endif

// ---- blocked driver (one thread) ------------------------------------------------------------
bool gemm_blocked(const uint16_t* A, int64_t lda, const uint16_t* B, int64_t ldb, float* C,
                  int64_t ldc, int64_t M, int64_t N, int64_t K, int tid) {
  if (M <= 0 || N <= 0) return true;
  if (K <= 0) {
    for (int64_t i = 0; i < M; ++i) std::memset(C + i * ldc, 0, sizeof(float) * N);
    return true;
  }
  const int64_t KCe = std::max<int64_t>(2, KC / 2 * 2);         // whole k pairs per block
  const int64_t NCe = std::max<int64_t>(kNR, NC / kNR * kNR);  // NC rounded down to NR
  const int64_t MCe = std::max<int64_t>(kMR, MC / kMR * kMR);  // MC rounded down to MR
  const int64_t kpmax = (std::min(KCe, K) + 1) / 2;
  const int64_t ncmax = round_up(std::min(NCe, N), kNR);
  const int64_t mcmax = round_up(std::min(MCe, M), kMR);
  uint32_t* bp = g_bbuf[tid].get(static_cast<std::size_t>(kpmax * ncmax));
  uint32_t* ap = g_abuf[tid].get(static_cast<std::size_t>(mcmax * kpmax));
  if (!bp || !ap) return false;

  for (int64_t jc = 0; jc < N; jc += NCe) {
    const int64_t nc = std::min(NCe, N - jc);
    for (int64_t pc = 0; pc < K; pc += KCe) {
      const int64_t kc = std::min(KCe, K - pc);
      const int64_t kp = (kc + 1) / 2;
      const bool accum = pc > 0;
      pack_b(B + pc * ldb + jc, ldb, kc, nc, bp);
      for (int64_t ic = 0; ic < M; ic += MCe) {
        const int64_t mc = std::min(MCe, M - ic);
        for (int64_t i0 = 0; i0 < mc; i0 += kMR)
          pack_a_sliver(A + (ic + i0) * lda + pc, lda, std::min<int64_t>(kMR, mc - i0), kc,
                        ap + (i0 / kMR) * kp * kMR);
        float* Cblk = C + ic * ldc + jc;
        auto tile = [&](int64_t i0, int64_t j0) __attribute__((always_inline)) {
          const int mr = static_cast<int>(std::min<int64_t>(kMR, mc - i0));
          const int nr = static_cast<int>(std::min<int64_t>(kNR, nc - j0));
          micro(kp, ap + (i0 / kMR) * kp * kMR, bp + (j0 / kNR) * kp * kNR, Cblk + i0 * ldc + j0,
                ldc, mr, nr, accum);
        };
#if LOOP == 0
        for (int64_t j0 = 0; j0 < nc; j0 += kNR)
          for (int64_t i0 = 0; i0 < mc; i0 += kMR) tile(i0, j0);
#else
        for (int64_t i0 = 0; i0 < mc; i0 += kMR)
          for (int64_t j0 = 0; j0 < nc; j0 += kNR) tile(i0, j0);
#endif
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const uint16_t* A = static_cast<const uint16_t*>(inputs[0].data);
  const uint16_t* B = static_cast<const uint16_t*>(inputs[1].data);
  float* C = static_cast<float*>(outputs[0].data);
  const int64_t M = inputs[0].shape[0], K = inputs[0].shape[1], N = inputs[1].shape[1];
  if (inputs[1].shape[0] != K || outputs[0].shape[0] != M || outputs[0].shape[1] != N) return 2;
  const int64_t lda = K, ldb = N, ldc = N;

#if THREADS > 1
  // Halves of M aligned to whole micro-tiles, so neither thread computes padding.
  const int64_t half = std::min(M, round_up((M + 1) / 2, kMR));
  if (half > 0 && half < M) {
    bool ok1 = true;
    std::thread worker(
        [&] { ok1 = gemm_blocked(A + half * lda, lda, B, ldb, C + half * ldc, ldc, M - half, N, K, 1); });
    const bool ok0 = gemm_blocked(A, lda, B, ldb, C, ldc, half, N, K, 0);
    worker.join();
    return ok0 && ok1 ? 0 : 3;
  }
#endif
  return gemm_blocked(A, lda, B, ldb, C, ldc, M, N, K, 0) ? 0 : 3;
}

// Packed, cache-blocked SGEMM in the BLIS / GotoBLAS style: C[M,N] = A[M,K] @ B[K,N], fp32,
// row-major, beta = 0.
//
// Why it is fast:
//  * Register blocking. The micro-kernel keeps an MR x NR tile of C in MR * NR/16 zmm
//    registers for the whole k loop. Each k step loads NR/16 vectors of B and broadcasts MR
//    scalars of A, then issues MR * NR/16 independent FMAs: e.g. 6 x 64 gives 24 FMAs for 4
//    vector loads + 6 broadcasts (12 x 32: 2 loads + 12 broadcasts), enough independent chains to cover the 4-cycle FMA latency
//    at one 512-bit FMA per cycle (Zen 4 runs a zmm FMA as two 256-bit halves), and C is
//    read/written once per KC block instead of once per k.
//  * Packing. B's KC x NC panel is copied once into NR-wide slivers (k-major, contiguous,
//    zero padded to NR) so the micro-kernel streams it with aligned loads, no TLB or cache-set
//    conflicts from the row stride (rows of a 2048-wide B are 8 KiB apart: all in one L1 set).
//    A's MC x KC block is copied into MR-tall slivers (PACK_A = 1) so the broadcasts walk one
//    contiguous stream; with PACK_A = 0 the kernel broadcasts straight from A's MR rows (MR
//    sequential streams the hardware prefetcher follows), which saves the copy: a clear win
//    when each A row is used once (tall-skinny: N <= NR, K <= KC, measured ~2x over PACK_A = 1
//    there), and about even on square shapes with LOOP = 1, where the MR x KC sliver read in
//    place still stays in L1 across the whole jr loop.
//  * Cache blocking. KC bounds the k extent so a B sliver (KC x NR) or an A sliver (MR x KC)
//    stays in L1 while the other operand's block (B panel KC x NC, or A block MC x KC) stays in
//    L2; LOOP picks which one is stationary in L1.
//  * Threads: THREADS = 2 runs two independent blocked GEMMs over halves of M (SPLIT = 0) or
//    of N (SPLIT = 1), each with its own pack buffers: no barriers, each core owns its L1/L2.
//  * NT = 1 writes the final C tile with non-temporal stores (no read-for-ownership of C), a
//    win when C is written once and is large (tall-skinny training: C is 64 MiB).
//
// Knobs (materialized as #defines): MR, NR, KC, MC, NC, LOOP, PACK_A, KU, THREADS, SPLIT, NT, PF.
// Tails: B slivers are zero padded to NR, stores are masked to the valid columns; a partial
// row tile is packed (zero padded) and only its valid rows are stored. Correct for any M, N, K.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "kevo_abi.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// "#pragma GCC unroll" does not expand macros; _Pragma through a helper does.
#define KEVO_PRAGMA(x) _Pragma(#x)
#define KEVO_UNROLL(n) KEVO_PRAGMA(GCC unroll n)

namespace {

constexpr int kMR = MR;
constexpr int kNR = NR;  // multiple of 16 (one zmm = 16 floats)
static_assert(kNR % 16 == 0, "NR must be a multiple of 16");
[[maybe_unused]] constexpr int kNV = kNR / 16;  // zmm vectors per micro-tile row

// Pack buffers, one pair per thread index, grown on demand and kept across calls: allocating
// (and page-faulting) megabytes on every call would cost more than a small GEMM.
struct Buf {
  float* p = nullptr;
  std::size_t n = 0;
  float* get(std::size_t need) {
    if (need > n) {
      std::free(p);
      std::size_t bytes = (need * sizeof(float) + 63) / 64 * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      n = p ? need : 0;
    }
    return p;
  }
  ~Buf() { std::free(p); }
};
Buf g_abuf[2], g_bbuf[2];

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// ---- packing -------------------------------------------------------------------------------
// B panel rows [0,kc), cols [0,nc) of `b` (row stride ldb) -> slivers of kNR columns:
// sliver s holds bp[s*kc*kNR + k*kNR + j] = B[k][s*kNR + j], zero past nc.
void pack_b(const float* __restrict b, int64_t ldb, int64_t kc, int64_t nc, float* __restrict bp) {
  for (int64_t j0 = 0; j0 < nc; j0 += kNR) {
    const int64_t w = std::min<int64_t>(kNR, nc - j0);
    float* __restrict dst = bp + (j0 / kNR) * kc * kNR;
    const float* __restrict src = b + j0;
#if defined(__AVX512F__)
    __mmask16 m[kNV];
    for (int v = 0; v < kNV; ++v) {
      const int64_t rem = w - 16 * v;
      m[v] = rem >= 16 ? static_cast<__mmask16>(0xFFFF)
                       : (rem <= 0 ? static_cast<__mmask16>(0)
                                   : static_cast<__mmask16>((1u << rem) - 1u));
    }
    for (int64_t k = 0; k < kc; ++k) {
#pragma GCC unroll 8
      for (int v = 0; v < kNV; ++v)
        _mm512_store_ps(dst + k * kNR + 16 * v, _mm512_maskz_loadu_ps(m[v], src + k * ldb + 16 * v));
    }
#else
    for (int64_t k = 0; k < kc; ++k) {
      for (int64_t j = 0; j < w; ++j) dst[k * kNR + j] = src[k * ldb + j];
      for (int64_t j = w; j < kNR; ++j) dst[k * kNR + j] = 0.0f;
    }
#endif
  }
}

// A rows [0,h) (h <= kMR), cols [0,kc) -> one sliver ap[k*kMR + r], zero rows past h.
void pack_a_sliver(const float* __restrict a, int64_t lda, int64_t h, int64_t kc,
                   float* __restrict ap) {
  // k-chunks of 16 keep the kMR source lines hot in L1 while the sliver is written in order.
  for (int64_t k0 = 0; k0 < kc; k0 += 16) {
    const int64_t kn = std::min<int64_t>(16, kc - k0);
    for (int64_t r = 0; r < kMR; ++r) {
      if (r < h) {
        const float* src = a + r * lda + k0;
        for (int64_t k = 0; k < kn; ++k) ap[(k0 + k) * kMR + r] = src[k];
      } else {
        for (int64_t k = 0; k < kn; ++k) ap[(k0 + k) * kMR + r] = 0.0f;
      }
    }
  }
}

// ---- micro-kernel ----------------------------------------------------------------------------
// C[0:mr, 0:nr] (=|+=) sum_k A[r,k] * Bp[k, 0:kNR].  PK: A is a packed sliver (a[k*kMR + r]),
// else A rows are read in place (a[r*lda + k], all kMR rows valid).
#if defined(__AVX512F__)
template <bool PK>
inline void micro(int64_t kc, const float* __restrict a, int64_t lda, const float* __restrict b,
                  float* __restrict c, int64_t ldc, int mr, int nr, bool accum, bool nt) {
  __m512 acc[kMR][kNV];
#pragma GCC unroll 32
  for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_setzero_ps();

#if PF
  // Pull the C tile toward L1 while the k loop runs, so the loads/stores at the end hit.
  for (int r = 0; r < mr; ++r)
    for (int v = 0; v < kNV; ++v)
      if (16 * v < nr) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16 * v), _MM_HINT_T0);
#endif

  // The k loop: unrolled KU times by the compiler (it peels the remainder itself); one step
  // is NR/16 aligned loads of the B sliver, MR broadcasts of A and MR * NR/16 FMAs.
  KEVO_UNROLL(KU)
  for (int64_t k = 0; k < kc; ++k) {
    __m512 bv[kNV];
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) bv[v] = _mm512_load_ps(b + k * kNR + 16 * v);
#pragma GCC unroll 32
    for (int r = 0; r < kMR; ++r) {
      const __m512 av = _mm512_set1_ps(PK ? a[k * kMR + r] : a[r * lda + k]);
#pragma GCC unroll 8
      for (int v = 0; v < kNV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }

  __mmask16 msk[kNV];
#pragma GCC unroll 8
  for (int v = 0; v < kNV; ++v) {
    const int rem = nr - 16 * v;
    msk[v] = rem >= 16 ? static_cast<__mmask16>(0xFFFF)
                       : (rem <= 0 ? static_cast<__mmask16>(0)
                                   : static_cast<__mmask16>((1u << rem) - 1u));
  }
  const bool full = (nr == kNR);
#pragma GCC unroll 32
  for (int r = 0; r < kMR; ++r) {
    if (r >= mr) break;
    float* cr = c + r * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) {
      __m512 x = acc[r][v];
      if (full) {
        if (accum) {
          x = _mm512_add_ps(x, _mm512_loadu_ps(cr + 16 * v));
          _mm512_storeu_ps(cr + 16 * v, x);
        } else if (nt && ((reinterpret_cast<uintptr_t>(cr + 16 * v) & 63) == 0)) {
          _mm512_stream_ps(cr + 16 * v, x);
        } else {
          _mm512_storeu_ps(cr + 16 * v, x);
        }
      } else if (msk[v]) {
        if (accum) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(msk[v], cr + 16 * v));
        _mm512_mask_storeu_ps(cr + 16 * v, msk[v], x);
      }
    }
  }
}
#else
// Portable fallback (no AVX-512): same packed layout, the compiler vectorizes the j loop.
template <bool PK>
inline void micro(int64_t kc, const float* __restrict a, int64_t lda, const float* __restrict b,
                  float* __restrict c, int64_t ldc, int mr, int nr, bool accum, bool) {
  float acc[kMR][kNR];
  for (int r = 0; r < kMR; ++r)
    for (int j = 0; j < kNR; ++j) acc[r][j] = 0.0f;
  for (int64_t k = 0; k < kc; ++k) {
    const float* bk = b + k * kNR;
    for (int r = 0; r < kMR; ++r) {
      const float av = PK ? a[k * kMR + r] : a[r * lda + k];
      for (int j = 0; j < kNR; ++j) acc[r][j] += av * bk[j];
    }
  }
  for (int r = 0; r < mr; ++r)
    for (int j = 0; j < nr; ++j) c[r * ldc + j] = accum ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}
#endif

// ---- blocked driver (one thread) ------------------------------------------------------------
// Returns false only if a pack buffer cannot be allocated.
bool gemm_blocked(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
                  int64_t M, int64_t N, int64_t K, int tid) {
  if (M <= 0 || N <= 0) return true;
  if (K <= 0) {
    for (int64_t i = 0; i < M; ++i) std::memset(C + i * ldc, 0, sizeof(float) * N);
    return true;
  }
  const int64_t KCe = std::max<int64_t>(1, KC);
  const int64_t NCe = std::max<int64_t>(kNR, NC / kNR * kNR);  // NC rounded down to NR
  const int64_t MCe = std::max<int64_t>(kMR, MC / kMR * kMR);  // MC rounded down to MR
  const int64_t kcmax = std::min(KCe, K);
  const int64_t ncmax = round_up(std::min(NCe, N), kNR);
  const int64_t mcmax = round_up(std::min(MCe, M), kMR);
  float* bp = g_bbuf[tid].get(static_cast<std::size_t>(kcmax * ncmax));
  float* ap = g_abuf[tid].get(static_cast<std::size_t>((PACK_A ? mcmax : kMR) * kcmax));
  if (!bp || !ap) return false;

  for (int64_t jc = 0; jc < N; jc += NCe) {
    const int64_t nc = std::min(NCe, N - jc);
    for (int64_t pc = 0; pc < K; pc += KCe) {
      const int64_t kc = std::min(KCe, K - pc);
      const bool accum = pc > 0;
      const bool last = pc + kc >= K;
      const bool nt = NT && last;
      pack_b(B + pc * ldb + jc, ldb, kc, nc, bp);
      for (int64_t ic = 0; ic < M; ic += MCe) {
        const int64_t mc = std::min(MCe, M - ic);
        const float* Ablk = A + ic * lda + pc;
        float* Cblk = C + ic * ldc + jc;
#if PACK_A
        for (int64_t i0 = 0; i0 < mc; i0 += kMR)
          pack_a_sliver(Ablk + i0 * lda, lda, std::min<int64_t>(kMR, mc - i0), kc,
                        ap + (i0 / kMR) * kc * kMR);
#endif
        // One micro-tile (ir, jr).
        auto tile = [&](int64_t i0, int64_t j0) __attribute__((always_inline)) {
          const int mr = static_cast<int>(std::min<int64_t>(kMR, mc - i0));
          const int nr = static_cast<int>(std::min<int64_t>(kNR, nc - j0));
          const float* bs = bp + (j0 / kNR) * kc * kNR;
          float* ct = Cblk + i0 * ldc + j0;
#if PACK_A
          micro<true>(kc, ap + (i0 / kMR) * kc * kMR, 0, bs, ct, ldc, mr, nr, accum, nt);
#else
          if (mr == kMR) {
            micro<false>(kc, Ablk + i0 * lda, lda, bs, ct, ldc, mr, nr, accum, nt);
          } else {  // partial row tile: pack it zero padded so the kernel reads no row past M
            pack_a_sliver(Ablk + i0 * lda, lda, mr, kc, ap);
            micro<true>(kc, ap, 0, bs, ct, ldc, mr, nr, accum, nt);
          }
#endif
        };
#if LOOP == 0
        // B sliver (KC x NR) stationary in L1, A block streamed from L2.
        for (int64_t j0 = 0; j0 < nc; j0 += kNR)
          for (int64_t i0 = 0; i0 < mc; i0 += kMR) tile(i0, j0);
#else
        // A sliver (MR x KC) stationary in L1, B panel (KC x NC) streamed from L2.
        for (int64_t i0 = 0; i0 < mc; i0 += kMR)
          for (int64_t j0 = 0; j0 < nc; j0 += kNR) tile(i0, j0);
#endif
      }
    }
  }
#if defined(__AVX512F__)
  if (NT) _mm_sfence();  // order the streaming stores before the caller (or join) reads C
#endif
  return true;
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* A = static_cast<const float*>(inputs[0].data);
  const float* B = static_cast<const float*>(inputs[1].data);
  float* C = static_cast<float*>(outputs[0].data);
  const int64_t M = inputs[0].shape[0], K = inputs[0].shape[1], N = inputs[1].shape[1];
  if (inputs[1].shape[0] != K || outputs[0].shape[0] != M || outputs[0].shape[1] != N) return 2;
  const int64_t lda = inputs[0].strides[0] ? inputs[0].strides[0] : K;
  const int64_t ldb = inputs[1].strides[0] ? inputs[1].strides[0] : N;
  const int64_t ldc = outputs[0].strides[0] ? outputs[0].strides[0] : N;

#if THREADS > 1
  // Split N when asked and N spans more than one NR sliver, else split M; halves are aligned
  // to whole micro-tiles so neither thread computes padding the other would not.
  const bool split_n = SPLIT == 1 && N > kNR;
  const int64_t unit = split_n ? kNR : kMR;
  const int64_t ext = split_n ? N : M;
  const int64_t half = std::min(ext, round_up((ext + 1) / 2, unit));
  if (half > 0 && half < ext) {
    bool ok1 = true;
    std::thread worker([&] {
      ok1 = split_n ? gemm_blocked(A, lda, B + half, ldb, C + half, ldc, M, N - half, K, 1)
                    : gemm_blocked(A + half * lda, lda, B, ldb, C + half * ldc, ldc, M - half, N,
                                   K, 1);
    });
    const bool ok0 = split_n ? gemm_blocked(A, lda, B, ldb, C, ldc, M, half, K, 0)
                             : gemm_blocked(A, lda, B, ldb, C, ldc, half, N, K, 0);
    worker.join();
    return ok0 && ok1 ? 0 : 3;
  }
#endif
  return gemm_blocked(A, lda, B, ldb, C, ldc, M, N, K, 0) ? 0 : 3;
}

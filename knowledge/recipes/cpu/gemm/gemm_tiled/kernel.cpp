// Tiled SGEMM without packing: C[M,N] = A[M,K] @ B[K,N], fp32, row-major, beta = 0.
//
// The simple alternative to the packed BLIS-style recipe: A and B are read in place (no copies
// by default), the loops are tiled for the caches, and the innermost work is a register tile of
// RI rows x NV vectors of C written with GCC/Clang generic vectors (vector_size), which the
// compiler lowers to whatever the target has: zmm FMAs with AVX-512, ymm with AVX2, SSE
// otherwise. No intrinsics, so the file builds and is correct everywhere.
//
// Why it is fast:
//  * Register tile: acc[RI][NV] vectors stay in registers for the whole k loop; each k step
//    loads NV vectors of a B row, broadcasts RI scalars of A, and issues RI * NV independent
//    FMAs (-ffp-contract=fast lets the compiler fuse a*b+c; rounding only improves).
//  * ORDER 0 (B block stationary): for each TK x TN block of B (kept in L2) every row strip of
//    A streams past once; the RI x TK strip of A is reused from L1 across the TN/(VW*NV)
//    column tiles. C is read back once per extra k block (K > TK).
//    ORDER 1 (row strip, whole K): each RI-row strip of C is finished in registers over the
//    full K, one column tile at a time: no C reloads, A read once per column tile, B read from
//    cache per strip. Best when B is small and sits in L1/L2 (tall-skinny: B is 16 KiB), where
//    A and C simply stream from memory once. On a large square B it is the wrong choice (each
//    strip re-reads a K x VW*NV column strip of B at an 8 KiB stride: ~0.25x of OpenBLAS).
//  * COPYB = 1 (ORDER 0 only) copies each TK x TN block of B into a contiguous buffer first:
//    rows of a power-of-two-wide B are a multiple of 4 KiB apart and all map to the same L1
//    set, so reading a block in place thrashes L1 and part of L2.
//  * THREADS = 2 splits M in halves (aligned to RI), each thread running the whole loop nest.
//
// Knobs: VW (floats per vector), RI, NV, TK, TN, ORDER, COPYB, THREADS.
// Tails: leftover rows use 1-row tiles, leftover columns use 1-vector tiles and then a scalar
// tile, so any M, N, K (including 0) is handled.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "kevo_abi.h"

namespace {

constexpr int kVW = VW;  // floats per vector: 4 (SSE), 8 (AVX2), 16 (AVX-512)
constexpr int kRI = RI;
constexpr int kNV = NV;
constexpr int kTJ = kVW * kNV;  // columns of one register tile
typedef float vf __attribute__((vector_size(kVW * sizeof(float))));

// Unaligned vector load/store. Vectors go by reference: passing a 64-byte vector by value
// without AVX-512 enabled would change the ABI (-Wpsabi).
inline void load_v(vf& v, const float* p) { std::memcpy(&v, p, sizeof(vf)); }
inline void store_v(float* p, const vf& v) { std::memcpy(p, &v, sizeof(vf)); }

// C[0:R, 0:NVt*kVW] (= or +=) A[0:R, 0:kn] @ B[0:kn, 0:NVt*kVW]; all rows/cols valid.
template <int R, int NVt>
inline void tile(int64_t kn, const float* __restrict a, int64_t lda, const float* __restrict b,
                 int64_t ldb, float* __restrict c, int64_t ldc, bool accum) {
  vf acc[R][NVt];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int v = 0; v < NVt; ++v) {
      if (accum)
        load_v(acc[r][v], c + r * ldc + v * kVW);
      else
        acc[r][v] = vf{};
    }
  for (int64_t k = 0; k < kn; ++k) {
    const float* __restrict bk = b + k * ldb;
    vf bv[NVt];
#pragma GCC unroll 16
    for (int v = 0; v < NVt; ++v) load_v(bv[v], bk + v * kVW);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const float av = a[r * lda + k];
#pragma GCC unroll 16
      for (int v = 0; v < NVt; ++v) acc[r][v] += av * bv[v];
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int v = 0; v < NVt; ++v) store_v(c + r * ldc + v * kVW, acc[r][v]);
}

// Scalar edge tile: rows x w columns (w < kVW), plain loops.
inline void tile_scalar(int64_t rows, int64_t w, int64_t kn, const float* __restrict a,
                        int64_t lda, const float* __restrict b, int64_t ldb, float* __restrict c,
                        int64_t ldc, bool accum) {
  for (int64_t r = 0; r < rows; ++r) {
    float acc[kVW];
    for (int64_t j = 0; j < w; ++j) acc[j] = accum ? c[r * ldc + j] : 0.0f;
    for (int64_t k = 0; k < kn; ++k) {
      const float av = a[r * lda + k];
      for (int64_t j = 0; j < w; ++j) acc[j] += av * b[k * ldb + j];
    }
    for (int64_t j = 0; j < w; ++j) c[r * ldc + j] = acc[j];
  }
}

// Rows [0,rows) x cols [0,cols) of C over k in [0,kn): full RI x TJ tiles, then the edges.
inline void strip(int64_t rows, int64_t cols, int64_t kn, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float* c, int64_t ldc, bool accum) {
  int64_t j = 0;
  for (; j + kTJ <= cols; j += kTJ) {
    if (rows == kRI) {
      tile<kRI, kNV>(kn, a, lda, b + j, ldb, c + j, ldc, accum);
    } else {
      for (int64_t r = 0; r < rows; ++r)
        tile<1, kNV>(kn, a + r * lda, lda, b + j, ldb, c + r * ldc + j, ldc, accum);
    }
  }
  for (; j + kVW <= cols; j += kVW) {
    if (rows == kRI) {
      tile<kRI, 1>(kn, a, lda, b + j, ldb, c + j, ldc, accum);
    } else {
      for (int64_t r = 0; r < rows; ++r)
        tile<1, 1>(kn, a + r * lda, lda, b + j, ldb, c + r * ldc + j, ldc, accum);
    }
  }
  if (j < cols) tile_scalar(rows, cols - j, kn, a, lda, b + j, ldb, c + j, ldc, accum);
}

// Per-thread copy buffer for COPYB, kept across calls.
struct Buf {
  float* p = nullptr;
  std::size_t n = 0;
  float* get(std::size_t need) {
    if (need > n) {
      std::free(p);
      p = static_cast<float*>(std::aligned_alloc(64, (need * sizeof(float) + 63) / 64 * 64));
      n = p ? need : 0;
    }
    return p;
  }
  ~Buf() { std::free(p); }
};
Buf g_bbuf[2];

// Returns false only if the COPYB buffer cannot be allocated.
bool gemm_rows(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
               int64_t M, int64_t N, int64_t K, int tid) {
  if (M <= 0 || N <= 0) return true;
  if (K <= 0) {
    for (int64_t i = 0; i < M; ++i) std::memset(C + i * ldc, 0, sizeof(float) * N);
    return true;
  }
#if ORDER == 0
  const int64_t TKe = std::max<int64_t>(1, TK);
  const int64_t TNe = std::max<int64_t>(kTJ, TN / kTJ * kTJ);  // whole register tiles
#if COPYB
  float* bb = g_bbuf[tid].get(static_cast<std::size_t>(std::min(TKe, K) * std::min(TNe, N)));
  if (!bb) return false;
#else
  (void)tid;
#endif
  for (int64_t jb = 0; jb < N; jb += TNe) {
    const int64_t nb = std::min(TNe, N - jb);
    for (int64_t kb = 0; kb < K; kb += TKe) {
      const int64_t kn = std::min(TKe, K - kb);
#if COPYB
      for (int64_t k = 0; k < kn; ++k)
        std::memcpy(bb + k * nb, B + (kb + k) * ldb + jb, sizeof(float) * nb);
      const float* bblk = bb;
      const int64_t ldbb = nb;
#else
      const float* bblk = B + kb * ldb + jb;
      const int64_t ldbb = ldb;
#endif
      for (int64_t i = 0; i < M; i += kRI) {
        const int64_t rows = std::min<int64_t>(kRI, M - i);
        strip(rows, nb, kn, A + i * lda + kb, lda, bblk, ldbb, C + i * ldc + jb, ldc, kb > 0);
      }
    }
  }
#else
  (void)tid;
  for (int64_t i = 0; i < M; i += kRI) {
    const int64_t rows = std::min<int64_t>(kRI, M - i);
    strip(rows, N, K, A + i * lda, lda, B, ldb, C + i * ldc, ldc, false);
  }
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
  const int64_t half = std::min<int64_t>(M, ((M + 1) / 2 + kRI - 1) / kRI * kRI);
  if (half > 0 && half < M) {
    bool ok1 = true;
    std::thread worker([&] {
      ok1 = gemm_rows(A + half * lda, lda, B, ldb, C + half * ldc, ldc, M - half, N, K, 1);
    });
    const bool ok0 = gemm_rows(A, lda, B, ldb, C, ldc, half, N, K, 0);
    worker.join();
    return ok0 && ok1 ? 0 : 3;
  }
#endif
  return gemm_rows(A, lda, B, ldb, C, ldc, M, N, K, 0) ? 0 : 3;
}

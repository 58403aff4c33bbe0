// bf16 GEMM on the tensor cores through the WMMA API (nvcuda::wmma, 16 x 16 x 16 fragments):
// C[M,N] (fp32) = A[M,K] (bf16) @ B[K,N] (bf16), all row-major, fp32 accumulation, beta = 0.
// The simple tensor-core kernel: no inline PTX, no asynchronous copies, a register-staged
// double buffer at most.
//
// Why it is fast (and where it stops):
//  * Tensor cores. Each warp keeps a (WM/16) x (WN/16) grid of 16 x 16 fp32 accumulator
//    fragments for the whole K loop; per 16-wide k-step it loads WM/16 A and WN/16 B fragments
//    from shared memory (load_matrix_sync) and issues (WM/16) * (WN/16) mma_syncs, each 4096
//    multiply-adds. Products of two bf16 are exact; the sums stay in fp32.
//  * Shared-memory tiling. A block stages BM x BK of A and BK x BN of B per step with 16-byte
//    loads (8 bf16; coalesced), so each element fetched from DRAM/L2 serves BN (A) or BM (B)
//    multiply-adds. Rows are padded by 8 bf16 (16 bytes) so the fragment loads do not all hit
//    the same banks.
//  * DBUF = 1: two shared buffers; the next slab's global loads are issued into registers before
//    the current slab's mmas and stored after them, so their latency overlaps the math and one
//    barrier per slab suffices. DBUF = 0: load, barrier, compute, barrier.
//  * What it leaves on the table (see bf16_gemm_mma): WMMA hides the fragment layout, so loads
//    go through generic shared loads rather than ldmatrix, there is no deep cp.async pipeline,
//    and the epilogue goes through shared memory.
//
// Knobs (materialized as #defines): BM, BN, BK, WM, WN, DBUF.
// Correct for any M, N, K: slabs are loaded 16 bytes at a time when K % 8 == 0, N % 8 == 0 and
// both bases are 16-byte aligned, element by element (one buffer) otherwise, with zeros outside
// the matrices; each warp writes its accumulators through a 16 x 16 shared staging tile with
// bounds checks.
#include <mma.h>

#include "kevo_cuda.h"

// kevo-launch: bf16_gemm_wmma grid(cdiv(N, BN), cdiv(M, BM)) block((BM / WM) * (BN / WN) * 32) smem((1 + DBUF) * (BM * (BK + 8) + BK * (BN + 8)) * 2)

#define WT_THREADS ((BM / WM) * (BN / WN) * 32)
#define WT_WARPS ((BM / WM) * (BN / WN))
#define WT_AS_LD (BK + 8)  // padded row length (bf16) of the A slab [BM][BK]; a multiple of 8
#define WT_BS_LD (BN + 8)  // padded row length (bf16) of the B slab [BK][BN]; a multiple of 8
#define WT_STAGE (BM * WT_AS_LD + BK * WT_BS_LD)
#define WT_FM (WM / 16)
#define WT_FN (WN / 16)
#define WT_A_VEC (BM * BK / 8)  // 16-byte chunks per A slab
#define WT_B_VEC (BK * BN / 8)  // 16-byte chunks per B slab
#define WT_A_PER ((WT_A_VEC + WT_THREADS - 1) / WT_THREADS)
#define WT_B_PER ((WT_B_VEC + WT_THREADS - 1) / WT_THREADS)

static_assert(BK % 16 == 0 && WM % 16 == 0 && WN % 16 == 0, "whole 16 x 16 x 16 fragments");
static_assert(BM % WM == 0 && BN % WN == 0, "warps tile the block");

namespace wmma = nvcuda::wmma;

namespace {

typedef unsigned short bf16_t;  // raw bf16 bits, as the harness stores them

// One slab pair held in registers between its global loads and its shared stores: 16-byte
// chunks on the vector path, unused otherwise.
struct Staged {
  uint4 a[WT_A_PER];
  uint4 b[WT_B_PER];
};

// Global -> registers (the vector path: rows of whole, aligned 16-byte chunks, so a chunk is
// entirely inside or entirely outside the matrix): chunk i of this thread, zeros outside.
__device__ __forceinline__ void fetch(Staged& s, const bf16_t* __restrict__ A,
                                      const bf16_t* __restrict__ B, long long M, long long N,
                                      long long K, long long m0, long long n0, long long k0) {
#pragma unroll
  for (int i = 0; i < WT_A_PER; ++i) {
    const int c = threadIdx.x + i * WT_THREADS;
    const int r = c / (BK / 8), kc = (c % (BK / 8)) * 8;
    const long long gm = m0 + r, gk = k0 + kc;
    s.a[i] = (c < WT_A_VEC && gm < M && gk < K)
                 ? *reinterpret_cast<const uint4*>(A + gm * K + gk)
                 : make_uint4(0, 0, 0, 0);
  }
#pragma unroll
  for (int i = 0; i < WT_B_PER; ++i) {
    const int c = threadIdx.x + i * WT_THREADS;
    const int r = c / (BN / 8), nc = (c % (BN / 8)) * 8;
    const long long gk = k0 + r, gn = n0 + nc;
    s.b[i] = (c < WT_B_VEC && gk < K && gn < N)
                 ? *reinterpret_cast<const uint4*>(B + gk * N + gn)
                 : make_uint4(0, 0, 0, 0);
  }
}

// Registers -> shared (vector path).
__device__ __forceinline__ void commit(const Staged& s, bf16_t* __restrict__ stage) {
  bf16_t* As = stage;
  bf16_t* Bs = stage + BM * WT_AS_LD;
#pragma unroll
  for (int i = 0; i < WT_A_PER; ++i) {
    const int c = threadIdx.x + i * WT_THREADS;
    if (c < WT_A_VEC)
      *reinterpret_cast<uint4*>(&As[(c / (BK / 8)) * WT_AS_LD + (c % (BK / 8)) * 8]) = s.a[i];
  }
#pragma unroll
  for (int i = 0; i < WT_B_PER; ++i) {
    const int c = threadIdx.x + i * WT_THREADS;
    if (c < WT_B_VEC)
      *reinterpret_cast<uint4*>(&Bs[(c / (BN / 8)) * WT_BS_LD + (c % (BN / 8)) * 8]) = s.b[i];
  }
}

// Element-by-element staging (unaligned or ragged rows): global -> shared directly, zeros
// outside the matrices.
__device__ __forceinline__ void load_scalar(bf16_t* __restrict__ stage, const bf16_t* __restrict__ A,
                                            const bf16_t* __restrict__ B, long long M, long long N,
                                            long long K, long long m0, long long n0, long long k0) {
  bf16_t* As = stage;
  bf16_t* Bs = stage + BM * WT_AS_LD;
  for (int e = threadIdx.x; e < BM * BK; e += WT_THREADS) {
    const int r = e / BK, kk = e % BK;
    const long long gm = m0 + r, gk = k0 + kk;
    As[r * WT_AS_LD + kk] = (gm < M && gk < K) ? A[gm * K + gk] : bf16_t(0);
  }
  for (int e = threadIdx.x; e < BK * BN; e += WT_THREADS) {
    const int r = e / BN, nn = e % BN;
    const long long gk = k0 + r, gn = n0 + nn;
    Bs[r * WT_BS_LD + nn] = (gk < K && gn < N) ? B[gk * N + gn] : bf16_t(0);
  }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(WT_THREADS) bf16_gemm_wmma(kevo_cuda_args args) {
  // 128-byte alignment: load_matrix_sync and store_matrix_sync need 32-byte aligned tiles.
  extern __shared__ __align__(128) uint4 smem16[];
  bf16_t* smem = reinterpret_cast<bf16_t*>(smem16);
  __shared__ __align__(128) float stage_c[WT_WARPS][16 * 16];  // per-warp epilogue tile

  const bf16_t* __restrict__ A = static_cast<const bf16_t*>(args.in[0]);
  const bf16_t* __restrict__ B = static_cast<const bf16_t*>(args.in[1]);
  float* __restrict__ C = static_cast<float*>(args.out[0]);
  const long long M = args.in_shape[0][0], K = args.in_shape[0][1], N = args.in_shape[1][1];

  const long long m0 = (long long)blockIdx.y * BM, n0 = (long long)blockIdx.x * BN;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wm0 = (warp / (BN / WN)) * WM, wn0 = (warp % (BN / WN)) * WN;

  // Uniform over the grid: the vector path needs whole, aligned 16-byte chunks in every row.
  const bool vec_a = K % 8 == 0 && (reinterpret_cast<unsigned long long>(A) & 15) == 0;
  const bool vec_b = N % 8 == 0 && (reinterpret_cast<unsigned long long>(B) & 15) == 0;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[WT_FM][WT_FN];
#pragma unroll
  for (int i = 0; i < WT_FM; ++i)
#pragma unroll
    for (int j = 0; j < WT_FN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

  // The mmas of one slab held in shared memory.
  auto compute = [&](const bf16_t* stage) {
    const bf16_t* As = stage;
    const bf16_t* Bs = stage + BM * WT_AS_LD;
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> af[WT_FM];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> bf[WT_FN];
#pragma unroll
      for (int i = 0; i < WT_FM; ++i)
        wmma::load_matrix_sync(af[i],
                               reinterpret_cast<const __nv_bfloat16*>(As) +
                                   (wm0 + i * 16) * WT_AS_LD + kk,
                               WT_AS_LD);
#pragma unroll
      for (int j = 0; j < WT_FN; ++j)
        wmma::load_matrix_sync(bf[j],
                               reinterpret_cast<const __nv_bfloat16*>(Bs) + kk * WT_BS_LD + wn0 +
                                   j * 16,
                               WT_BS_LD);
#pragma unroll
      for (int i = 0; i < WT_FM; ++i)
#pragma unroll
        for (int j = 0; j < WT_FN; ++j) wmma::mma_sync(acc[i][j], af[i], bf[j], acc[i][j]);
    }
  };

  const long long ksteps = (K + BK - 1) / BK;
  if (!(vec_a && vec_b)) {
    // Rows that are not whole aligned 16-byte chunks: one buffer, staged element by element.
    for (long long t = 0; t < ksteps; ++t) {
      load_scalar(smem, A, B, M, N, K, m0, n0, t * BK);
      __syncthreads();
      compute(smem);
      __syncthreads();  // every warp is done with the slab before it is overwritten
    }
  } else {
#if DBUF
    Staged s;
    if (ksteps > 0) {
      fetch(s, A, B, M, N, K, m0, n0, 0);
      commit(s, smem);
    }
    __syncthreads();
    for (long long t = 0; t < ksteps; ++t) {
      const bool more = t + 1 < ksteps;
      // The next slab's global loads are in flight while this slab's mmas run.
      if (more) fetch(s, A, B, M, N, K, m0, n0, (t + 1) * BK);
      compute(smem + (t % 2) * WT_STAGE);
      // The other buffer was last read in iteration t - 1, before the barrier that ended it.
      if (more) commit(s, smem + ((t + 1) % 2) * WT_STAGE);
      __syncthreads();
    }
#else
    for (long long t = 0; t < ksteps; ++t) {
      Staged s;
      fetch(s, A, B, M, N, K, m0, n0, t * BK);
      commit(s, smem);
      __syncthreads();
      compute(smem);
      __syncthreads();  // every warp is done with the slab before it is overwritten
    }
#endif
  }

  // Epilogue: each 16 x 16 accumulator goes through this warp's staging tile, then each lane
  // writes 8 of its elements with bounds checks (row = e / 16, column = e % 16).
  float* tile = stage_c[warp];
#pragma unroll
  for (int i = 0; i < WT_FM; ++i)
#pragma unroll
    for (int j = 0; j < WT_FN; ++j) {
      wmma::store_matrix_sync(tile, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
#pragma unroll
      for (int q = 0; q < 8; ++q) {
        const int e = q * 32 + lane;
        const long long gm = m0 + wm0 + i * 16 + e / 16, gn = n0 + wn0 + j * 16 + e % 16;
        if (gm < M && gn < N) C[gm * N + gn] = tile[e];
      }
      __syncwarp();  // the tile is read before the next store_matrix_sync overwrites it
    }
}

// Shared-memory tiled SGEMM with register blocking: C[M,N] = A[M,K] @ B[K,N], fp32, row-major,
// beta = 0. Exact fp32: every product is an FFMA on the CUDA cores (no TF32, no tensor cores).
//
// Why it is fast:
//  * Block tiling. A block owns a BM x BN tile of C and walks K in BK steps; each step stages a
//    BM x BK slab of A and a BK x BN slab of B in shared memory, so every global element is
//    read once per block tile instead of once per output (BM resp. BN times fewer global reads).
//  * Register blocking. Each thread keeps TM x TN accumulators in registers for the whole K
//    loop; per k it loads TM values of A and TN values of B from shared memory and issues
//    TM * TN FFMAs (8 x 8: 64 FFMAs for 4 LDS.128), so shared memory bandwidth is not the limit.
//  * A is stored transposed (As[k][m]) so that the TM values a thread needs at one k are
//    contiguous: float4 loads from shared memory for both operands. Its rows are padded by 4
//    floats, which spreads the transposing stores over the banks and keeps 16-byte alignment.
//  * Strided thread micro-tile: a thread's TN columns are TN/4 float4 groups spaced BN/(TN/4)
//    apart (same for rows), so at one k the threads of a warp read consecutive float4s of a
//    shared row: no bank conflicts (a contiguous TN-wide slice per thread would be 2-way).
//  * float4 global loads and stores where the row length is a multiple of 4 (K for A, N for B
//    and C) and the pointer is 16-byte aligned; a per-element guarded path otherwise. Slabs of
//    interior blocks take loads with no checks at all (fewer non-FFMA instructions per slab).
//  * DBUF = 1: two shared buffers; the next slab's global loads are issued into registers before
//    the current slab's FFMAs and written to the other buffer after them, so global latency
//    hides behind the math and one barrier per k step suffices.
//
// Knobs (materialized as #defines): BM, BN, BK, TM, TN, DBUF, OCC.
// Tails: slabs are zero filled past M, N and K, and only in-range elements of C are stored, so
// any M, N, K is correct (K = 0 writes zeros).
#include "kevo_cuda.h"

// kevo-launch: sgemm_smem_tiled grid(cdiv(M, BM), cdiv(N, BN)) block((BM / TM) * (BN / TN)) smem((1 + DBUF) * BK * (BM + 4 + BN) * 4)

#define KT_THREADS ((BM / TM) * (BN / TN))
#define KT_AS_LD (BM + 4)                   // padded row length of the transposed A slab
#define KT_A_VEC (BM * BK / 4)              // float4 chunks in an A slab
#define KT_B_VEC (BK * BN / 4)              // float4 chunks in a B slab
#define KT_A_PER ((KT_A_VEC + KT_THREADS - 1) / KT_THREADS)
#define KT_B_PER ((KT_B_VEC + KT_THREADS - 1) / KT_THREADS)
#define KT_STAGE (BK * (BM + 4 + BN))       // floats of one shared buffer (A slab, then B slab)

namespace {

// Fetches this thread's share of the A and B slabs at k0 into registers. Ablk / Bblk point at
// the block's first row of A / first column of B, mrem / nrem are the rows / columns of the
// tile inside the matrix. INTERIOR (the slab lies entirely inside A and B, rows 16-byte
// aligned: every step of most blocks) is a straight run of float4 loads with no checks. Else the
// float4 path runs for chunks entirely in range when the rows are 16-byte aligned, and
// everything else is loaded element by element, zero past the edges.
template <bool INTERIOR>
__device__ __forceinline__ void load_slabs(const float* __restrict__ Ablk,
                                           const float* __restrict__ Bblk, int mrem, int nrem,
                                           long long N, long long K, long long k0, bool vec_a,
                                           bool vec_b, float4 (&ra)[KT_A_PER],
                                           float4 (&rb)[KT_B_PER]) {
#pragma unroll
  for (int i = 0; i < KT_A_PER; ++i) {
    const int idx = threadIdx.x + i * KT_THREADS;
    if (KT_A_VEC % KT_THREADS != 0 && idx >= KT_A_VEC) break;
    const int r = idx / (BK / 4), c = (idx % (BK / 4)) * 4;
    const long long gk = k0 + c;
    if (INTERIOR) {
      ra[i] = __ldg(reinterpret_cast<const float4*>(Ablk + r * K + gk));
      continue;
    }
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
    if (r < mrem) {
      const float* p = Ablk + r * K + gk;
      if (vec_a && gk + 3 < K) {
        v = __ldg(reinterpret_cast<const float4*>(p));
      } else {
        if (gk + 0 < K) v.x = __ldg(p + 0);
        if (gk + 1 < K) v.y = __ldg(p + 1);
        if (gk + 2 < K) v.z = __ldg(p + 2);
        if (gk + 3 < K) v.w = __ldg(p + 3);
      }
    }
    ra[i] = v;
  }
#pragma unroll
  for (int i = 0; i < KT_B_PER; ++i) {
    const int idx = threadIdx.x + i * KT_THREADS;
    if (KT_B_VEC % KT_THREADS != 0 && idx >= KT_B_VEC) break;
    const int r = idx / (BN / 4), c = (idx % (BN / 4)) * 4;
    const long long gk = k0 + r;
    if (INTERIOR) {
      rb[i] = __ldg(reinterpret_cast<const float4*>(Bblk + gk * N + c));
      continue;
    }
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
    if (gk < K) {
      const float* p = Bblk + gk * N + c;
      if (vec_b && c + 3 < nrem) {
        v = __ldg(reinterpret_cast<const float4*>(p));
      } else {
        if (c + 0 < nrem) v.x = __ldg(p + 0);
        if (c + 1 < nrem) v.y = __ldg(p + 1);
        if (c + 2 < nrem) v.z = __ldg(p + 2);
        if (c + 3 < nrem) v.w = __ldg(p + 3);
      }
    }
    rb[i] = v;
  }
}

// Writes the registers to one shared buffer: A transposed (As[k][m]), B as is (Bs[k][n]).
__device__ __forceinline__ void store_slabs(float* __restrict__ buf, const float4 (&ra)[KT_A_PER],
                                            const float4 (&rb)[KT_B_PER]) {
  float* As = buf;
  float* Bs = buf + BK * KT_AS_LD;
#pragma unroll
  for (int i = 0; i < KT_A_PER; ++i) {
    const int idx = threadIdx.x + i * KT_THREADS;
    if (KT_A_VEC % KT_THREADS != 0 && idx >= KT_A_VEC) break;
    const int r = idx / (BK / 4), c = (idx % (BK / 4)) * 4;
    As[(c + 0) * KT_AS_LD + r] = ra[i].x;
    As[(c + 1) * KT_AS_LD + r] = ra[i].y;
    As[(c + 2) * KT_AS_LD + r] = ra[i].z;
    As[(c + 3) * KT_AS_LD + r] = ra[i].w;
  }
#pragma unroll
  for (int i = 0; i < KT_B_PER; ++i) {
    const int idx = threadIdx.x + i * KT_THREADS;
    if (KT_B_VEC % KT_THREADS != 0 && idx >= KT_B_VEC) break;
    const int r = idx / (BN / 4), c = (idx % (BN / 4)) * 4;
    *reinterpret_cast<float4*>(&Bs[r * BN + c]) = rb[i];
  }
}

// BK rank-1 updates of the thread's TM x TN accumulators from one shared buffer.
__device__ __forceinline__ void compute_slab(const float* __restrict__ buf, int tr, int tc,
                                             float (&acc)[TM][TN]) {
  const float* As = buf;
  const float* Bs = buf + BK * KT_AS_LD;
#pragma unroll
  for (int k = 0; k < BK; ++k) {
    float a[TM], b[TN];
#pragma unroll
    for (int g = 0; g < TM / 4; ++g) {
      const float4 v =
          *reinterpret_cast<const float4*>(&As[k * KT_AS_LD + g * (BM / (TM / 4)) + tr * 4]);
      a[g * 4 + 0] = v.x; a[g * 4 + 1] = v.y; a[g * 4 + 2] = v.z; a[g * 4 + 3] = v.w;
    }
#pragma unroll
    for (int h = 0; h < TN / 4; ++h) {
      const float4 v =
          *reinterpret_cast<const float4*>(&Bs[k * BN + h * (BN / (TN / 4)) + tc * 4]);
      b[h * 4 + 0] = v.x; b[h * 4 + 1] = v.y; b[h * 4 + 2] = v.z; b[h * 4 + 3] = v.w;
    }
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
  }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(KT_THREADS, OCC) sgemm_smem_tiled(kevo_cuda_args args) {
  extern __shared__ float4 smem4[];  // float4 for 16-byte alignment
  float* smem = reinterpret_cast<float*>(smem4);

  const float* __restrict__ A = static_cast<const float*>(args.in[0]);
  const float* __restrict__ B = static_cast<const float*>(args.in[1]);
  float* __restrict__ C = static_cast<float*>(args.out[0]);
  const long long M = args.in_shape[0][0], K = args.in_shape[0][1], N = args.in_shape[1][1];

  const long long m0 = (long long)blockIdx.x * BM, n0 = (long long)blockIdx.y * BN;
  const int tc = threadIdx.x % (BN / TN), tr = threadIdx.x / (BN / TN);

  // Uniform per launch: rows of 16-byte aligned float4s?
  const bool vec_a = (K % 4 == 0) && ((reinterpret_cast<unsigned long long>(A) & 15) == 0);
  const bool vec_b = (N % 4 == 0) && ((reinterpret_cast<unsigned long long>(B) & 15) == 0);
  const bool vec_c = (N % 4 == 0) && ((reinterpret_cast<unsigned long long>(C) & 15) == 0);

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;

  const long long ksteps = (K + BK - 1) / BK;
  // Block-relative views: the loads then need only small row/column counts for their bounds.
  const float* Ablk = A + m0 * K;
  const float* Bblk = B + n0;
  const int mrem = static_cast<int>(M - m0 < BM ? M - m0 : BM);
  const int nrem = static_cast<int>(N - n0 < BN ? N - n0 : BN);
  float4 ra[KT_A_PER], rb[KT_B_PER];
  // Uniform per block: a full tile with aligned rows takes the check-free loads for every slab
  // that ends inside K.
  const bool interior = vec_a && vec_b && mrem == BM && nrem == BN;
  auto load = [&](long long k0) {
    if (interior && k0 + BK <= K)
      load_slabs<true>(Ablk, Bblk, mrem, nrem, N, K, k0, vec_a, vec_b, ra, rb);
    else
      load_slabs<false>(Ablk, Bblk, mrem, nrem, N, K, k0, vec_a, vec_b, ra, rb);
  };

#if DBUF
  if (ksteps > 0) {
    load(0);
    store_slabs(smem, ra, rb);
    __syncthreads();
  }
  for (long long t = 0; t < ksteps; ++t) {
    float* cur = smem + (t & 1) * KT_STAGE;
    float* nxt = smem + ((t + 1) & 1) * KT_STAGE;
    const bool more = t + 1 < ksteps;
    // Issue the next slab's loads first: they are in flight during this slab's FFMAs.
    if (more) load((t + 1) * BK);
    compute_slab(cur, tr, tc, acc);
    // `nxt` was last read in step t - 1, which every thread finished before the barrier that
    // ended it, so it can be overwritten while others still read `cur`.
    if (more) store_slabs(nxt, ra, rb);
    __syncthreads();
  }
#else
  for (long long t = 0; t < ksteps; ++t) {
    load(t * BK);
    store_slabs(smem, ra, rb);
    __syncthreads();
    compute_slab(smem, tr, tc, acc);
    __syncthreads();  // before the next step overwrites the buffer
  }
#endif

  // Epilogue: row i of the micro-tile is group i/4, lane i%4; column j likewise.
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const long long gm = m0 + (i / 4) * (BM / (TM / 4)) + tr * 4 + (i % 4);
    if (gm >= M) continue;
#pragma unroll
    for (int h = 0; h < TN / 4; ++h) {
      const long long gn = n0 + h * (BN / (TN / 4)) + tc * 4;
      float* p = C + gm * N + gn;
      if (vec_c && gn + 3 < N) {
        *reinterpret_cast<float4*>(p) =
            make_float4(acc[i][h * 4 + 0], acc[i][h * 4 + 1], acc[i][h * 4 + 2], acc[i][h * 4 + 3]);
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j)
          if (gn + j < N) p[j] = acc[i][h * 4 + j];
      }
    }
  }
}

// bf16 GEMM on the tensor cores with mma.sync m16n8k16, fed by ldmatrix from a multi-stage
// cp.async pipeline: C[M,N] (fp32) = A[M,K] (bf16) @ B[K,N] (bf16), all row-major, fp32
// accumulation, beta = 0.
//
// Why it is fast:
//  * Tensor cores. One mma.sync.m16n8k16 does 16 x 8 x 16 multiply-adds (4096 flops) per warp
//    instruction, against 32 FFMAs (64 flops) for an FP32 warp instruction. Products of two bf16
//    are exact; the sums stay in fp32 accumulators (registers) for the whole K loop.
//  * Three tiling levels. A block owns BM x BN of C; each warp a WM x WN sub-tile, held as
//    (WM/16) x (WN/8) accumulator fragments of 4 floats per lane. Per 16-wide k-step a warp loads
//    WM/16 A fragments and WN/8 B fragments and issues (WM/16) * (WN/8) mmas: with 64 x 64, 8
//    ldmatrix.x4 feed 32 mmas.
//  * ldmatrix. One ldmatrix.x4 loads four 8 x 8 bf16 matrices from shared memory straight into
//    the mma fragment layout (A row-major; B with .trans, since B is stored k-major: rows of k
//    with n contiguous, and the mma wants k pairs in each register). Shared rows are padded by 8
//    bf16 (16 bytes), so the 8 row addresses of one 8 x 8 matrix fall in 8 different 16-byte bank
//    groups: conflict free, no swizzle arithmetic.
//  * cp.async (Ampere+): 16-byte global -> shared copies (8 bf16) that bypass the registers.
//    STAGES k-slabs are in flight: while the mmas work on slab t, slabs t+1 .. t+STAGES-1 are
//    already being copied, hiding DRAM/L2 latency; one barrier per BK step.
//  * Out-of-range rows and k-chunks are copied with src-size 0, which zero fills: the inner
//    loop has no bounds checks (zeros add nothing), only the copies and the final stores do.
//
// Knobs (materialized as #defines): BM, BN, BK, WM, WN, STAGES.
// Correct for any M, N, K: the 16-byte copies need K % 8 == 0 (A) and N % 8 == 0 (B) and
// 16-byte aligned bases; otherwise that operand is staged element by element with ordinary
// loads (correct, slower). C is stored as float2 where N is even, else as scalars; K = 0
// writes zeros.
#include "kevo_cuda.h"

// kevo-launch: bf16_gemm_mma grid(cdiv(N, BN), cdiv(M, BM)) block((BM / WM) * (BN / WN) * 32) smem(STAGES * (BM * (BK + 8) + BK * (BN + 8)) * 2)

#define MMA_THREADS ((BM / WM) * (BN / WN) * 32)
#define MMA_WARPS_N (BN / WN)
#define MMA_AS_LD (BK + 8)  // padded row length (bf16) of the A slab [BM][BK]
#define MMA_BS_LD (BN + 8)  // padded row length (bf16) of the B slab [BK][BN]
#define MMA_STAGE (BM * MMA_AS_LD + BK * MMA_BS_LD)  // bf16 per stage: A slab, then B slab
#define MMA_MI (WM / 16)                             // m16 fragments per warp
#define MMA_NI (WN / 8)                              // n8 fragments per warp

static_assert(BK % 16 == 0, "BK must be a multiple of the mma's k = 16");
static_assert(WM % 16 == 0 && WN % 16 == 0, "warp tiles are whole 16 x 16 ldmatrix.x4 blocks");
static_assert(BM % WM == 0 && BN % WN == 0, "warps tile the block");
static_assert(STAGES >= 2, "the pipeline needs two stages at least");

namespace {

typedef unsigned short bf16_t;  // raw bf16 bits, as the harness stores them

__device__ __forceinline__ unsigned smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// 16-byte copy, zero filled past src_bytes (0 or 16 here; 0 reads nothing).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(src_bytes)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}
// Waits until at most STAGES - 2 groups are pending: the oldest slab in flight has landed.
__device__ __forceinline__ void cp_async_wait_stage() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(STAGES - 2) : "memory");
}

// Four 8 x 8 bf16 matrices; lane l gives the address of row l % 8 of matrix l / 8.
__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

// d += a * b for one 16 x 8 x 16 tile: a row-major 16 x 16 bf16, b column-major 16 x 8 bf16,
// d 16 x 8 fp32.
__device__ __forceinline__ void mma_bf16(float (&d)[4], const unsigned (&a)[4], unsigned b0,
                                         unsigned b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Stages the A and B slabs at k0 into one stage buffer. Chunks are 8 bf16 (16 bytes) along the
// contiguous dimension; consecutive threads take consecutive chunks of a row (coalesced).
// vec_a / vec_b: that operand's rows are whole 16-byte chunks (K % 8 == 0, resp. N % 8 == 0, and
// an aligned base), so a chunk is entirely inside or entirely outside the matrix and is copied
// with cp.async (16 or 0 source bytes). Otherwise the slab is staged element by element.
__device__ __forceinline__ void load_slabs(bf16_t* __restrict__ stage, const bf16_t* __restrict__ A,
                                           const bf16_t* __restrict__ B, long long M, long long N,
                                           long long K, long long m0, long long n0, long long k0,
                                           bool vec_a, bool vec_b) {
  bf16_t* As = stage;
  bf16_t* Bs = stage + BM * MMA_AS_LD;
  constexpr int A_CHUNKS = BM * BK / 8, B_CHUNKS = BK * BN / 8;
  if (vec_a) {
#pragma unroll
    for (int i = 0; i < (A_CHUNKS + MMA_THREADS - 1) / MMA_THREADS; ++i) {
      const int c = threadIdx.x + i * MMA_THREADS;
      if (A_CHUNKS % MMA_THREADS != 0 && c >= A_CHUNKS) break;
      const int r = c / (BK / 8), kc = (c % (BK / 8)) * 8;
      const long long gm = m0 + r, gk = k0 + kc;
      const bool ok = gm < M && gk < K;
      cp_async16(&As[r * MMA_AS_LD + kc], ok ? A + gm * K + gk : A, ok ? 16 : 0);
    }
  } else {
    for (int e = threadIdx.x; e < BM * BK; e += MMA_THREADS) {
      const int r = e / BK, kk = e % BK;
      const long long gm = m0 + r, gk = k0 + kk;
      As[r * MMA_AS_LD + kk] = (gm < M && gk < K) ? A[gm * K + gk] : bf16_t(0);
    }
  }
  if (vec_b) {
#pragma unroll
    for (int i = 0; i < (B_CHUNKS + MMA_THREADS - 1) / MMA_THREADS; ++i) {
      const int c = threadIdx.x + i * MMA_THREADS;
      if (B_CHUNKS % MMA_THREADS != 0 && c >= B_CHUNKS) break;
      const int r = c / (BN / 8), nc = (c % (BN / 8)) * 8;
      const long long gk = k0 + r, gn = n0 + nc;
      const bool ok = gk < K && gn < N;
      cp_async16(&Bs[r * MMA_BS_LD + nc], ok ? B + gk * N + gn : B, ok ? 16 : 0);
    }
  } else {
    for (int e = threadIdx.x; e < BK * BN; e += MMA_THREADS) {
      const int r = e / BN, nn = e % BN;
      const long long gk = k0 + r, gn = n0 + nn;
      Bs[r * MMA_BS_LD + nn] = (gk < K && gn < N) ? B[gk * N + gn] : bf16_t(0);
    }
  }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(MMA_THREADS) bf16_gemm_mma(kevo_cuda_args args) {
  extern __shared__ __align__(128) uint4 smem16[];  // 16-byte aligned rows for cp.async, ldmatrix
  bf16_t* smem = reinterpret_cast<bf16_t*>(smem16);

  const bf16_t* __restrict__ A = static_cast<const bf16_t*>(args.in[0]);
  const bf16_t* __restrict__ B = static_cast<const bf16_t*>(args.in[1]);
  float* __restrict__ C = static_cast<float*>(args.out[0]);
  const long long M = args.in_shape[0][0], K = args.in_shape[0][1], N = args.in_shape[1][1];

  const long long m0 = (long long)blockIdx.y * BM, n0 = (long long)blockIdx.x * BN;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wm0 = (warp / MMA_WARPS_N) * WM;  // this warp's tile inside the block tile
  const int wn0 = (warp % MMA_WARPS_N) * WN;

  // Uniform over the grid, so every thread of a block takes the same staging path.
  const bool vec_a = K % 8 == 0 && (reinterpret_cast<unsigned long long>(A) & 15) == 0;
  const bool vec_b = N % 8 == 0 && (reinterpret_cast<unsigned long long>(B) & 15) == 0;

  float acc[MMA_MI][MMA_NI][4];
#pragma unroll
  for (int i = 0; i < MMA_MI; ++i)
#pragma unroll
    for (int j = 0; j < MMA_NI; ++j)
#pragma unroll
      for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.0f;

  const long long ksteps = (K + BK - 1) / BK;

  // Prologue: STAGES - 1 slabs in flight. A group is committed even when empty so that the
  // group count, which wait_group relies on, is the same in every iteration.
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < ksteps)
      load_slabs(smem + s * MMA_STAGE, A, B, M, N, K, m0, n0, (long long)s * BK, vec_a, vec_b);
    cp_async_commit();
  }

  // ldmatrix row addresses of this lane: row lane % 16, 8-column half lane / 16 of a 16 x 16
  // block (for A: m rows and k columns; for B: k rows and n columns).
  const int lrow = lane % 16, lcol = (lane / 16) * 8;

  for (long long t = 0; t < ksteps; ++t) {
    cp_async_wait_stage();  // this thread's copies of slab t are done ...
    __syncthreads();        // ... and everyone's; also: every warp finished reading slab t - 1
    // Refill the stage that slab t - 1 used: its readers are past the barrier above.
    const long long nt = t + STAGES - 1;
    if (nt < ksteps)
      load_slabs(smem + (nt % STAGES) * MMA_STAGE, A, B, M, N, K, m0, n0, nt * BK, vec_a, vec_b);
    cp_async_commit();

    const bf16_t* As = smem + (t % STAGES) * MMA_STAGE;
    const bf16_t* Bs = As + BM * MMA_AS_LD;
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      // A fragments: matrices (rows 0-7, k 0-7), (rows 8-15, k 0-7), (rows 0-7, k 8-15),
      // (rows 8-15, k 8-15) = the mma's a0a1, a2a3, a4a5, a6a7 registers.
      unsigned af[MMA_MI][4];
#pragma unroll
      for (int i = 0; i < MMA_MI; ++i)
        ldmatrix_x4(af[i], &As[(wm0 + i * 16 + lrow) * MMA_AS_LD + kk + lcol]);
      // B fragments, two n8 blocks per ldmatrix.x4.trans: matrices (k 0-7, n 0-7),
      // (k 8-15, n 0-7), (k 0-7, n 8-15), (k 8-15, n 8-15); .trans gives each lane the k pair
      // (2 * (lane % 4), +1) of column lane / 4, the mma's b0b1 (k 0-7) and b2b3 (k 8-15).
      unsigned bfr[MMA_NI][2];
#pragma unroll
      for (int j = 0; j < MMA_NI / 2; ++j) {
        unsigned r[4];
        ldmatrix_x4_trans(r, &Bs[(kk + lrow) * MMA_BS_LD + wn0 + j * 16 + lcol]);
        bfr[2 * j][0] = r[0];
        bfr[2 * j][1] = r[1];
        bfr[2 * j + 1][0] = r[2];
        bfr[2 * j + 1][1] = r[3];
      }
#pragma unroll
      for (int i = 0; i < MMA_MI; ++i)
#pragma unroll
        for (int j = 0; j < MMA_NI; ++j) mma_bf16(acc[i][j], af[i], bfr[j][0], bfr[j][1]);
    }
  }
  asm volatile("cp.async.wait_all;\n" ::: "memory");  // no copy outlives the block (only empty ones left)

  // Epilogue. Accumulator fragment (i, j): lane holds rows g and g + 8 (g = lane / 4), columns
  // 2 * (lane % 4) and +1 of the 16 x 8 tile at (wm0 + 16 i, wn0 + 8 j).
  const bool pair_ok = N % 2 == 0 && (reinterpret_cast<unsigned long long>(C) & 7) == 0;
  const int g = lane / 4, tq = (lane % 4) * 2;
#pragma unroll
  for (int i = 0; i < MMA_MI; ++i) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const long long gm = m0 + wm0 + i * 16 + g + h * 8;
      if (gm >= M) continue;
      float* crow = C + gm * N;
#pragma unroll
      for (int j = 0; j < MMA_NI; ++j) {
        const long long gn = n0 + wn0 + j * 8 + tq;
        const float v0 = acc[i][j][2 * h], v1 = acc[i][j][2 * h + 1];
        if (pair_ok && gn + 1 < N) {
          *reinterpret_cast<float2*>(crow + gn) = make_float2(v0, v1);
        } else {
          if (gn < N) crow[gn] = v0;
          if (gn + 1 < N) crow[gn + 1] = v1;
        }
      }
    }
  }
}

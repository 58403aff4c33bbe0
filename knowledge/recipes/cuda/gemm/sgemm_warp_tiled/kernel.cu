// Warp-tiled SGEMM fed by a multi-stage cp.async pipeline: C[M,N] = A[M,K] @ B[K,N], fp32,
// row-major, beta = 0. Exact fp32: every product is an FFMA on the CUDA cores (no TF32).
//
// Why it is fast:
//  * Three tiling levels. A block owns BM x BN of C; each of its warps owns a WM x WN sub-tile;
//    each lane owns TM x TN outputs in registers. The 32 lanes of a warp form a (WM/TM) x (WN/TN)
//    grid, so at one k a warp reads only WM/TM distinct float4s of A and WN/TN of B from shared
//    memory (one wavefront each for the 4 x 8 and 8 x 4 layouts), against TM * TN FFMAs per lane.
//    A lane's rows (columns) are TM/4 (TN/4) float4 groups spaced WM/(TM/4) (WN/(TN/4)) apart, so
//    the lanes of a warp read consecutive float4s: conflict free.
//  * cp.async (Ampere+): global -> shared copies that bypass the registers and run
//    asynchronously. STAGES slabs are in flight: while the FFMAs work on slab t, the copies for
//    slabs t+1 .. t+STAGES-1 are already issued, which hides DRAM/L2 latency without the register
//    cost of a register-staged prefetch; one barrier per BK step.
//  * ALAYOUT 0 (default): A is transposed on the way in (As[k][m], rows padded by 4 floats) with
//    4-byte copies: 8 consecutive lanes take 8 consecutive k of one row (a full 32-byte sector of
//    A), 4 rows per warp, so the global reads stay sector-efficient and the 32 shared stores hit
//    32 different banks (row stride = 4 mod 32 banks). ALAYOUT 1: A rows are copied 16 bytes at a
//    time into a row-major slab with XOR-swizzled chunks and read one float4 (4 k) per row; 4x
//    fewer copies but 24 more live registers (1 block of 256 threads per SM).
//    B keeps its layout and is copied 16 bytes at a time.
//  * Out-of-range elements are copied with src-size 0, which zero fills in shared memory: the
//    inner loop has no bounds checks, only the copies and the final stores do; slabs of interior
//    blocks take copies with no checks at all (measured 9% on 2048^3).
//
// Knobs (materialized as #defines): BM, BN, BK, WM, WN, TM, TN, STAGES, OCC, ALAYOUT.
// Correct for any M, N, K: B falls back to 4-byte copies when N is not a multiple of 4 (or B
// is not 16-byte aligned), C to scalar stores likewise; K = 0 writes zeros.
#include "kevo_cuda.h"

// kevo-launch: sgemm_warp_tiled grid(cdiv(M, BM), cdiv(N, BN)) block((BM / WM) * (BN / WN) * 32) smem(STAGES * BK * (BM + 4 + BN) * 4)

#define WT_THREADS ((BM / WM) * (BN / WN) * 32)
#define WT_AS_LD (BM + 4)              // padded row length of the transposed A slab
#define WT_STAGE (BK * (BM + 4 + BN))  // floats of one stage: A slab, then B slab
#define WT_A_EL (BM * BK)              // 4-byte copies per A slab
#define WT_B_VEC (BK * BN / 4)         // 16-byte copies per B slab
#define WT_AR (WT_THREADS / 8)        // rows of A covered by one round of 4-byte copies
#define WT_A_PER ((WT_A_EL + WT_THREADS - 1) / WT_THREADS)
#define WT_B_PER ((WT_B_VEC + WT_THREADS - 1) / WT_THREADS)
#define WT_A4 (BM * BK / 4)            // 16-byte copies per A slab (ALAYOUT 1)
#define WT_A4_PER ((WT_A4 + WT_THREADS - 1) / WT_THREADS)
// ALAYOUT 1 swizzle: XOR a 16-byte chunk's index with bits 2..4 of its row. The rows that one
// shared load of a warp touches are 4 apart, so they get different chunk slots inside a
// 128-byte line (no bank conflicts); all rows sharing a line (BK >= 8) have the same value, so
// the XOR only permutes chunks inside their line.
#define WT_SWZ(m) (((m) >> 2) & 7)
#define WT_LN (WN / TN)                // lanes along n in a warp
#define WT_WARPS_N (BN / WN)

namespace {

__device__ __forceinline__ unsigned smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// cp.async with a source size: bytes past `src_bytes` are zero filled (src_bytes = 0 reads
// nothing, so `src` only has to be some valid address).
__device__ __forceinline__ void cp_async4(void* dst, const void* src, int src_bytes) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(src_bytes));
}
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
  // .cg: bypass L1; B slabs are reused across blocks through L2, not L1.
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
// Waits until at most STAGES - 2 groups are pending, i.e. the oldest issued slab has landed.
__device__ __forceinline__ void cp_async_wait_stage() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(STAGES - 2));
}

// Issues the copies of the A and B slabs at k0 into one stage buffer.
// A: copy i of this thread covers u = q + i * WT_AR (q = tid / 8, WT_AR = threads / 8 rows per
// round) -> row u % BM, k = 8 * (u / BM) + tid % 8. B: copy i covers chunk tid + i * threads ->
// row / float4 column of the slab. Written with compile-time splits of i so that only one
// row pointer per operand is live; the per-copy offsets are cheap multiply-adds.
// INTERIOR (the slab lies entirely inside A and B, rows 16-byte aligned: every step of most
// blocks) drops all bounds checks and source-size selects.
template <bool INTERIOR>
__device__ __forceinline__ void issue_slabs(float* __restrict__ buf, const float* __restrict__ Ablk,
                                            const float* __restrict__ Bblk, int mrem, int nrem,
                                            long long N, long long K, long long k0, bool vec_a,
                                            bool vec_b) {
  float* As = buf;
  float* Bs = buf + BK * WT_AS_LD;
#if ALAYOUT == 0
  const int q = threadIdx.x / 8, kl = threadIdx.x % 8;
#pragma unroll
  for (int i = 0; i < WT_A_PER; ++i) {
#if WT_AR <= BM
    const int m = q + (i % (BM / WT_AR)) * WT_AR, kh = i / (BM / WT_AR);
#else
    const int m = q % BM, kh = q / BM + i * (WT_AR / BM);
    if (kh >= BK / 8) break;
#endif
    const int k = kh * 8 + kl;
    const long long gk = k0 + k;
    if (INTERIOR) {
      cp_async4(&As[k * WT_AS_LD + m], Ablk + m * K + gk, 4);
      continue;
    }
    const bool ok = m < mrem && gk < K;
    cp_async4(&As[k * WT_AS_LD + m], ok ? Ablk + m * K + gk : Ablk, ok ? 4 : 0);
  }
#else
  // Row-major A slab, 16-byte chunk c = m * BK/4 + j (k = 4j .. 4j+3) stored at c ^ swz(m).
#pragma unroll
  for (int i = 0; i < WT_A4_PER; ++i) {
    const int idx = threadIdx.x + i * WT_THREADS;
    if (WT_A4 % WT_THREADS != 0 && idx >= WT_A4) break;
    const int m = idx / (BK / 4), kq = (idx % (BK / 4)) * 4;
    const long long gk = k0 + kq;
    float* dst = &As[(idx ^ WT_SWZ(m)) * 4];
    if (INTERIOR) {
      cp_async16(dst, Ablk + m * K + gk, 16);
    } else if (vec_a) {
      const int valid = m < mrem ? static_cast<int>(K - gk < 4 ? (K - gk > 0 ? K - gk : 0) : 4) : 0;
      cp_async16(dst, valid > 0 ? Ablk + m * K + gk : Ablk, valid * 4);
    } else {
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const bool ok = m < mrem && gk + j < K;
        cp_async4(dst + j, ok ? Ablk + m * K + gk + j : Ablk, ok ? 4 : 0);
      }
    }
  }
#endif
#pragma unroll
  for (int i = 0; i < WT_B_PER; ++i) {
    const int idx = threadIdx.x + i * WT_THREADS;
    if (WT_B_VEC % WT_THREADS != 0 && idx >= WT_B_VEC) break;
    const int r = idx / (BN / 4), c = (idx % (BN / 4)) * 4;
    const long long gk = k0 + r;
    float* dst = &Bs[r * BN + c];
    if (INTERIOR) {
      cp_async16(dst, Bblk + gk * N + c, 16);
    } else if (vec_b) {
      // A partial chunk at the right edge copies its valid 4-byte words and zero fills the rest.
      const int valid = gk < K ? min(nrem - c, 4) : 0;
      cp_async16(dst, valid > 0 ? Bblk + gk * N + c : Bblk, valid > 0 ? valid * 4 : 0);
    } else {
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const bool ok = gk < K && c + j < nrem;
        cp_async4(dst + j, ok ? Bblk + gk * N + c + j : Bblk, ok ? 4 : 0);
      }
    }
  }
}

}  // namespace

extern "C" __global__ void __launch_bounds__(WT_THREADS, OCC) sgemm_warp_tiled(kevo_cuda_args args) {
  extern __shared__ float4 smem4[];  // float4 for 16-byte alignment
  float* smem = reinterpret_cast<float*>(smem4);

  const float* __restrict__ A = static_cast<const float*>(args.in[0]);
  const float* __restrict__ B = static_cast<const float*>(args.in[1]);
  float* __restrict__ C = static_cast<float*>(args.out[0]);
  const long long M = args.in_shape[0][0], K = args.in_shape[0][1], N = args.in_shape[1][1];

  const long long m0 = (long long)blockIdx.x * BM, n0 = (long long)blockIdx.y * BN;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  // Offsets of this lane's first row / column inside the block tile.
  const int wm = (warp / WT_WARPS_N) * WM + (lane / WT_LN) * 4;
  const int wn = (warp % WT_WARPS_N) * WN + (lane % WT_LN) * 4;

  const bool vec_a = (K % 4 == 0) && ((reinterpret_cast<unsigned long long>(A) & 15) == 0);
  const bool vec_b = (N % 4 == 0) && ((reinterpret_cast<unsigned long long>(B) & 15) == 0);
  const bool vec_c = (N % 4 == 0) && ((reinterpret_cast<unsigned long long>(C) & 15) == 0);

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;

  const long long ksteps = (K + BK - 1) / BK;
  // Block-relative views: the copies then need only small row/column counts for their bounds.
  const float* Ablk = A + m0 * K;
  const float* Bblk = B + n0;
  const int mrem = static_cast<int>(M - m0 < BM ? M - m0 : BM);
  const int nrem = static_cast<int>(N - n0 < BN ? N - n0 : BN);

  // Uniform per block: a full tile with aligned rows takes the check-free copies for every slab
  // that ends inside K.
  const bool interior = vec_a && vec_b && mrem == BM && nrem == BN;
  auto issue = [&](int stage, long long k0) {
    float* buf = smem + stage * WT_STAGE;
    if (interior && k0 + BK <= K)
      issue_slabs<true>(buf, Ablk, Bblk, mrem, nrem, N, K, k0, vec_a, vec_b);
    else
      issue_slabs<false>(buf, Ablk, Bblk, mrem, nrem, N, K, k0, vec_a, vec_b);
  };

  // Prologue: STAGES - 1 slabs in flight. A group is committed even when empty so that the
  // group count, which wait_group relies on, is the same in every iteration.
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < ksteps) issue(s, s * BK);
    cp_async_commit();
  }

  for (long long t = 0; t < ksteps; ++t) {
    cp_async_wait_stage();  // this thread's copies of slab t are done ...
    __syncthreads();        // ... and everyone's; also: every thread finished slab t - 1
    // Refill the stage that slab t - 1 used: its readers are past the barrier above.
    const long long nt = t + STAGES - 1;
    if (nt < ksteps) issue(static_cast<int>(nt % STAGES), nt * BK);
    cp_async_commit();

    const float* As = smem + (t % STAGES) * WT_STAGE;
    const float* Bs = As + BK * WT_AS_LD;
#if ALAYOUT == 0
#pragma unroll
    for (int k = 0; k < BK; ++k) {
      float a[TM], b[TN];
#pragma unroll
      for (int g = 0; g < TM / 4; ++g) {
        const float4 v =
            *reinterpret_cast<const float4*>(&As[k * WT_AS_LD + wm + g * (WM / (TM / 4))]);
        a[g * 4 + 0] = v.x; a[g * 4 + 1] = v.y; a[g * 4 + 2] = v.z; a[g * 4 + 3] = v.w;
      }
#pragma unroll
      for (int h = 0; h < TN / 4; ++h) {
        const float4 v = *reinterpret_cast<const float4*>(&Bs[k * BN + wn + h * (WN / (TN / 4))]);
        b[h * 4 + 0] = v.x; b[h * 4 + 1] = v.y; b[h * 4 + 2] = v.z; b[h * 4 + 3] = v.w;
      }
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
#else
    // Four k at a time: one float4 of A per row (4 consecutive k), then 4 rank-1 updates.
    const float4* As4 = reinterpret_cast<const float4*>(As);
#pragma unroll
    for (int kq = 0; kq < BK / 4; ++kq) {
      float4 a4[TM];
#pragma unroll
      for (int i = 0; i < TM; ++i) {
        const int r = wm + (i / 4) * (WM / (TM / 4)) + (i % 4);
        a4[i] = As4[(r * (BK / 4) + kq) ^ WT_SWZ(r)];
      }
#pragma unroll
      for (int kk = 0; kk < 4; ++kk) {
        float b[TN];
#pragma unroll
        for (int h = 0; h < TN / 4; ++h) {
          const float4 v = *reinterpret_cast<const float4*>(
              &Bs[(kq * 4 + kk) * BN + wn + h * (WN / (TN / 4))]);
          b[h * 4 + 0] = v.x; b[h * 4 + 1] = v.y; b[h * 4 + 2] = v.z; b[h * 4 + 3] = v.w;
        }
#pragma unroll
        for (int i = 0; i < TM; ++i) {
          const float a = kk == 0 ? a4[i].x : kk == 1 ? a4[i].y : kk == 2 ? a4[i].z : a4[i].w;
#pragma unroll
          for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a, b[j], acc[i][j]);
        }
      }
    }
#endif
  }
  asm volatile("cp.async.wait_all;\n" ::);  // no copy may outlive the block (only empty ones left)

  // Epilogue: row i of the micro-tile is group i/4, lane i%4; column j likewise.
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const long long gm = m0 + wm + (i / 4) * (WM / (TM / 4)) + (i % 4);
    if (gm >= M) continue;
#pragma unroll
    for (int h = 0; h < TN / 4; ++h) {
      const long long gn = n0 + wn + h * (WN / (TN / 4));
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

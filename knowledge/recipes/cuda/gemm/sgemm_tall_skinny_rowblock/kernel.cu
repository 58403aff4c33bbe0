// Tall-skinny SGEMM, B resident in shared memory, A streamed by persistent blocks:
// C[M,N] = A[M,K] @ B[K,N], fp32, row-major, beta = 0, for small N and K (e.g. M = 262144,
// N = K = 64). Exact fp32: every product is an FFMA on the CUDA cores (no TF32).
//
// Why it is fast:
//  * With N = K = 64 the whole product is 16 flops per byte of compulsory traffic (A read once,
//    C written once), close to the GPU's FFMA-to-DRAM balance: the kernel has to stream A at
//    full bandwidth *and* keep the FFMA pipes busy. A general SGEMM grid re-reads B per block and
//    drains its pipeline at every tile (K = 64 is only a few BK steps).
//  * Persistent blocks (BLOCKS of them, grid-stride over BM-row tiles of A): each block loads its
//    KC x BN chunk of B into shared memory once and keeps it for all its tiles.
//  * A tiles stream through a STAGES-deep cp.async ring: while the FFMAs work on tile t, the
//    copies of the next STAGES - 1 tiles are in flight, so DRAM latency hides behind the math and
//    the pipeline never drains between tiles. Interior tiles take check-free copies.
//  * ALAYOUT 1 (the default; measured ~20% faster on H100 than 0 at the default tile): A rows are
//    copied 16 bytes at a time (.cg, bypassing L1) into a row-major tile whose 16-byte chunks are
//    XOR swizzled, and the inner loop reads one float4 per row = 4 consecutive k, then does 4
//    rank-1 updates. ALAYOUT 0 transposes A on the way in (As[k][m], rows padded by 4 floats) with
//    4-byte copies: 8 consecutive lanes take one 32-byte sector of a row and a warp's 32 shared
//    stores land in 32 banks, but it costs 4x the copy instructions.
//  * Register blocking as in the square kernels: TM x TN accumulators per thread, float4 shared
//    loads of both operands, thread micro-tiles strided by float4 groups (conflict-free reads).
//    C is written straight from the registers with float4 stores (whole 128-byte rows per warp).
//
// Knobs (materialized as #defines): BM, BN, KC, TM, TN, STAGES, BLOCKS, OCC, KU, ALAYOUT.
// Any M, N, K is correct: N is covered by grid.y slabs of BN columns; K by chunks of KC rows,
// the first chunk storing C and later ones adding to it (each C tile belongs to one thread set of
// one block, so the read-modify-write is race free). With K <= KC (the intended case) B is loaded
// once per block and C written once. Zero fill past M, N, K; guarded stores; K = 0 writes zeros.
#include "kevo_cuda.h"

// kevo-launch: sgemm_tall_skinny_rowblock grid(min(cdiv(M, BM), BLOCKS), cdiv(N, BN)) block((BM / TM) * (BN / TN)) smem((KC * BN + STAGES * KC * (BM + 4)) * 4)

#define TS_THREADS ((BM / TM) * (BN / TN))
#define TS_AS_LD (BM + 4)                 // padded row length of a transposed A tile
#define TS_A_TILE (KC * TS_AS_LD)         // floats of one A stage
#define TS_AR (TS_THREADS / 8)            // rows of A covered by one round of 4-byte copies
#define TS_A_PER ((BM * KC + TS_THREADS - 1) / TS_THREADS)
#define TS_A4 (BM * KC / 4)               // 16-byte copies per A tile (ALAYOUT 1)
#define TS_A4_PER ((TS_A4 + TS_THREADS - 1) / TS_THREADS)
// ALAYOUT 1 swizzle: XOR a 16-byte chunk's index with bits 2..4 of its row, so the 4 rows one
// shared load of a warp touches (4 apart) sit in different bank groups; KC >= 32 keeps every
// row in whole 128-byte lines, so the XOR only permutes chunks within a row.
#define TS_SWZ(m) (((m) >> 2) & 7)
// "#pragma unroll KU" would not expand the macro under nvcc; _Pragma through a helper does.
#define TS_PRAGMA(x) _Pragma(#x)
#define TS_UNROLL(n) TS_PRAGMA(unroll n)

namespace {

__device__ __forceinline__ void cp_async4(void* dst, const void* src, int src_bytes) {
  // src_bytes = 0 copies nothing and zero fills the 4 bytes (src must still be a valid address).
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(
                   static_cast<unsigned>(__cvta_generic_to_shared(dst))),
               "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_stage() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(STAGES - 2));
}

__device__ __forceinline__ void cp_async16(void* dst, const void* src, int src_bytes) {
  // .cg: A is streamed once, keep it out of L1.
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(
                   static_cast<unsigned>(__cvta_generic_to_shared(dst))),
               "l"(src), "r"(src_bytes));
}

// Issues the copies of A rows [m0, m0 + BM) x columns [k0, k0 + KC) into one stage. INTERIOR
// (the tile lies entirely inside A, rows 16-byte aligned: all tiles but the last of a
// 262144 x 64 A) drops all bounds checks.
template <bool INTERIOR>
__device__ __forceinline__ void issue_a_tile(float* __restrict__ As, const float* __restrict__ A,
                                             int mrem, long long K, long long m0, long long k0,
                                             bool vec_a) {
  const float* Ablk = A + m0 * K;
#if ALAYOUT == 0
  // Transposed (As[k][m]): copy i of this thread covers u = q + i * TS_AR (q = tid / 8) ->
  // row u % BM, k = 8 * (u / BM) + tid % 8.
  (void)vec_a;
  const int q = threadIdx.x / 8, kl = threadIdx.x % 8;
#pragma unroll
  for (int i = 0; i < TS_A_PER; ++i) {
#if TS_AR <= BM
    const int m = q + (i % (BM / TS_AR)) * TS_AR, kh = i / (BM / TS_AR);
#else
    const int m = q % BM, kh = q / BM + i * (TS_AR / BM);
    if (kh >= KC / 8) break;
#endif
    const int k = kh * 8 + kl;
    const long long gk = k0 + k;
    if (INTERIOR) {
      cp_async4(&As[k * TS_AS_LD + m], Ablk + m * K + gk, 4);
      continue;
    }
    const bool ok = m < mrem && gk < K;
    cp_async4(&As[k * TS_AS_LD + m], ok ? Ablk + m * K + gk : A, ok ? 4 : 0);
  }
#else
  // Row-major (As[m][k]), 16-byte chunk c = m * KC/4 + j stored at c ^ swz(m).
#pragma unroll
  for (int i = 0; i < TS_A4_PER; ++i) {
    const int idx = threadIdx.x + i * TS_THREADS;
    if (TS_A4 % TS_THREADS != 0 && idx >= TS_A4) break;
    const int m = idx / (KC / 4), kq = (idx % (KC / 4)) * 4;
    const long long gk = k0 + kq;
    float* dst = &As[(idx ^ TS_SWZ(m)) * 4];
    if (INTERIOR) {
      cp_async16(dst, Ablk + m * K + gk, 16);
    } else if (vec_a) {
      const int valid = m < mrem ? static_cast<int>(K - gk < 4 ? (K - gk > 0 ? K - gk : 0) : 4) : 0;
      cp_async16(dst, valid > 0 ? Ablk + m * K + gk : A, valid * 4);
    } else {
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const bool ok = m < mrem && gk + j < K;
        cp_async4(dst + j, ok ? Ablk + m * K + gk + j : A, ok ? 4 : 0);
      }
    }
  }
#endif
}

__device__ __forceinline__ void issue_a(float* __restrict__ As, const float* __restrict__ A,
                                        long long M, long long K, long long m0, long long k0,
                                        bool vec_a) {
  const int mrem = static_cast<int>(M - m0 < BM ? M - m0 : BM);
  if (mrem == BM && k0 + KC <= K && (vec_a || ALAYOUT == 0))
    issue_a_tile<true>(As, A, mrem, K, m0, k0, vec_a);
  else
    issue_a_tile<false>(As, A, mrem, K, m0, k0, vec_a);
}

}  // namespace

extern "C" __global__ void __launch_bounds__(TS_THREADS, OCC)
    sgemm_tall_skinny_rowblock(kevo_cuda_args args) {
  extern __shared__ float4 smem4[];  // float4 for 16-byte alignment
  float* Bs = reinterpret_cast<float*>(smem4);  // KC x BN chunk of B
  float* Aring = Bs + KC * BN;                  // STAGES transposed A tiles

  const float* __restrict__ A = static_cast<const float*>(args.in[0]);
  const float* __restrict__ B = static_cast<const float*>(args.in[1]);
  float* __restrict__ C = static_cast<float*>(args.out[0]);
  const long long M = args.in_shape[0][0], K = args.in_shape[0][1], N = args.in_shape[1][1];

  const long long n0 = (long long)blockIdx.y * BN;
  const int tc = threadIdx.x % (BN / TN), tr = threadIdx.x / (BN / TN);
  const bool vec_a = (K % 4 == 0) && ((reinterpret_cast<unsigned long long>(A) & 15) == 0);
  const bool vec_c = (N % 4 == 0) && ((reinterpret_cast<unsigned long long>(C) & 15) == 0);

  // This block's tiles: blockIdx.x, blockIdx.x + gridDim.x, ...; work items run chunk-major
  // (all tiles for k chunk 0, then chunk 1, ...) so B changes only between chunks.
  const long long tiles = (M + BM - 1) / BM;
  const long long cnt = tiles > blockIdx.x ? (tiles - blockIdx.x + gridDim.x - 1) / gridDim.x : 0;
  const long long chunks = K > 0 ? (K + KC - 1) / KC : 1;  // K = 0: one empty chunk stores zeros
  const long long items = cnt * chunks;
  auto item_m0 = [&](long long t) { return (blockIdx.x + (t % cnt) * gridDim.x) * (long long)BM; };

#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < items) issue_a(Aring + s * TS_A_TILE, A, M, K, item_m0(s), (s / cnt) * KC, vec_a);
    cp_async_commit();  // empty groups too: keeps the count wait_group relies on uniform
  }

  for (long long t = 0; t < items; ++t) {
    const long long chunk = t / cnt;
    cp_async_wait_stage();
    if (t % cnt == 0) {
      // New k chunk: every thread must be done reading the old B chunk before it is replaced.
      __syncthreads();
      const long long k0 = chunk * KC;
      for (int idx = threadIdx.x; idx < KC * BN; idx += TS_THREADS) {
        const int r = idx / BN, c = idx % BN;
        const long long gk = k0 + r, gn = n0 + c;
        Bs[idx] = (gk < K && gn < N) ? __ldg(B + gk * N + gn) : 0.f;
      }
    }
    __syncthreads();  // tile t (all threads' copies) and the B chunk are in shared memory
    const long long nt = t + STAGES - 1;
    if (nt < items)
      issue_a(Aring + (nt % STAGES) * TS_A_TILE, A, M, K, item_m0(nt), (nt / cnt) * KC, vec_a);
    cp_async_commit();

    const float* As = Aring + (t % STAGES) * TS_A_TILE;
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
      for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;
#if ALAYOUT == 0
    TS_UNROLL(KU)
    for (int k = 0; k < KC; ++k) {
      float a[TM], b[TN];
#pragma unroll
      for (int g = 0; g < TM / 4; ++g) {
        const float4 v =
            *reinterpret_cast<const float4*>(&As[k * TS_AS_LD + g * (BM / (TM / 4)) + tr * 4]);
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
#else
    // Four k at a time: one float4 of A per row (4 consecutive k), then 4 rank-1 updates.
    const float4* As4 = reinterpret_cast<const float4*>(As);
    TS_UNROLL(KU / 4 > 0 ? KU / 4 : 1)
    for (int kq = 0; kq < KC / 4; ++kq) {
      float4 a4[TM];
#pragma unroll
      for (int i = 0; i < TM; ++i) {
        const int r = (i / 4) * (BM / (TM / 4)) + tr * 4 + (i % 4);
        a4[i] = As4[(r * (KC / 4) + kq) ^ TS_SWZ(r)];
      }
#pragma unroll
      for (int kk = 0; kk < 4; ++kk) {
        float b[TN];
#pragma unroll
        for (int h = 0; h < TN / 4; ++h) {
          const float4 v = *reinterpret_cast<const float4*>(
              &Bs[(kq * 4 + kk) * BN + h * (BN / (TN / 4)) + tc * 4]);
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

    // Store (first chunk) or accumulate (later chunks) this thread's outputs. The same thread
    // wrote these elements for the previous chunk, so program order makes the sum safe.
    const long long m0 = item_m0(t);
    const bool add = chunk > 0;
#pragma unroll
    for (int i = 0; i < TM; ++i) {
      const long long gm = m0 + (i / 4) * (BM / (TM / 4)) + tr * 4 + (i % 4);
      if (gm >= M) continue;
#pragma unroll
      for (int h = 0; h < TN / 4; ++h) {
        const long long gn = n0 + h * (BN / (TN / 4)) + tc * 4;
        float* p = C + gm * N + gn;
        float4 v = make_float4(acc[i][h * 4 + 0], acc[i][h * 4 + 1], acc[i][h * 4 + 2],
                               acc[i][h * 4 + 3]);
        if (vec_c && gn + 3 < N) {
          if (add) {
            const float4 o = *reinterpret_cast<const float4*>(p);
            v.x += o.x; v.y += o.y; v.z += o.z; v.w += o.w;
          }
          *reinterpret_cast<float4*>(p) = v;
        } else {
          const float w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
          for (int j = 0; j < 4; ++j)
            if (gn + j < N) p[j] = add ? p[j] + w[j] : w[j];
        }
      }
    }
  }
  asm volatile("cp.async.wait_all;\n" ::);  // no copy may outlive the block (only empty ones left)
}

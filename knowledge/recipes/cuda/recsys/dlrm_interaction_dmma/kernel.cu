// dlrm_interaction on the GPU with FP64 tensor cores: one warp per sample computes the lower
// triangle of X X^T with mma.sync m8n8k4 f64 (DMMA), the features streamed into shared memory by
// persistent blocks (cp.async, double-buffered).
//
// out[b, i(i-1)/2 + j] = dot(X_b[i], X_b[j]) for j < i < F. With FP32 FMAs the pairwise dots are
// limited by shared memory, not DRAM: a 4x4 register tile needs 8 LDS.128 per 64 FMAs, ~900
// shared-memory wavefronts per sample against ~110 for the sample's own bytes. A tensor-core Gram
// matrix reads each feature once: the F <= 32 rows form four 8-row blocks, and the 10 block pairs
// (bi >= bj) are 10 DMMA accumulators (2 doubles per lane each) that stay in registers for the
// whole D loop. The operands are exact: a float converts to double exactly and a product of two
// floats fits a double, so the sums are more accurate than the reference's tolerance needs
// (fp64 accumulation, like the reference).
//  * Operand sharing: the m8n8k4 B fragment of X_bj^T (lane holds B[lane%4][lane/4]) is the A
//    fragment of X_bj (lane holds A[lane/4][lane%4]), so one fragment per row block per k-step
//    serves every tile.
//  * k order: D is consumed 16 columns at a time; lane l loads the float4 at column 16g + 4(l%4)
//    of its row (one LDS.128 per row block) and uses its 4 components in 4 consecutive k-steps.
//    That permutes k identically for A and B, which a dot product does not see, and turns 16
//    4-byte loads into 4 16-byte loads.
//  * Rows are stored with a stride of roundup(D, 32) + 16 floats (= 4 mod 8 in 16-byte units), so
//    the two rows a quarter-warp reads fall in disjoint bank quads: conflict-free.
//  * Per sample: 4 x D/16 LDS.128 and 4 x D/4 float->double conversions per lane, 10 x D/4 DMMAs
//    (320 at D = 128), 351 stores to a shared staging row; each block group of SPB samples
//    leaves as one coalesced run of SPB * F(F-1)/2 floats.
// Measured on an H100 (training set, cold): ~88 us whatever SPB/BPS, i.e. bound by the DMMA rate
// (~2.6M mma.sync f64, about 0.13 per clock per SM achieved), slower than the FP32 tile kernel
// dlrm_interaction_smem (~70 us). It stays as the exact variant (products exact, sums in fp64,
// bit-equal to the reference's rounding on random data) and as the base for a TF32/BF16x3 split.
// Rows past F-1 of the last block repeat row F-1 and their results are discarded. F > 32 uses a
// plain per-lane FP32 loop (correct, not fast); D % 4 != 0 or an unaligned input takes
// synchronous staging with zero-filled padding columns.
#include "kevo_cuda.h"

// kevo-launch: dlrm_interaction_dmma grid(min(cdiv(B, SPB), 132 * BPS)) block(32 * SPB) smem(4 * (2 * SPB * F * (cdiv(D, 32) * 32 + 16) + SPB * (F * (F - 1) / 2)))

__device__ __forceinline__ void cpAsync16(void* smem, const void* gmem) {
  const unsigned s = (unsigned)__cvta_generic_to_shared(smem);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(gmem) : "memory");
}
__device__ __forceinline__ void cpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cpAsyncWaitPrev() { asm volatile("cp.async.wait_group 1;\n" ::: "memory"); }

// c += a * b for one 8x8x4 fp64 tile (A row-major, B column-major fragments of one double each).
__device__ __forceinline__ void dmma(double& c0, double& c1, double a, double b) {
  asm("mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64 {%0, %1}, {%2}, {%3}, {%0, %1};\n"
      : "+d"(c0), "+d"(c1)
      : "d"(a), "d"(b));
}

// Copies samples [b0, b0 + ns) into dst (rows of stride dp floats); one commit group per call.
__device__ __forceinline__ void stage(float* dst, const float* __restrict__ feat, long long b0,
                                      int ns, int nf, int dim, int dp, bool async) {
  const int rows = ns * nf;
  const float* src = feat + b0 * nf * dim;
  if (async) {
    const int d4 = dim >> 2;
    const int total = rows * d4;
    for (int q = threadIdx.x; q < total; q += 32 * SPB) {
      const int r = q / d4, c = q - r * d4;
      cpAsync16(dst + r * dp + 4 * c, src + 4LL * q);
    }
  } else {
    const int wide = (dim + 15) & ~15;  // columns dim .. wide-1 are read by the compute: zero them
    const int total = rows * wide;
    for (int e = threadIdx.x; e < total; e += 32 * SPB) {
      const int r = e / wide, c = e - r * wide;
      dst[r * dp + c] = c < dim ? src[(long long)r * dim + c] : 0.0f;
    }
  }
  cpAsyncCommit();
}

// The 10 tiles (bi, bj), bi >= bj, of four 8-row blocks, in a fixed order.
#define DL_TILE_BI(t) ((t) < 1 ? 0 : (t) < 3 ? 1 : (t) < 6 ? 2 : 3)
#define DL_TILE_BJ(t) ((t) - DL_TILE_BI(t) * (DL_TILE_BI(t) + 1) / 2)

extern "C" __global__ void __launch_bounds__(32 * SPB, BPS)
dlrm_interaction_dmma(kevo_cuda_args a) {
  extern __shared__ float4 smem4[];
  const float* __restrict__ feat = (const float*)a.in[0];
  float* __restrict__ out = (float*)a.out[0];
  const long long batch = a.in_shape[0][0];
  const int nf = (int)a.in_shape[0][1], dim = (int)a.in_shape[0][2];
  const int pairs = nf * (nf - 1) / 2;
  const int dp = ((dim + 31) & ~31) + 16;  // smem row stride in floats
  const int wide = (dim + 15) & ~15;       // columns the tensor-core loop reads
  const long long groups = (batch + SPB - 1) / SPB;
  const bool async = dim % 4 == 0 && ((unsigned long long)feat & 15) == 0;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;

  float* const buf0 = (float*)smem4;  // two feature buffers of SPB * nf * dp floats each
  const int bufFloats = SPB * nf * dp;
  float* const outS = buf0 + 2 * bufFloats;

  // cp.async never writes columns dim .. wide-1; zero them once in both buffers.
  if (async && wide > dim) {
    const int padc = wide - dim;
    for (int e = threadIdx.x; e < 2 * SPB * nf * padc; e += 32 * SPB)
      buf0[(e / padc) * dp + dim + e % padc] = 0.0f;
  }

  long long grp = blockIdx.x;
  if (grp < groups)
    stage(buf0, feat, grp * SPB, (int)min((long long)SPB, batch - grp * SPB), nf, dim, dp, async);
  for (int k = 0; grp < groups; grp += gridDim.x, k ^= 1) {
    const long long b0 = grp * SPB;
    const int ns = (int)min((long long)SPB, batch - b0);
    const long long nxt = grp + gridDim.x;
    if (nxt < groups)
      stage(buf0 + (k ^ 1) * bufFloats, feat, nxt * SPB, (int)min((long long)SPB, batch - nxt * SPB),
            nf, dim, dp, async);
    else
      cpAsyncCommit();
    cpAsyncWaitPrev();
    __syncthreads();

    if (warp < ns) {
      const float* X = buf0 + k * bufFloats + warp * nf * dp;
      float* o = outS + warp * pairs;
      if (nf <= 32) {
        // Row of block b that this lane's fragments come from, and its column offset.
        const float* rp[4];
#pragma unroll
        for (int b = 0; b < 4; ++b) rp[b] = X + min(8 * b + (lane >> 2), nf - 1) * dp + 4 * (lane & 3);
        const int nbk = (nf + 7) >> 3;  // row blocks in use (tiles with bi >= nbk are skipped)
        double acc[10][2];
#pragma unroll
        for (int t = 0; t < 10; ++t) acc[t][0] = acc[t][1] = 0.0;
        for (int g = 0; g < wide; g += 16) {
          float4 f[4];
#pragma unroll
          for (int b = 0; b < 4; ++b) f[b] = b < nbk ? *(const float4*)(rp[b] + g) : make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
          for (int q = 0; q < 4; ++q) {
            double v[4];
#pragma unroll
            for (int b = 0; b < 4; ++b)
              v[b] = (double)(q == 0 ? f[b].x : q == 1 ? f[b].y : q == 2 ? f[b].z : f[b].w);
#pragma unroll
            for (int t = 0; t < 10; ++t)
              if (DL_TILE_BI(t) < nbk) dmma(acc[t][0], acc[t][1], v[DL_TILE_BI(t)], v[DL_TILE_BJ(t)]);
          }
        }
        // Accumulator e of tile (bi, bj) is Gram entry (8bi + lane/4, 8bj + 2(lane%4) + e).
#pragma unroll
        for (int t = 0; t < 10; ++t) {
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const int i = 8 * DL_TILE_BI(t) + (lane >> 2), j = 8 * DL_TILE_BJ(t) + 2 * (lane & 3) + e;
            if (j < i && i < nf) o[i * (i - 1) / 2 + j] = (float)acc[t][e];
          }
        }
      } else {
        // Generic F: one pair per lane at a time, double accumulation.
        for (int p = lane; p < pairs; p += 32) {
          int i = (int)((1.0f + sqrtf(1.0f + 8.0f * p)) * 0.5f);  // i(i-1)/2 <= p < i(i+1)/2
          while (i * (i - 1) / 2 > p) --i;
          while (i * (i + 1) / 2 <= p) ++i;
          const int j = p - i * (i - 1) / 2;
          double s = 0.0;
          for (int c = 0; c < dim; ++c) s += (double)X[i * dp + c] * (double)X[j * dp + c];
          o[p] = (float)s;
        }
      }
    }
    __syncthreads();
    const int total = ns * pairs;
    float* dst = out + b0 * pairs;
    for (int e = threadIdx.x; e < total; e += 32 * SPB) __stcs(dst + e, outS[e]);
  }
  asm volatile("cp.async.wait_all;\n" ::: "memory");
}

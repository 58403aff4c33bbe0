// dlrm_interaction on the GPU: persistent blocks stream SPB samples at a time into shared memory
// (cp.async, double-buffered) and compute the 351 pairwise dots from there in 4x4 register tiles.
//
// out[b, i(i-1)/2 + j] = dot(X_b[i], X_b[j]) for j < i < F. The training call moves 13.5 KiB of
// features per sample and writes 1.4 KiB, but does 45K multiply-adds per sample: at H100 rates
// the FMAs fit in ~40% of the DRAM time, so the design goal is to overlap them with the loads.
// The operand traffic from shared memory is the real limit: 4x4 tiles read 8 rows per tile per
// D chunk, ~900 LDS wavefronts per sample against ~110 for the sample's own bytes (~35 us of
// shared-memory time for the training set on an H100; measured ~70 us, ~0.59 of the copy floor):
//  * each block owns SPB-sample groups grp = blockIdx.x, +gridDim.x, ... (grid sized for BPS
//    resident blocks per SM); while it computes one group, the next group's F x D features are
//    already being copied global -> shared by cp.async (16 bytes each, no registers, L1
//    bypassed), so every SM keeps BPS * SPB * 13.5 KiB of loads in flight;
//  * rows are stored with a stride of D + 4 floats (for D % 4 == 0): row r, 16-byte chunk c sits in
//    bank quad (r + c) % 8, so the 8 lanes of a quarter-warp that read one row's consecutive
//    chunks never conflict;
//  * the pairs are covered by 4x4 tiles (i-block >= j-block, ceil(F/4)(ceil(F/4)+1)/2 = 28 tiles at
//    F = 27, 78% useful pairs); SLICES lanes share a tile, each summing every SLICES-th 4-float
//    chunk of D: per chunk 8 LDS.128 feed 64 FMAs, then the 16 partial sums are reduced across the
//    SLICES lanes by a transpose-reduce (each xor-shuffle step halves the values a lane keeps:
//    8 + 4 + 2 shuffles for SLICES = 8 instead of 16 * 3);
//  * results go to a shared staging row per sample and leave as one coalesced run of SPB*351
//    floats (the packed triangle of consecutive samples is contiguous in out).
// Rows past F - 1 in the last tile read row F - 1 and are discarded. D % 4 != 0 or an unaligned
// input take synchronous scalar staging with zero-filled padding columns (same compute).
// fp32 FMA sums in a different order from the reference's double: within the allclose tolerance.
#include "kevo_cuda.h"

// kevo-launch: dlrm_interaction_smem grid(min(cdiv(B, SPB), 132 * BPS)) block(THREADS) smem(4 * (2 * SPB * F * (cdiv(D, 4) * 4 + 4) + SPB * (F * (F - 1) / 2)))


__device__ __forceinline__ void cpAsync16(void* smem, const void* gmem) {
  const unsigned s = (unsigned)__cvta_generic_to_shared(smem);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(gmem) : "memory");
}
__device__ __forceinline__ void cpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cpAsyncWaitPrev() { asm volatile("cp.async.wait_group 1;\n" ::: "memory"); }

// Copy samples [b0, b0 + ns) into dst (rows of stride dp floats); one commit group per call.
__device__ __forceinline__ void stage(float* dst, const float* __restrict__ feat, long long b0,
                                      int ns, int nf, int dim, int dp, bool async) {
  const int rows = ns * nf;
  const float* src = feat + b0 * nf * dim;
  if (async) {
    const int d4 = dim >> 2;
    const int total = rows * d4;
    for (int q = threadIdx.x; q < total; q += THREADS) {
      const int r = q / d4, c = q - r * d4;
      cpAsync16(dst + r * dp + 4 * c, src + 4LL * q);
    }
  } else {
    const int wide = (dim + 3) & ~3;  // columns dim .. wide-1 are read by the compute: zero them
    const int total = rows * wide;
    for (int e = threadIdx.x; e < total; e += THREADS) {
      const int r = e / wide, c = e - r * wide;
      dst[r * dp + c] = c < dim ? src[(long long)r * dim + c] : 0.0f;
    }
  }
  cpAsyncCommit();
}

// One step of the transpose-reduce over lanes OFF apart (no-op for OFF = 0): the lane with bit
// OFF set keeps entries HALF..2*HALF-1 of its first 2*HALF values, its partner entries 0..HALF-1,
// and each adds the other's copy of the entries it keeps into acc[0 .. HALF-1].
template <int OFF, int HALF>
__device__ __forceinline__ void reduceStep(float* acc, int s, unsigned mask) {
  if (OFF == 0) return;
  const bool upper = (s & OFF) != 0;
#pragma unroll
  for (int e = 0; e < HALF; ++e) {
    const float send = upper ? acc[e] : acc[e + HALF];
    const float keep = upper ? acc[e + HALF] : acc[e];
    acc[e] = keep + __shfl_xor_sync(mask, send, OFF > 0 ? OFF : 1, SLICES);
  }
}

extern "C" __global__ void __launch_bounds__(THREADS, BPS)
dlrm_interaction_smem(kevo_cuda_args a) {
  extern __shared__ float4 smem4[];
  const float* __restrict__ feat = (const float*)a.in[0];
  float* __restrict__ out = (float*)a.out[0];
  const long long batch = a.in_shape[0][0];
  const int nf = (int)a.in_shape[0][1], dim = (int)a.in_shape[0][2];
  const int pairs = nf * (nf - 1) / 2;
  const int d4 = (dim + 3) >> 2;  // 4-float chunks per row (last one zero-padded)
  const int dp = 4 * d4 + 4;      // smem row stride in floats
  const int nt = (nf + 3) >> 2;   // 4-row blocks
  const int tiles = nt * (nt + 1) / 2;
  const long long groups = (batch + SPB - 1) / SPB;
  const bool async = dim % 4 == 0 && ((unsigned long long)feat & 15) == 0;

  float* const buf0 = (float*)smem4;  // two feature buffers of SPB * nf * dp floats each
  const int bufFloats = SPB * nf * dp;
  float* const outS = buf0 + 2 * bufFloats;

  const int s = threadIdx.x % SLICES;  // slice of D this lane sums
  const unsigned mask = ((1u << SLICES) - 1) << ((threadIdx.x % 32) / SLICES * SLICES);

  long long grp = blockIdx.x;
  if (grp < groups)
    stage(buf0, feat, grp * SPB, (int)min((long long)SPB, batch - grp * SPB), nf, dim, dp, async);
  for (int k = 0; grp < groups; grp += gridDim.x, k ^= 1) {
    const long long b0 = grp * SPB;
    const int ns = (int)min((long long)SPB, batch - b0);
    // Prefetch the next group into the other buffer (its last readers passed the barrier at the
    // end of the previous iteration); always commit so that "wait for all but one" is uniform.
    const long long nxt = grp + gridDim.x;
    if (nxt < groups)
      stage(buf0 + (k ^ 1) * bufFloats, feat, nxt * SPB, (int)min((long long)SPB, batch - nxt * SPB), nf, dim, dp,
            async);
    else
      cpAsyncCommit();
    cpAsyncWaitPrev();
    __syncthreads();

    const float* X = buf0 + k * bufFloats;
    const int items = ns * tiles * SLICES;  // a multiple of SLICES: groups of lanes stay whole
    for (int it = threadIdx.x; it < items; it += THREADS) {
      const int g = it / SLICES;
      const int smp = g / tiles, t = g - smp * tiles;
      int ib = (int)((sqrtf(8.0f * t + 1.0f) - 1.0f) * 0.5f);  // t = ib(ib+1)/2 + jb, jb <= ib
      while ((ib + 1) * (ib + 2) / 2 <= t) ++ib;
      while (ib * (ib + 1) / 2 > t) --ib;
      const int jb = t - ib * (ib + 1) / 2;
      // The tile's rows as float4 indices into X (32-bit: shared memory is small).
      const int rowI = smp * nf + 4 * ib, rowJ = smp * nf + 4 * jb, last = smp * nf + nf - 1;
      const float4* X4 = (const float4*)X;
      const int q4 = dp >> 2;  // row stride in float4s
      const int i0 = rowI * q4, i1 = min(rowI + 1, last) * q4, i2 = min(rowI + 2, last) * q4,
                i3 = min(rowI + 3, last) * q4;
      const int j0 = rowJ * q4, j1 = min(rowJ + 1, last) * q4, j2 = min(rowJ + 2, last) * q4,
                j3 = min(rowJ + 3, last) * q4;
      float acc[16];
#pragma unroll
      for (int e = 0; e < 16; ++e) acc[e] = 0.0f;
      for (int c = s; c < d4; c += SLICES) {
        const float4 x[4] = {X4[i0 + c], X4[i1 + c], X4[i2 + c], X4[i3 + c]};
#pragma unroll
        for (int q = 0; q < 4; ++q) {
          const float4 y = X4[(q == 0 ? j0 : q == 1 ? j1 : q == 2 ? j2 : j3) + c];
#pragma unroll
          for (int r = 0; r < 4; ++r) {
            float v = acc[4 * r + q];
            v = fmaf(x[r].x, y.x, v);
            v = fmaf(x[r].y, y.y, v);
            v = fmaf(x[r].z, y.z, v);
            v = fmaf(x[r].w, y.w, v);
            acc[4 * r + q] = v;
          }
        }
      }
      // Transpose-reduce over the SLICES lanes (log2(SLICES) steps, each halving the values a
      // lane keeps): lane s ends with the complete sums of tile entries s*NV .. s*NV + NV-1,
      // NV = 16 / SLICES, entry 4*r + q being the pair (4*ib + r, 4*jb + q).
      reduceStep<SLICES / 2, 8>(acc, s, mask);
      reduceStep<SLICES / 4, 4>(acc, s, mask);
      reduceStep<SLICES / 8, 2>(acc, s, mask);
      reduceStep<SLICES / 16, 1>(acc, s, mask);
#pragma unroll
      for (int e = 0; e < 16 / SLICES; ++e) {
        const int idx = s * (16 / SLICES) + e;
        const int i = 4 * ib + idx / 4, j = 4 * jb + idx % 4;
        if (j < i && i < nf) outS[smp * pairs + i * (i - 1) / 2 + j] = acc[e];
      }
    }
    __syncthreads();
    // The packed rows of samples b0 .. b0+ns-1 are one contiguous run of out.
    const int total = ns * pairs;
    float* dst = out + b0 * pairs;
    for (int e = threadIdx.x; e < total; e += THREADS) __stcs(dst + e, outS[e]);
  }
  // Drain the (empty) last commit group before exit.
  asm volatile("cp.async.wait_all;\n" ::: "memory");
}

// bucketize on the GPU with a guide table in shared memory: one table read and (usually) zero to
// two boundary compares per value instead of a log2(NB)-step search.
//
// out[i] = number of boundaries < values[i]. A binary or Eytzinger search costs log2(NB) = 10-11
// dependent shared-memory reads per value, and the deep levels are random addresses: ~3.5-way
// bank conflicts per warp-wide read, so a warp spends ~20 shared-memory wavefronts per 32 values,
// about as long as the DRAM traffic itself. Here each block builds, once, a table over
// K = BINS * NB equal-width bins of [b[0], b[NB-1]]:
//   g(x) = min(max((x - b[0]) * (K / (b[NB-1] - b[0])), 0), K - 1), truncated to an integer,
// which is monotone in x (every step is a monotone IEEE operation; NaN lands on bin 0). For bin j
// the table holds the boundary index range [start_j, start_{j+1}) of the boundaries with
// g(b) == j, packed as two 16-bit halves of one word. By monotonicity every boundary in an
// earlier bin is < v and every one in a later bin is > v, so
//   out = start_j + #{boundaries in bin j that are < v},
// exact for any data; the count is a short lower_bound over that range (with BINS bins per
// boundary, ~80% of the bins hold 0 or 1 boundaries; clustered boundaries just make it longer).
// Build: thread i writes the start of the bins in (g(b[i-1]), g(b[i])] and the end of the bins in
// [g(b[i-1]), g(b[i])), so every half-word is written exactly once, no scan needed.
// Blocks are persistent (a grid of 1024/BLOCK blocks per SM, sized so that all are resident)
// and loop over tiles of BLOCK*ELEMS values, so the table is built once per block, not per tile;
// the next tile's 16-byte loads are issued before the current tile is searched. NB above
// GUIDE_NB (or above 65535, the 16-bit limit) falls back to a branchless search in global memory.
#include "kevo_cuda.h"

// Largest NB given a table: the block needs 4 * (1 + BINS) * NB bytes of shared memory.
#define GUIDE_NB 2048

// kevo-launch: bucketize_guide_smem grid(min(cdiv(N, BLOCK * ELEMS), 132 * (1024 / BLOCK))) block(BLOCK) smem(4 * (1 + BINS) * min(NB, GUIDE_NB) + 16)

__device__ __forceinline__ int binOf(float x, float lo, float scale, int k) {
  // fmaxf(NaN, 0) = 0, so NaN (and x - lo = NaN from inf - inf or 0 * inf) goes to bin 0
  const float t = fminf(fmaxf((x - lo) * scale, 0.0f), (float)(k - 1));
  return (int)t;
}

__device__ __forceinline__ int lowerBoundGlobal(const float* __restrict__ b, int n, float v) {
  if (n == 0) return 0;
  int base = 0, len = n;
  while (len > 1) {
    const int half = len >> 1;
    base = __ldg(b + base + half) < v ? base + half : base;
    len -= half;
  }
  return base + (__ldg(b + base) < v ? 1 : 0);
}

extern "C" __global__ void __launch_bounds__(BLOCK, 1024 / BLOCK)
bucketize_guide_smem(kevo_cuda_args a) {
  extern __shared__ float sm[];
  const float* __restrict__ values = (const float*)a.in[0];
  const float* __restrict__ bounds = (const float*)a.in[1];
  int* __restrict__ out = (int*)a.out[0];
  const long long n = a.in_shape[0][0];
  const int nb = (int)a.in_shape[1][0];
  const long long tiles = (n + BLOCK * ELEMS - 1) / (BLOCK * ELEMS);
  const bool aligned = ((((unsigned long long)values | (unsigned long long)out) & 15) == 0);
  const bool table = nb > 0 && nb <= GUIDE_NB;

  // Values of tile t for this thread: element e = 4q + c is tile0 + 4*(q*BLOCK + tid) + c on the
  // 16-byte path (full tile, aligned), else tile0 + e*BLOCK + tid.
  auto load = [&](long long t, float* v) {
    const long long tile0 = t * (BLOCK * ELEMS);
    if ((ELEMS % 4 == 0) && aligned && tile0 + BLOCK * ELEMS <= n) {
      const float4* src = (const float4*)(values + tile0);
#pragma unroll
      for (int q = 0; q < ELEMS / 4; ++q) {
        const float4 f = __ldcs(src + q * BLOCK + threadIdx.x);
        v[4 * q + 0] = f.x; v[4 * q + 1] = f.y; v[4 * q + 2] = f.z; v[4 * q + 3] = f.w;
      }
    } else {
#pragma unroll
      for (int e = 0; e < ELEMS; ++e) {
        const long long i = tile0 + (long long)e * BLOCK + threadIdx.x;
        v[e] = i < n ? values[i] : 0.0f;
      }
    }
  };
  auto store = [&](long long t, const int* r) {
    const long long tile0 = t * (BLOCK * ELEMS);
    if ((ELEMS % 4 == 0) && aligned && tile0 + BLOCK * ELEMS <= n) {
      int4* dst = (int4*)(out + tile0);
#pragma unroll
      for (int q = 0; q < ELEMS / 4; ++q)
        __stcs(dst + q * BLOCK + threadIdx.x,
               make_int4(r[4 * q + 0], r[4 * q + 1], r[4 * q + 2], r[4 * q + 3]));
    } else {
#pragma unroll
      for (int e = 0; e < ELEMS; ++e) {
        const long long i = tile0 + (long long)e * BLOCK + threadIdx.x;
        if (i < n) out[i] = r[e];
      }
    }
  };

  long long t = blockIdx.x;
  if (t >= tiles) return;
  float v[ELEMS];
  load(t, v);  // in flight while the table is built

  // Table: sb[0 .. nb) = boundaries, then K packed words {start_j, start_{j+1}}.
  const int k = BINS * nb;
  float* sb = sm;
  unsigned* packed = (unsigned*)(sm + nb);
  unsigned short* half16 = (unsigned short*)packed;  // [2j] = start_j, [2j+1] = start_{j+1}
  float lo = 0.0f, scale = 0.0f;
  if (table) {
    lo = __ldg(bounds);
    scale = (float)k / (__ldg(bounds + nb - 1) - lo);
    for (int i = threadIdx.x; i <= nb; i += BLOCK) {
      const float bi = i < nb ? __ldg(bounds + i) : 0.0f;
      if (i < nb) sb[i] = bi;
      const int gi = i < nb ? binOf(bi, lo, scale, k) : k;
      const int gp = i > 0 ? binOf(__ldg(bounds + i - 1), lo, scale, k) : -1;
      for (int j = gp + 1; j <= min(gi, k - 1); ++j) half16[2 * j] = (unsigned short)i;
      for (int j = max(gp, 0); j < gi; ++j) half16[2 * j + 1] = (unsigned short)i;
    }
    __syncthreads();
  }

  for (;;) {
    const long long tn = t + gridDim.x;
    float vn[ELEMS];
    if (tn < tiles) load(tn, vn);  // next tile's loads overlap this tile's search
    int r[ELEMS];
    if (table) {
      unsigned w[ELEMS];
#pragma unroll
      for (int e = 0; e < ELEMS; ++e) w[e] = packed[binOf(v[e], lo, scale, k)];
#pragma unroll
      for (int e = 0; e < ELEMS; ++e) {
        int s = (int)(w[e] & 0xffffu), end = (int)(w[e] >> 16);
        while (s < end) {  // lower_bound inside the bin (0-2 steps in the common case)
          const int mid = (s + end) >> 1;
          if (sb[mid] < v[e]) s = mid + 1; else end = mid;
        }
        r[e] = s;
      }
    } else {
#pragma unroll
      for (int e = 0; e < ELEMS; ++e) r[e] = lowerBoundGlobal(bounds, nb, v[e]);
    }
    store(t, r);
    if (tn >= tiles) break;
    t = tn;
#pragma unroll
    for (int e = 0; e < ELEMS; ++e) v[e] = vn[e];
  }
}

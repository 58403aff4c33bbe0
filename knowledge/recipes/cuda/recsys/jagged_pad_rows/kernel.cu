// jagged_pad on the GPU: TPR threads per output row, each row written once with coalesced
// stores, the copied part and the zero padding in the same store stream.
//
// Row b is out[b, j] = values[off[b] + j] for j < n_b = min(off[b+1] - off[b], max_len), else 0.
// A pure copy: the time is the bytes, the B*max_len*4 written plus the ~0.86*T*4 read (values past
// max_len are never loaded), so the whole job is keeping enough 16-byte accesses in flight.
//  * VEC=4: each thread writes whole float4s of its row (rows are 16-byte aligned when max_len %
//    4 == 0). The segment start is arbitrary, so the source of output float4 c straddles two
//    aligned source float4s: the thread loads both aligned chunks (the second is the next
//    thread's first, an L1 hit, so DRAM sees each line once) and picks its four floats with
//    selects on s = off[b] % 4, which is uniform over the row (no divergence, no local memory).
//    A chunk is loaded only if it holds a live value, so a load never leaves the segment's
//    16-byte span (never past the end of `values`); padding chunks load nothing.
//  * VEC=1: plain coalesced 4-byte loads and stores (any max_len and alignment); also the fallback
//    when the float4 path's alignment does not hold.
// UNROLL chunks per thread are loaded before any is stored (the compiler may not move a load
// above a store to memory that could alias), so UNROLL (x2) 16-byte loads per thread are in
// flight. Output stores are streaming (evict-first): nothing reads them back in this call.
#include "kevo_cuda.h"

// kevo-launch: jagged_pad_rows grid(cdiv(B, BLOCK / TPR)) block(BLOCK)

__device__ __forceinline__ float pick(float4 lo, float4 hi, int s, int t) {
  // element t of the float4 that starts s floats into lo: lo[s + t] or hi[s + t - 4]
  const int i = s + t;
  const float a = i == 0 ? lo.x : i == 1 ? lo.y : i == 2 ? lo.z : lo.w;
  const float b = i == 4 ? hi.x : i == 5 ? hi.y : hi.z;
  return i < 4 ? a : b;
}

extern "C" __global__ void __launch_bounds__(BLOCK) jagged_pad_rows(kevo_cuda_args a) {
  const float* __restrict__ values = (const float*)a.in[0];
  const long long* __restrict__ offsets = (const long long*)a.in[1];
  float* __restrict__ out = (float*)a.out[0];
  const long long rows = a.in_shape[1][0] - 1;
  const long long maxLen = a.scalar[0];

  const long long row = (long long)blockIdx.x * (BLOCK / TPR) + threadIdx.x / TPR;
  const int lane = threadIdx.x % TPR;
  if (row >= rows) return;
  const long long start = offsets[row];
  const long long len = min(offsets[row + 1] - start, maxLen);
  float* dst = out + row * maxLen;

  const bool vec = VEC == 4 && (maxLen & 3) == 0 &&
                   ((((unsigned long long)values | (unsigned long long)out) & 15) == 0);
  if (vec) {
    const int s = (int)(start & 3);
    const float4* src = (const float4*)(values + (start - s));  // aligned chunk holding start
    float4* dst4 = (float4*)dst;
    const long long chunks = maxLen >> 2;
    const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
    for (long long c0 = lane; c0 < chunks; c0 += TPR * UNROLL) {
      float4 lo[UNROLL], hi[UNROLL];
#pragma unroll
      for (int u = 0; u < UNROLL; ++u) {
        const long long c = c0 + (long long)u * TPR;
        const long long j = 4 * c;  // first output column of this chunk
        // src[c] holds columns j - s .. j - s + 3 (column j among them); src[c + 1] the next four
        lo[u] = c < chunks && j < len ? __ldg(src + c) : zero;
        hi[u] = c < chunks && s != 0 && j + 4 - s < len ? __ldg(src + c + 1) : zero;
      }
#pragma unroll
      for (int u = 0; u < UNROLL; ++u) {
        const long long c = c0 + (long long)u * TPR;
        if (c < chunks) {
          const long long j = 4 * c;
          float4 r;
          r.x = j + 0 < len ? pick(lo[u], hi[u], s, 0) : 0.0f;
          r.y = j + 1 < len ? pick(lo[u], hi[u], s, 1) : 0.0f;
          r.z = j + 2 < len ? pick(lo[u], hi[u], s, 2) : 0.0f;
          r.w = j + 3 < len ? pick(lo[u], hi[u], s, 3) : 0.0f;
          __stcs(dst4 + c, r);
        }
      }
    }
  } else {
    const float* src = values + start;
    for (long long j0 = lane; j0 < maxLen; j0 += TPR * UNROLL) {
      float x[UNROLL];
#pragma unroll
      for (int u = 0; u < UNROLL; ++u) {
        const long long j = j0 + (long long)u * TPR;
        x[u] = j < len ? __ldg(src + j) : 0.0f;
      }
#pragma unroll
      for (int u = 0; u < UNROLL; ++u) {
        const long long j = j0 + (long long)u * TPR;
        if (j < maxLen) __stcs(dst + j, x[u]);
      }
    }
  }
}

// bucketize on the GPU: the boundaries live in shared memory, every thread searches ELEMS values.
//
// out[i] = number of boundaries < values[i] (std::lower_bound). The traffic is 8 bytes per value
// (read 4, write 4) and the NB boundaries; the search itself is log2(NB) dependent compares, so
// the kernel is memory-bound only if those compares never touch device memory and never stall
// on shared-memory bank conflicts:
//  * each block first issues its 16-byte loads of ELEMS values per thread, then copies the
//    boundaries (L2-resident after the first blocks) into shared memory while those DRAM loads
//    are in flight, so the staging hides under the value loads' latency;
//  * every thread then advances its ELEMS searches level by level (ELEMS independent chains of
//    shared loads in flight per thread) and writes its answers with 16-byte stores.
// ALGO picks the search and the shared-memory layout:
//   0  plain lower_bound on the sorted copy (data-dependent branch, a few lanes diverge per level;
//      the first levels read boundaries 2^k apart, which all sit in one bank: up to 32-way
//      conflicts);
//   1  branchless fixed-step search (the step count depends on NB only, so a warp never
//      diverges) on a skewed copy: boundary i is stored at i + i/32, which spreads the
//      power-of-two strides of the first levels over distinct banks;
//   2  Eytzinger layout: the boundaries, padded with +inf to a complete tree of 2^L - 1 keys
//      (2^L > NB), stored in BFS order t[1 .. 2^L-1]; each step is k = 2k + (t[k] < v) and
//      k - 2^L is the answer. Level l is the contiguous run t[2^l .. 2^(l+1)), so the first five
//      levels are conflict-free by construction and the deeper ones see a few random conflicts.
// Values and the staged boundaries are compared as floats exactly like std::lower_bound (NaN
// compares false everywhere and lands on 0), so the output is bit-exact. Boundary counts too large
// for the shared-memory budget (NB > SMEM_NB) fall back to a branchless search in global memory.
#include "kevo_cuda.h"

// Largest NB staged in shared memory: the Eytzinger tree needs 2^L <= 2*NB floats, 32 KiB here.
#define SMEM_NB 4096

// kevo-launch: bucketize_smem_search grid(cdiv(N, BLOCK * ELEMS)) block(BLOCK) smem(8 * min(NB, SMEM_NB) + 16)

// Branchless lower_bound over n sorted keys; key(i) reads key i from wherever it is stored.
template <class Key>
__device__ __forceinline__ int lowerBoundBranchless(Key key, int n, float v) {
  if (n == 0) return 0;
  int base = 0, len = n;
  while (len > 1) {
    const int half = len >> 1;
    base = key(base + half) < v ? base + half : base;
    len -= half;
  }
  return base + (key(base) < v ? 1 : 0);
}

extern "C" __global__ void __launch_bounds__(BLOCK)
bucketize_smem_search(kevo_cuda_args a) {
  extern __shared__ float sm[];
  const float* __restrict__ values = (const float*)a.in[0];
  const float* __restrict__ bounds = (const float*)a.in[1];
  int* __restrict__ out = (int*)a.out[0];
  const long long n = a.in_shape[0][0];
  const int nb = (int)a.in_shape[1][0];

  const long long tile0 = (long long)blockIdx.x * (BLOCK * ELEMS);
  // 16-byte path when the tile is full and both buffers are 16-byte aligned (always true for
  // device allocations; checked because a tensor view could start anywhere).
  const bool vec = (ELEMS % 4 == 0) && tile0 + BLOCK * ELEMS <= n &&
                   ((((unsigned long long)values | (unsigned long long)out) & 15) == 0);

  // 1. Issue the value loads first: their DRAM latency covers the staging below.
  // Element e of this thread is tile0 + 4*(q*BLOCK + tid) + c for e = 4q + c (coalesced float4s).
  float v[ELEMS];
  if (vec) {
    const float4* src = (const float4*)(values + tile0);
#pragma unroll
    for (int q = 0; q < ELEMS / 4; ++q) {
      const float4 f = __ldcs(src + q * BLOCK + threadIdx.x);  // streamed once: evict first
      v[4 * q + 0] = f.x; v[4 * q + 1] = f.y; v[4 * q + 2] = f.z; v[4 * q + 3] = f.w;
    }
  } else {
#pragma unroll
    for (int e = 0; e < ELEMS; ++e) {
      const long long i = tile0 + (long long)e * BLOCK + threadIdx.x;
      v[e] = i < n ? values[i] : 0.0f;
    }
  }

  int r[ELEMS];
  if (nb > SMEM_NB) {
    // Not enough shared memory for a copy: branchless search in global memory (L2-resident).
#pragma unroll
    for (int e = 0; e < ELEMS; ++e)
      r[e] = lowerBoundBranchless([&](int i) { return __ldg(bounds + i); }, nb, v[e]);
  } else if (ALGO == 2) {
    // 2. Eytzinger tree of L levels (2^L > nb). Node k at depth d = floor(log2 k) is the
    // in-order key number ((2*(k - 2^d) + 1) << (L-1-d)) - 1 of the complete tree.
    const int levels = 32 - __clz(nb);  // smallest L with 2^L > nb
    const int size = 1 << levels;
    for (int k = threadIdx.x + 1; k < size; k += BLOCK) {
      const int d = 31 - __clz(k);
      const int pos = ((2 * (k - (1 << d)) + 1) << (levels - 1 - d)) - 1;
      sm[k] = pos < nb ? __ldg(bounds + pos) : __int_as_float(0x7f800000);  // +inf pad
    }
    __syncthreads();
    int k[ELEMS];
#pragma unroll
    for (int e = 0; e < ELEMS; ++e) k[e] = 1;
    for (int l = 0; l < levels; ++l) {
#pragma unroll
      for (int e = 0; e < ELEMS; ++e) k[e] = 2 * k[e] + (sm[k[e]] < v[e] ? 1 : 0);
    }
#pragma unroll
    for (int e = 0; e < ELEMS; ++e) r[e] = k[e] - size;
  } else if (ALGO == 1) {
    // 2. Skewed sorted copy: key i at i + (i >> 5).
    for (int i = threadIdx.x; i < nb; i += BLOCK) sm[i + (i >> 5)] = __ldg(bounds + i);
    __syncthreads();
    auto key = [&](int i) { return sm[i + (i >> 5)]; };
    // The same fixed-step loop as lowerBoundBranchless, advanced for all ELEMS values per step.
    int base[ELEMS];
#pragma unroll
    for (int e = 0; e < ELEMS; ++e) base[e] = 0;
    for (int len = nb; len > 1;) {
      const int half = len >> 1;
#pragma unroll
      for (int e = 0; e < ELEMS; ++e) base[e] = key(base[e] + half) < v[e] ? base[e] + half : base[e];
      len -= half;
    }
#pragma unroll
    for (int e = 0; e < ELEMS; ++e) r[e] = nb == 0 ? 0 : base[e] + (key(base[e]) < v[e] ? 1 : 0);
  } else {
    // 2. Plain sorted copy, classic lower_bound with a branch per step.
    for (int i = threadIdx.x; i < nb; i += BLOCK) sm[i] = __ldg(bounds + i);
    __syncthreads();
#pragma unroll
    for (int e = 0; e < ELEMS; ++e) {
      int lo = 0, hi = nb;
      while (lo < hi) {
        const int mid = (lo + hi) >> 1;
        if (sm[mid] < v[e]) lo = mid + 1; else hi = mid;
      }
      r[e] = lo;
    }
  }

  // 3. Store with the same element-to-thread map as the loads.
  if (vec) {
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
}

// embedding_bag (sum) on the GPU: groups of TPB lanes gather rows with VEC-float loads, UNROLL
// rows in flight per lane, the sums in registers and then in a per-block shared tile of BAGS rows.
//
// out[b, :] = sum of weight[indices[t], :] for t in [off[b], off[b+1]). In training every row is
// a random DRAM access (the table is 5x the L2), so the speed is the number of row fetches in
// flight and how evenly they are spread:
//  * a group of TPB lanes (a quarter, half or whole warp) reads a row with one VEC-float load per
//    lane (TPB*VEC = D: 16 lanes x float4 = one 256-byte row = 8 full sectors), UNROLL rows
//    before any is added, so UNROLL loads per lane are in flight; the row indices are read once,
//    TPB at a time (one per lane, the next TPB already requested), and broadcast by shuffles;
//  * a block owns BAGS consecutive bags and their index range. SPLIT=0 gives each group one bag
//    (the classic warp-per-bag kernel). But bags have random lengths (mean 32, the longest ~10x
//    that), and a long bag is a serial chain of len/UNROLL round trips that the whole call then
//    waits for: with SPLIT=1 the block's indices are cut into BAGS equal slices instead, one per
//    group, whatever the bag boundaries. A group adds rows in registers while they belong to one
//    bag and flushes the partial sum into the block's shared BAGS x D tile (shared-memory float
//    atomics, a few per bag) when it crosses a bag boundary or ends its slice;
//  * after a barrier the tile is written out with coalesced stores; an empty bag's row stays 0.
// Rows wider than TPB*VEC are done in column passes over the same (cached) indices; D % VEC != 0
// or unaligned buffers use scalar loads. fp32 sums in a different order from the reference's
// double (and, with SPLIT=1, partial sums combined in any order): within the allclose tolerance.
#include "kevo_cuda.h"

// kevo-launch: embedding_bag_warp grid(cdiv(B, BAGS)) block(TPB * BAGS) smem(4 * BAGS * D)

// VEC floats as one register vector: zero, one aligned load, and the add into acc[VEC].
template <int W>
struct Vec;
template <>
struct Vec<1> {
  typedef float T;
  static __device__ __forceinline__ T zero() { return 0.0f; }
  static __device__ __forceinline__ void add(float* acc, T x) { acc[0] += x; }
};
template <>
struct Vec<2> {
  typedef float2 T;
  static __device__ __forceinline__ T zero() { return make_float2(0.f, 0.f); }
  static __device__ __forceinline__ void add(float* acc, T x) { acc[0] += x.x; acc[1] += x.y; }
};
template <>
struct Vec<4> {
  typedef float4 T;
  static __device__ __forceinline__ T zero() { return make_float4(0.f, 0.f, 0.f, 0.f); }
  static __device__ __forceinline__ void add(float* acc, T x) {
    acc[0] += x.x; acc[1] += x.y; acc[2] += x.z; acc[3] += x.w;
  }
};

// Adds the group's partial sum of bag `bag` (block-local) into the shared tile and clears it.
__device__ __forceinline__ void flush(float* tile, int bag, long long dim, long long col, float* acc) {
#pragma unroll
  for (int e = 0; e < VEC; ++e) {
    if (col + e < dim) atomicAdd(tile + bag * dim + col + e, acc[e]);
    acc[e] = 0.0f;
  }
}

// Sums indices [s0, s1) over columns col .. col+VEC-1, starting in block-local bag `bag`;
// boff[] holds the block's bag offsets. VECTOR: aligned VEC-float loads (dim % VEC == 0).
template <bool VECTOR>
__device__ __forceinline__ void sumSlice(const float* __restrict__ weight,
                                         const long long* __restrict__ indices,
                                         const long long* boff, float* tile, long long s0,
                                         long long s1, int bag, long long dim, long long col,
                                         int lane, unsigned mask) {
  typedef typename Vec<VEC>::T V;
  const bool active = col < dim;
  float acc[VEC];
#pragma unroll
  for (int e = 0; e < VEC; ++e) acc[e] = 0.0f;
  long long bagEnd = boff[bag + 1];
  // Row indices one per lane: `mine` for the chunk being summed, `next` for the following one
  // (requested a chunk ahead, and with PF its rows prefetched into L2 a chunk ahead, which keeps
  // TPB more rows in flight per group at no register cost), `after` two chunks ahead.
  long long next = s0 + lane < s1 ? __ldg(indices + s0 + lane) : -1;
  long long after = PF && s0 + TPB + lane < s1 ? __ldg(indices + s0 + TPB + lane) : -1;
  for (long long c = s0; c < s1; c += TPB) {
    const long long mine = next;
    if (PF) {
      next = after;
      if (next >= 0) {  // this lane's next row, the columns of this pass, every 128-byte line
        const long long c0 = col - (long long)lane * VEC;
        const char* p = (const char*)(weight + next * dim + c0);
        const int bytes = 4 * (int)min((long long)(TPB * VEC), dim - c0);
        const unsigned long long first = (unsigned long long)p & ~127ULL;
        const unsigned long long last = ((unsigned long long)p + bytes - 1) & ~127ULL;
        for (unsigned long long l = first; l <= last; l += 128)
          asm volatile("prefetch.global.L2 [%0];" ::"l"(l));
      }
      after = c + 2 * TPB + lane < s1 ? __ldg(indices + c + 2 * TPB + lane) : -1;
    } else {
      next = c + TPB + lane < s1 ? __ldg(indices + c + TPB + lane) : -1;
    }
    const int n = (int)min((long long)TPB, s1 - c);
    for (int k = 0; k < n; k += UNROLL) {
      V x[UNROLL];
#pragma unroll
      for (int u = 0; u < UNROLL; ++u) {
        const long long r = __shfl_sync(mask, mine, (k + u) % TPB, TPB);
        const float* row = weight + r * dim + col;
        if (VECTOR) {
          x[u] = k + u < n && active ? __ldg((const V*)row) : Vec<VEC>::zero();
        } else {
          float* z = (float*)&x[u];  // VECTOR=false is the rare fallback: scalar loads
#pragma unroll
          for (int e = 0; e < VEC; ++e) z[e] = k + u < n && col + e < dim ? __ldg(row + e) : 0.0f;
        }
      }
#pragma unroll
      for (int u = 0; u < UNROLL; ++u) {
        const long long t = c + k + u;
        if (k + u < n) {
          if (t >= bagEnd) {  // uniform over the group: crossed into a later (non-empty) bag
            flush(tile, bag, dim, col, acc);
            do bagEnd = boff[++bag + 1]; while (t >= bagEnd);
          }
          Vec<VEC>::add(acc, x[u]);
        }
      }
    }
  }
  if (s0 < s1) flush(tile, bag, dim, col, acc);
}

extern "C" __global__ void __launch_bounds__(TPB * BAGS) embedding_bag_warp(kevo_cuda_args a) {
  extern __shared__ float tile[];  // BAGS x dim partial sums
  __shared__ long long boff[BAGS + 1];
  const float* __restrict__ weight = (const float*)a.in[0];
  const long long* __restrict__ indices = (const long long*)a.in[1];
  const long long* __restrict__ offsets = (const long long*)a.in[2];
  float* __restrict__ out = (float*)a.out[0];
  const long long dim = a.in_shape[0][1];
  const long long bags = a.in_shape[2][0] - 1;

  const long long b0 = (long long)blockIdx.x * BAGS;
  const int nb = (int)min((long long)BAGS, bags - b0);  // bags of this block
  for (int e = threadIdx.x; e < BAGS * dim; e += TPB * BAGS) tile[e] = 0.0f;
  for (int k = threadIdx.x; k <= nb; k += TPB * BAGS) boff[k] = offsets[b0 + k];
  __syncthreads();

  const int g = threadIdx.x / TPB, lane = threadIdx.x % TPB;
  const unsigned mask =
      TPB == 32 ? 0xffffffffu : ((1u << (TPB % 32)) - 1) << ((threadIdx.x % 32) / TPB * TPB);
  long long s0, s1;
  int bag;
  if (SPLIT) {
    // Equal slices of the block's index range; the first bag is the last one starting at or
    // before s0 (so a non-empty one when s0 < s1).
    const long long t0 = boff[0], total = boff[nb] - t0;
    s0 = t0 + total * g / BAGS;
    s1 = t0 + total * (g + 1) / BAGS;
    int lo = 0, hi = nb - 1;  // largest k < nb with boff[k] <= s0
    while (lo < hi) {
      const int mid = (lo + hi + 1) >> 1;
      if (boff[mid] <= s0) lo = mid; else hi = mid - 1;
    }
    bag = lo;
  } else {
    bag = g;
    s0 = g < nb ? boff[g] : 0;
    s1 = g < nb ? boff[g + 1] : 0;
  }
  const bool vector = dim % VEC == 0 &&
                      (((unsigned long long)weight & (4 * VEC - 1)) == 0);
  for (long long c0 = 0; c0 < dim; c0 += TPB * VEC) {  // one pass when TPB * VEC >= dim
    const long long col = c0 + (long long)lane * VEC;
    if (vector)
      sumSlice<true>(weight, indices, boff, tile, s0, s1, bag, dim, col, lane, mask);
    else
      sumSlice<false>(weight, indices, boff, tile, s0, s1, bag, dim, col, lane, mask);
  }
  __syncthreads();
  // The block's output rows are one contiguous run of nb * dim floats.
  float* dst = out + b0 * dim;
  const long long total = nb * dim;
  if (((dim & 3) == 0) && (((unsigned long long)out & 15) == 0)) {
    for (long long e = 4 * threadIdx.x; e < total; e += 4 * TPB * BAGS)
      *(float4*)(dst + e) = *(const float4*)(tile + e);
  } else {
    for (long long e = threadIdx.x; e < total; e += TPB * BAGS) dst[e] = tile[e];
  }
}

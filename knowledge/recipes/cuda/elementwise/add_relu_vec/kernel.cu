// Residual add + ReLU, y = max(x + r, 0), as one coalesced streaming pass with wide accesses.
//
// Three streams and two flops per element: the kernel is bound by DRAM bandwidth, and what the
// one-thread-per-element baseline leaves on the table is the number of bytes each load
// instruction moves and the number of loads each thread has in flight:
//   - VEC = 4 makes every access a 16-byte LDG.128 / STG.128, so a warp moves 512 bytes per
//     instruction (four times fewer memory instructions than scalar code);
//   - UNROLL vectors per thread are all loaded before the first one is used, which puts
//     2 * UNROLL independent loads per thread in flight to cover the DRAM latency;
//   - a block's tile is BLOCK * VEC * UNROLL consecutive floats, thread t taking the vectors
//     t, t + BLOCK, ..., so every warp-wide access is one contiguous 512-byte (VEC = 4) segment.
// GRID_STRIDE only changes the launch: 0 launches one block per tile (one shot), 1 launches at
// most one full wave of blocks (132 SMs x 2048 threads on an H100) that stride over the tiles.
// The same loop serves both, since in one-shot mode it runs exactly once per block.
//
// The sum is one IEEE fp32 add and the select is the reference's `s > 0 ? s : 0` (an exact zero
// sum stores +0), so every knob setting matches the reference bit for bit.
//
// Knobs (the harness writes one #define per knob above this file):
//   VEC          floats per access: 1, 2 (8-byte) or 4 (16-byte)
//   UNROLL       vectors per thread per tile, all loaded before use
//   BLOCK        threads per block
//   GRID_STRIDE  0: one block per tile; 1: one wave of blocks striding over the tiles
//   CS           1: streaming cache hints (__ldcs / __stcs: evict-first, the data is touched
//                once); 0: ordinary loads and stores
#include "kevo_cuda.h"

// 132 SMs x 2048 resident threads: the threads of one full wave on an H100.
#define WAVE_THREADS 270336

// kevo-launch: add_relu_vec grid(GRID_STRIDE * min(cdiv(B * N, BLOCK * VEC * UNROLL), WAVE_THREADS / BLOCK) + (1 - GRID_STRIDE) * cdiv(B * N, BLOCK * VEC * UNROLL)) block(BLOCK)

// V consecutive floats from p (aligned to 4 * V bytes) into r[0..V).
template <int V>
__device__ __forceinline__ void load_v(const float* p, float* r) {
  if constexpr (V == 4) {
#if CS
    const float4 t = __ldcs(reinterpret_cast<const float4*>(p));
#else
    const float4 t = *reinterpret_cast<const float4*>(p);
#endif
    r[0] = t.x; r[1] = t.y; r[2] = t.z; r[3] = t.w;
  } else if constexpr (V == 2) {
#if CS
    const float2 t = __ldcs(reinterpret_cast<const float2*>(p));
#else
    const float2 t = *reinterpret_cast<const float2*>(p);
#endif
    r[0] = t.x; r[1] = t.y;
  } else {
#if CS
    r[0] = __ldcs(p);
#else
    r[0] = *p;
#endif
  }
}

template <int V>
__device__ __forceinline__ void store_v(float* p, const float* r) {
  if constexpr (V == 4) {
    const float4 t = make_float4(r[0], r[1], r[2], r[3]);
#if CS
    __stcs(reinterpret_cast<float4*>(p), t);
#else
    *reinterpret_cast<float4*>(p) = t;
#endif
  } else if constexpr (V == 2) {
    const float2 t = make_float2(r[0], r[1]);
#if CS
    __stcs(reinterpret_cast<float2*>(p), t);
#else
    *reinterpret_cast<float2*>(p) = t;
#endif
  } else {
#if CS
    __stcs(p, r[0]);
#else
    *p = r[0];
#endif
  }
}

__device__ __forceinline__ float add_relu1(float a, float b) {
  const float s = a + b;
  return s > 0.0f ? s : 0.0f;
}

extern "C" __global__ void __launch_bounds__(BLOCK) add_relu_vec(kevo_cuda_args a) {
  const float* __restrict__ x = (const float*)a.in[0];
  const float* __restrict__ r = (const float*)a.in[1];
  float* __restrict__ y = (float*)a.out[0];
  const long long n = a.in_shape[0][0] * a.in_shape[0][1];
  const long long tile = (long long)BLOCK * VEC * UNROLL;
  const long long stride = (long long)gridDim.x * tile;

  // cuMemAlloc buffers are 256-byte aligned, so this holds in practice; a misaligned view would
  // take the scalar loop below for every element instead of faulting on a wide access.
  const unsigned long long addr_bits =
      (unsigned long long)x | (unsigned long long)r | (unsigned long long)y;
  const bool vec_ok = addr_bits % (4 * VEC) == 0;
  const long long n_full = vec_ok ? n / tile * tile : 0;  // elements covered by whole tiles

  // Whole tiles: no bounds checks. All 2 * UNROLL loads are issued before the first store.
  for (long long base = blockIdx.x * tile; base < n_full; base += stride) {
    float xv[UNROLL][VEC], rv[UNROLL][VEC];
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) {
      const long long i = base + ((long long)u * BLOCK + threadIdx.x) * VEC;
      load_v<VEC>(x + i, xv[u]);
      load_v<VEC>(r + i, rv[u]);
    }
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) {
      float out[VEC];
#pragma unroll
      for (int k = 0; k < VEC; ++k) out[k] = add_relu1(xv[u][k], rv[u][k]);
      store_v<VEC>(y + base + ((long long)u * BLOCK + threadIdx.x) * VEC, out);
    }
  }

  // The tail after the last whole tile (fewer than BLOCK * VEC * UNROLL elements), one element
  // per thread, spread over all blocks.
  for (long long i = n_full + blockIdx.x * (long long)BLOCK + threadIdx.x; i < n;
       i += (long long)gridDim.x * BLOCK)
    y[i] = add_relu1(x[i], r[i]);
}

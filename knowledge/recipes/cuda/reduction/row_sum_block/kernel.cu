// Row reduction, row sum: y[b] = sum_i x[b,i], with one thread block per row.
//
// A pure read stream (4 * B * N bytes in, 4 * B out): the kernel is bound by DRAM bandwidth.
// Where the warp-per-row recipe gives each warp a whole row, here BLOCK threads share one row,
// so each thread reads only N / BLOCK floats (N = 4096, BLOCK = 256: four float4 loads, in two
// steps of UNROLL = 2) and the row's DRAM pages are swept by many warps at once; the price is a
// block-level combine per row:
//   - VEC = 4 makes every load a 16-byte LDG.128, coalesced across the block;
//   - UNROLL vectors per thread loaded before any is combined (independent loads in flight);
//   - partial results are combined by register shuffles inside each warp, then the BLOCK / 32
//     warp results go through shared memory to the first warp for a last shuffle round
//     (one barrier per row).
// Rows are 4 * VEC aligned only when N % VEC == 0; otherwise the same loop runs with scalar
// loads (correct, slower).
// Summation order: each thread keeps UNROLL * VEC independent fp32 partial sums (lane-strided
// over the row), folded together, then across lanes by a shuffle tree: an order whose
// rounding error for N = 4096 is far below the 2e-3 tolerance, and no sum depends on timing, so
// the result is deterministic.
//
// Knobs (the harness writes one #define per knob above this file):
//   VEC     floats per load: 1, 2 (8-byte) or 4 (16-byte)
//   UNROLL  vectors per thread loaded before use (independent loads and accumulators)
//   BLOCK   threads per block (one block per row)
#include "kevo_cuda.h"

// kevo-launch: row_sum_block grid(B) block(BLOCK)

// V consecutive floats from p (aligned to 4 * V bytes) into r[0..V).
template <int V>
__device__ __forceinline__ void load_v(const float* p, float* r) {
  if constexpr (V == 4) {
    const float4 t = *reinterpret_cast<const float4*>(p);
    r[0] = t.x; r[1] = t.y; r[2] = t.z; r[3] = t.w;
  } else if constexpr (V == 2) {
    const float2 t = *reinterpret_cast<const float2*>(p);
    r[0] = t.x; r[1] = t.y;
  } else {
    r[0] = *p;
  }
}

__device__ __forceinline__ float combine(float a, float b) { return a + b; }

// This thread's partial result over the row xr[0..cols): T threads of the row take the V-float
// vectors t, t + T, t + 2T, ... (coalesced), UNROLL of them loaded before any is combined, into
// UNROLL * V independent accumulators (no serial dependence between consecutive loads).
// Requires cols % V == 0 and xr aligned to 4 * V bytes.
template <int V, int T>
__device__ __forceinline__ float partial_row(const float* __restrict__ xr, long long cols, int t) {
  float acc[UNROLL][V];
#pragma unroll
  for (int u = 0; u < UNROLL; ++u)
#pragma unroll
    for (int k = 0; k < V; ++k) acc[u][k] = 0.0f;
  const long long nv = cols / V;
  long long j = t;
  for (; j + (long long)T * (UNROLL - 1) < nv; j += (long long)T * UNROLL) {
    float v[UNROLL][V];
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) load_v<V>(xr + (j + (long long)T * u) * V, v[u]);
#pragma unroll
    for (int u = 0; u < UNROLL; ++u)
#pragma unroll
      for (int k = 0; k < V; ++k) acc[u][k] = combine(acc[u][k], v[u][k]);
  }
  for (; j < nv; j += T) {  // fewer than UNROLL vectors left for this thread
    float v[V];
    load_v<V>(xr + j * V, v);
#pragma unroll
    for (int k = 0; k < V; ++k) acc[0][k] = combine(acc[0][k], v[k]);
  }
  // Fold the UNROLL * V accumulators (constant indices only, so they stay in registers).
#pragma unroll
  for (int u = 1; u < UNROLL; ++u)
#pragma unroll
    for (int k = 0; k < V; ++k) acc[0][k] = combine(acc[0][k], acc[u][k]);
#pragma unroll
  for (int k = 1; k < V; ++k) acc[0][0] = combine(acc[0][0], acc[0][k]);
  return acc[0][0];
}

__device__ __forceinline__ float warp_combine(float v) {
#pragma unroll
  for (int o = 16; o >= 1; o /= 2) v = combine(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

extern "C" __global__ void __launch_bounds__(BLOCK) row_sum_block(kevo_cuda_args a) {
  const float* __restrict__ x = (const float*)a.in[0];
  float* __restrict__ y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const long long row = blockIdx.x;  // the grid is exactly B blocks
  const float* xr = x + row * cols;
  const bool vec_ok = cols % VEC == 0 && (unsigned long long)x % (4 * VEC) == 0;
  float r = vec_ok ? partial_row<VEC, BLOCK>(xr, cols, threadIdx.x)
                   : partial_row<1, BLOCK>(xr, cols, threadIdx.x);
  r = warp_combine(r);

  __shared__ float warp_result[BLOCK / 32];
  if (BLOCK > 32) {
    if (threadIdx.x % 32 == 0) warp_result[threadIdx.x / 32] = r;
    __syncthreads();
    if (threadIdx.x >= 32) return;
    r = threadIdx.x < BLOCK / 32 ? warp_result[threadIdx.x] : 0.0f;
    r = warp_combine(r);
  }
  if (threadIdx.x == 0) y[row] = r;
}

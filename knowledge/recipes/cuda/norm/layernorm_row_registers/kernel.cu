// LayerNorm, y = (x - mean) / sqrt(var + 1e-5) * gamma + beta (biased variance),
// with the whole row held in registers: x is read from DRAM exactly once and y written exactly
// once (plus the gamma/beta row, which stays in L1/L2), the copy floor.
//
// TPR threads own one row; thread t holds ITEMS vectors of VEC floats, vector i at column
// (i * TPR + t) * VEC, so every warp-wide load and store is one contiguous segment (512 bytes
// at VEC = 4) and all ITEMS loads of a thread are issued back to back before the first use.
// RPB rows share a block. Row sums go through register shuffles (__shfl_xor_sync) inside each
// warp, then shared memory across the row's warps (TPR / 32 values, one barrier pair);
// with TPR = 32 a row is one warp and needs no shared memory or barrier at all.
// The statistics are the exact two-pass ones, from the registers: the mean (one row sum), then
// the sum of (x - mean)^2 (a second row sum), so there is no E[x^2] - mean^2 cancellation, and
// the second pass costs no memory traffic. rsqrtf is within 2 ulp; the tolerance is 1e-4.
// Capacity is TPR * VEC * ITEMS floats per row (the default 64 * 4 * 4 = 1024 holds the
// training rows).
// A longer row is still correct: it is processed in capacity-sized chunks that are reloaded for
// each sweep (from L2, mostly), so only rows that fit get the one-read guarantee.
// Rows are 4 * VEC aligned only when N % VEC == 0; otherwise the same code runs with scalar
// accesses (ITEMS * VEC of them per thread: same capacity, slower loads).
//
// Knobs (the harness writes one #define per knob above this file):
//   TPR    threads per row (a multiple of 32)
//   VEC    floats per access: 1, 2 (8-byte) or 4 (16-byte)
//   ITEMS  vectors held per thread (registers: VEC * ITEMS floats of the row per thread)
//   RPB    rows per block (block = TPR * RPB threads)
#include "kevo_cuda.h"

#define LAYERNORM 1

// kevo-launch: layernorm_rows grid(cdiv(B, RPB)) block(TPR * RPB)

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

template <int V>
__device__ __forceinline__ void store_v(float* p, const float* r) {
  if constexpr (V == 4) {
    *reinterpret_cast<float4*>(p) = make_float4(r[0], r[1], r[2], r[3]);
  } else if constexpr (V == 2) {
    *reinterpret_cast<float2*>(p) = make_float2(r[0], r[1]);
  } else {
    *p = r[0];
  }
}

// Sum over the TPR threads of each row; every thread gets the same value (a butterfly adds the
// same two numbers on both partner lanes).
__device__ __forceinline__ float row_sum(float v, float* red, int group, int t) {
#pragma unroll
  for (int o = 16; o >= 1; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  if constexpr (TPR > 32) {
    constexpr int W = TPR / 32;
    if (t % 32 == 0) red[group * W + t / 32] = v;
    __syncthreads();
    v = red[group * W];
#pragma unroll
    for (int w = 1; w < W; ++w) v += red[group * W + w];
    __syncthreads();  // red is reused by the next sum
  }
  return v;
}

template <int V, int IT>
__device__ __forceinline__ void row_body(const float* __restrict__ xr, float* __restrict__ yr,
                                         const float* __restrict__ gamma,
                                         const float* __restrict__ beta, long long n, bool active,
                                         float* red, int group, int t) {
  constexpr long long CAP = (long long)TPR * V * IT;  // floats of the row held per pass
  const long long chunks = n <= CAP ? 1 : (n + CAP - 1) / CAP;
  float v[IT][V];

  // Loads chunk c into v; columns past the row end (or a row past B) read as 0.
  auto load_chunk = [&](long long c) {
#pragma unroll
    for (int i = 0; i < IT; ++i) {
      const long long col = c * CAP + ((long long)i * TPR + t) * V;
      if (active && col < n) {  // n % V == 0 here, so the whole vector is inside the row
        load_v<V>(xr + col, v[i]);
      } else {
#pragma unroll
        for (int k = 0; k < V; ++k) v[i][k] = 0.0f;
      }
    }
  };

  // Sweep 1: the row sum, in V independent partial sums per thread.
  float acc[V];
#pragma unroll
  for (int k = 0; k < V; ++k) acc[k] = 0.0f;
  for (long long c = 0; c < chunks; ++c) {
    load_chunk(c);
#pragma unroll
    for (int i = 0; i < IT; ++i)
#pragma unroll
      for (int k = 0; k < V; ++k) acc[k] += v[i][k];
  }
  float s1 = acc[0];
#pragma unroll
  for (int k = 1; k < V; ++k) s1 += acc[k];
  s1 = row_sum(s1, red, group, t);

#if LAYERNORM
  // Sweep 2 (registers when the row fits): sum of (x - mean)^2, the exact two-pass variance.
  const float mean = s1 / (float)n;
#pragma unroll
  for (int k = 0; k < V; ++k) acc[k] = 0.0f;
  for (long long c = 0; c < chunks; ++c) {
    if (chunks > 1) load_chunk(c);
#pragma unroll
    for (int i = 0; i < IT; ++i) {
      const long long col = c * CAP + ((long long)i * TPR + t) * V;
      if (col < n) {  // the padding is 0, not mean: leave it out
#pragma unroll
        for (int k = 0; k < V; ++k) {
          const float d = v[i][k] - mean;
          acc[k] += d * d;
        }
      }
    }
  }
  float s2 = acc[0];
#pragma unroll
  for (int k = 1; k < V; ++k) s2 += acc[k];
  s2 = row_sum(s2, red, group, t);
  const float rstd = rsqrtf(s2 / (float)n + 1e-5f);
#else
  const float mean = 0.0f;
  const float rstd = rsqrtf(s1 / (float)n + 1e-6f);
#endif
  if (!active) return;  // after the last barrier

  // Last sweep (registers when the row fits): scale, shift and store.
  for (long long c = 0; c < chunks; ++c) {
    if (chunks > 1) load_chunk(c);
#pragma unroll
    for (int i = 0; i < IT; ++i) {
      const long long col = c * CAP + ((long long)i * TPR + t) * V;
      if (col < n) {
        float g[V], out[V];
        load_v<V>(gamma + col, g);
#if LAYERNORM
        float b[V];
        load_v<V>(beta + col, b);
#pragma unroll
        for (int k = 0; k < V; ++k) out[k] = (v[i][k] - mean) * rstd * g[k] + b[k];
#else
#pragma unroll
        for (int k = 0; k < V; ++k) out[k] = v[i][k] * rstd * g[k];
#endif
        store_v<V>(yr + col, out);
      }
    }
  }
  (void)mean;
  (void)beta;
}

extern "C" __global__ void __launch_bounds__(TPR * RPB) layernorm_rows(kevo_cuda_args a) {
  const float* __restrict__ x = (const float*)a.in[0];
  const float* __restrict__ gamma = (const float*)a.in[1];
#if LAYERNORM
  const float* __restrict__ beta = (const float*)a.in[2];
#else
  const float* __restrict__ beta = gamma;  // unused
#endif
  float* __restrict__ y = (float*)a.out[0];
  const long long rows = a.in_shape[0][0], n = a.in_shape[0][1];
  const int group = threadIdx.x / TPR, t = threadIdx.x % TPR;
  const long long row = (long long)blockIdx.x * RPB + group;
  const bool active = row < rows;  // inactive threads still take part in the barriers
  __shared__ float red[RPB * (TPR / 32)];
  // Uniform over the block (n and the base pointers are), so both branches keep the barriers.
  const unsigned long long addr_bits = (unsigned long long)x | (unsigned long long)gamma |
                                       (unsigned long long)beta | (unsigned long long)y;
  const bool vec_ok = n % VEC == 0 && addr_bits % (4 * VEC) == 0;
  if (vec_ok)
    row_body<VEC, ITEMS>(x + row * n, y + row * n, gamma, beta, n, active, red, group, t);
  else
    row_body<1, VEC * ITEMS>(x + row * n, y + row * n, gamma, beta, n, active, red, group, t);
}

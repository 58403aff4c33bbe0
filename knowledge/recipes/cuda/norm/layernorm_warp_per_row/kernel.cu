// LayerNorm, y = (x - mean) / sqrt(var + 1e-5) * gamma + beta (biased variance),
// with WPR warps per row and two sweeps: sweep 1 streams x for the row statistics, sweep 2
// re-reads x (with gamma and beta) and writes y. The re-read is meant to hit L1/L2: a persistent
// grid of at most BPS blocks per SM bounds the rows in flight (132 * BPS * RPB rows), so that
// what is read between a row's two sweeps stays well inside the 50 MB L2, and DRAM sees x once
// and y once, as in the register recipe, with no register capacity to respect (any N, at any
// knob setting, and fewer registers per thread, so higher occupancy).
//
// Each sweep streams the row in steps of UNROLL vectors of VEC floats per thread, all loaded
// before use (vector j at column j * VEC, thread t of the row taking j = t, t + 32 * WPR, ...:
// every warp access is one contiguous segment, 512 bytes at VEC = 4). Row sums go through
// register shuffles (__shfl_xor_sync) inside each warp, then shared memory across the row's
// warps; with WPR = 1 there is no shared memory or barrier at all.
// Sweep 1 takes the shifted moments sum(x - K) and sum((x - K)^2) with K = x[row, 0] (one value
// of the row, so x - K is of the order of the spread and var = E[d^2] - E[d]^2 keeps its
// digits: a few 1e-6 relative for N = 1024, against a 1e-4 tolerance) in one read.
// CS = 1 gives the second sweep's loads of x and the stores of y an evict-first hint (__ldcs,
// __stcs): both are touched once, and should not push the first sweep's lines out of L2.
// Rows are 4 * VEC aligned only when N % VEC == 0; otherwise the same code runs with scalar
// accesses (correct, slower).
//
// Knobs (the harness writes one #define per knob above this file):
//   WPR     warps per row
//   RPB     rows per block (block = 32 * WPR * RPB threads)
//   VEC     floats per access: 1, 2 (8-byte) or 4 (16-byte)
//   UNROLL  vectors per thread per step, all loaded before use
//   BPS     blocks per SM in the persistent grid (132 SMs): bounds the rows in flight
//   CS      1: evict-first hints on the second sweep (__ldcs / __stcs); 0: ordinary accesses
#include "kevo_cuda.h"

#define LAYERNORM 1

// kevo-launch: layernorm_warps grid(min(cdiv(B, RPB), 132 * BPS)) block(32 * WPR * RPB)

#define ROW_THREADS (32 * WPR)

// V consecutive floats from p (aligned to 4 * V bytes) into r[0..V); STREAM: evict-first.
template <int V, bool STREAM>
__device__ __forceinline__ void load_v(const float* p, float* r) {
  if constexpr (V == 4) {
    const float4* q = reinterpret_cast<const float4*>(p);
    const float4 t = STREAM ? __ldcs(q) : *q;
    r[0] = t.x; r[1] = t.y; r[2] = t.z; r[3] = t.w;
  } else if constexpr (V == 2) {
    const float2* q = reinterpret_cast<const float2*>(p);
    const float2 t = STREAM ? __ldcs(q) : *q;
    r[0] = t.x; r[1] = t.y;
  } else {
    r[0] = STREAM ? __ldcs(p) : *p;
  }
}

template <int V, bool STREAM>
__device__ __forceinline__ void store_v(float* p, const float* r) {
  if constexpr (V == 4) {
    const float4 t = make_float4(r[0], r[1], r[2], r[3]);
    if (STREAM) __stcs(reinterpret_cast<float4*>(p), t); else *reinterpret_cast<float4*>(p) = t;
  } else if constexpr (V == 2) {
    const float2 t = make_float2(r[0], r[1]);
    if (STREAM) __stcs(reinterpret_cast<float2*>(p), t); else *reinterpret_cast<float2*>(p) = t;
  } else {
    if (STREAM) __stcs(p, r[0]); else *p = r[0];
  }
}

// Sums (a, b) over the ROW_THREADS threads of each row; every thread gets the same values.
__device__ __forceinline__ float2 row_sum2(float a, float b, float2* red, int group, int t) {
#pragma unroll
  for (int o = 16; o >= 1; o /= 2) {
    a += __shfl_xor_sync(0xffffffffu, a, o);
    b += __shfl_xor_sync(0xffffffffu, b, o);
  }
  if constexpr (WPR > 1) {
    if (t % 32 == 0) red[group * WPR + t / 32] = make_float2(a, b);
    __syncthreads();
    a = red[group * WPR].x;
    b = red[group * WPR].y;
#pragma unroll
    for (int w = 1; w < WPR; ++w) {
      a += red[group * WPR + w].x;
      b += red[group * WPR + w].y;
    }
    __syncthreads();  // the next row of this block rewrites red
  }
  return make_float2(a, b);
}

template <int V>
__device__ __forceinline__ void row_body(const float* __restrict__ xr, float* __restrict__ yr,
                                         const float* __restrict__ gamma,
                                         const float* __restrict__ beta, long long n, bool active,
                                         float2* red, int group, int t) {
  const long long nv = n / V;  // n % V == 0 here
  constexpr long long STEP = (long long)ROW_THREADS * UNROLL;

  // Sweep 1, in V independent partial sums per thread.
  float s1[V], s2[V];
#pragma unroll
  for (int k = 0; k < V; ++k) s1[k] = s2[k] = 0.0f;
#if LAYERNORM
  const float K = active && n > 0 ? xr[0] : 0.0f;  // the shift (one broadcast load per warp)
#else
  const float K = 0.0f;
#endif
  if (active) {
    long long j = t;
    for (; j + (long long)ROW_THREADS * (UNROLL - 1) < nv; j += STEP) {
      float v[UNROLL][V];
#pragma unroll
      for (int u = 0; u < UNROLL; ++u)
        load_v<V, false>(xr + (j + (long long)u * ROW_THREADS) * V, v[u]);
#pragma unroll
      for (int u = 0; u < UNROLL; ++u)
#pragma unroll
        for (int k = 0; k < V; ++k) {
          const float d = v[u][k] - K;
          s1[k] += d;
          s2[k] += d * d;
        }
    }
    for (; j < nv; j += ROW_THREADS) {
      float v[V];
      load_v<V, false>(xr + j * V, v);
#pragma unroll
      for (int k = 0; k < V; ++k) {
        const float d = v[k] - K;
        s1[k] += d;
        s2[k] += d * d;
      }
    }
  }
  float a = s1[0], b = s2[0];
#pragma unroll
  for (int k = 1; k < V; ++k) {
    a += s1[k];
    b += s2[k];
  }
#if !LAYERNORM
  a = 0.0f;  // unused: let the compiler drop the sum of x
#endif
  const float2 tot = row_sum2(a, b, red, group, t);
  if (!active) return;  // after the last barrier of this row

#if LAYERNORM
  const float md = tot.x / (float)n;  // mean of x - K
  const float mean = K + md;
  const float var = fmaxf(tot.y / (float)n - md * md, 0.0f);
  const float rstd = rsqrtf(var + 1e-5f);
#else
  const float mean = 0.0f;
  const float rstd = rsqrtf(tot.y / (float)n + 1e-6f);
#endif

  // Sweep 2: re-read x (L1/L2), gamma (and beta) from L1/L2, write y.
  long long j = t;
  for (; j + (long long)ROW_THREADS * (UNROLL - 1) < nv; j += STEP) {
    float v[UNROLL][V];
#pragma unroll
    for (int u = 0; u < UNROLL; ++u)
      load_v<V, CS>(xr + (j + (long long)u * ROW_THREADS) * V, v[u]);
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) {
      const long long col = (j + (long long)u * ROW_THREADS) * V;
      float g[V];
      load_v<V, false>(gamma + col, g);
#if LAYERNORM
      float bb[V];
      load_v<V, false>(beta + col, bb);
#pragma unroll
      for (int k = 0; k < V; ++k) v[u][k] = (v[u][k] - mean) * rstd * g[k] + bb[k];
#else
#pragma unroll
      for (int k = 0; k < V; ++k) v[u][k] = v[u][k] * rstd * g[k];
#endif
      store_v<V, CS>(yr + col, v[u]);
    }
  }
  for (; j < nv; j += ROW_THREADS) {
    const long long col = j * V;
    float v[V], g[V];
    load_v<V, CS>(xr + col, v);
    load_v<V, false>(gamma + col, g);
#if LAYERNORM
    float bb[V];
    load_v<V, false>(beta + col, bb);
#pragma unroll
    for (int k = 0; k < V; ++k) v[k] = (v[k] - mean) * rstd * g[k] + bb[k];
#else
#pragma unroll
    for (int k = 0; k < V; ++k) v[k] = v[k] * rstd * g[k];
#endif
    store_v<V, CS>(yr + col, v);
  }
  (void)mean;
  (void)beta;
}

extern "C" __global__ void __launch_bounds__(32 * WPR * RPB) layernorm_warps(kevo_cuda_args a) {
  const float* __restrict__ x = (const float*)a.in[0];
  const float* __restrict__ gamma = (const float*)a.in[1];
#if LAYERNORM
  const float* __restrict__ beta = (const float*)a.in[2];
#else
  const float* __restrict__ beta = gamma;  // unused
#endif
  float* __restrict__ y = (float*)a.out[0];
  const long long rows = a.in_shape[0][0], n = a.in_shape[0][1];
  const int group = threadIdx.x / ROW_THREADS, t = threadIdx.x % ROW_THREADS;
  __shared__ float2 red[RPB * WPR];
  // Uniform over the block (n and the base pointers are), so both branches keep the barriers.
  const unsigned long long addr_bits = (unsigned long long)x | (unsigned long long)gamma |
                                       (unsigned long long)beta | (unsigned long long)y;
  const bool vec_ok = n % VEC == 0 && addr_bits % (4 * VEC) == 0;
  // The loop bound is uniform over the block: every thread takes part in every barrier.
  for (long long r0 = (long long)blockIdx.x * RPB; r0 < rows; r0 += (long long)gridDim.x * RPB) {
    const long long row = r0 + group;
    const bool active = row < rows;
    if (vec_ok)
      row_body<VEC>(x + row * n, y + row * n, gamma, beta, n, active, red, group, t);
    else
      row_body<1>(x + row * n, y + row * n, gamma, beta, n, active, red, group, t);
  }
}

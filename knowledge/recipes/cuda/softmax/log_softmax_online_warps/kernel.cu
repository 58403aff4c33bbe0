// Row log-softmax, y = x - (max + log sum exp(x - max)),
// in two sweeps over each row: an online sweep for the max and the sum of exps, then a sweep
// that re-reads x and writes y. The re-read is meant to hit L2: a persistent grid of at most
// BPS blocks per SM bounds the rows in flight (132 * BPS * RPB rows), so that what is read
// between a row's first sweep and its second stays well inside the 50 MB L2, and DRAM sees x
// once and y once, as in the register recipe, without its capacity limit on N.
//
// WPR warps share a row (ROW_THREADS = 32 * WPR threads); each sweep streams the row in steps of
// UNROLL vectors of VEC floats per thread, all loaded before use (vector j of the row at column
// j * VEC, thread t taking j = t, t + ROW_THREADS, ...: every warp access is one contiguous
// segment, 512 bytes at VEC = 4).
// Sweep 1 keeps a running (m, s) per thread: for each step, M = max(m, step max) and
// s = s exp(m - M) + sum exp(x - M), so no separate max pass. The (m, s) pairs of the row are
// merged by register shuffles and, across the row's warps, through shared memory:
//   (m1, s1) + (m2, s2) = (M, s1 exp(m1 - M) + s2 exp(m2 - M)), M = max(m1, m2).
// Sweep 2 writes y = x - (M + log S): no exp at all.
// CS = 1 gives the second sweep's loads and the stores of y an evict-first hint (__ldcs,
// __stcs): both are touched once, and should not push the first sweep's lines out of L2.
//
// exp is __expf (ex2.approx of x * log2(e)): its relative error grows with |x - m|, to about
// 2e-6 at the largest differences these inputs reach, and terms that far below the maximum
// hardly weigh in the sum; the tolerance is 1e-4 absolute on outputs of
// order 10 (the lse carries the relative error of S as an absolute one).
// The per-row 1/S and log(S) use the precise library functions. Rows are 4 * VEC aligned only
// when N % VEC == 0; otherwise the same code runs with scalar accesses (correct, slower).
//
// Knobs (the harness writes one #define per knob above this file):
//   WPR     warps per row
//   RPB     rows per block (block = 32 * WPR * RPB threads)
//   VEC     floats per access: 1, 2 (8-byte) or 4 (16-byte)
//   UNROLL  vectors per thread per step, all loaded before use
//   BPS     blocks per SM in the persistent grid (132 SMs): bounds the rows in flight
//   CS      1: evict-first hints on the second sweep (__ldcs / __stcs); 0: ordinary accesses
#include "kevo_cuda.h"

#define LOG_SOFTMAX 1

// kevo-launch: log_softmax_online grid(min(cdiv(B, RPB), 132 * BPS)) block(32 * WPR * RPB)

#define NEG_INF __int_as_float(0xff800000)
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

// (m, s) += (m2, s2): sums of exp relative to their own maxima, brought to the larger one.
// Both empty (-inf, 0) stays empty; exp(-inf) = 0 drops an empty side.
__device__ __forceinline__ void merge(float& m, float& s, float m2, float s2) {
  const float M = fmaxf(m, m2);
  if (M == NEG_INF) return;
  s = s * __expf(m - M) + s2 * __expf(m2 - M);
  m = M;
}

// Merges the (m, s) of the ROW_THREADS threads of each row; every thread gets the same result
// (each butterfly step merges the same two values on both partner lanes; merge is symmetric).
__device__ __forceinline__ void row_merge(float& m, float& s, float2* red, int group, int t) {
#pragma unroll
  for (int o = 16; o >= 1; o /= 2) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, o);
    const float s2 = __shfl_xor_sync(0xffffffffu, s, o);
    merge(m, s, m2, s2);
  }
  if constexpr (WPR > 1) {
    if (t % 32 == 0) red[group * WPR + t / 32] = make_float2(m, s);
    __syncthreads();
    m = red[group * WPR].x;
    s = red[group * WPR].y;
#pragma unroll
    for (int w = 1; w < WPR; ++w) merge(m, s, red[group * WPR + w].x, red[group * WPR + w].y);
    __syncthreads();  // the next row of this block rewrites red
  }
}

// Sweep 1 step: folds V * U loaded values into the running (m, s).
template <int V, int U>
__device__ __forceinline__ void fold(float& m, float& s, const float (&v)[U][V]) {
  float cm = v[0][0];
#pragma unroll
  for (int u = 0; u < U; ++u)
#pragma unroll
    for (int k = 0; k < V; ++k) cm = fmaxf(cm, v[u][k]);
  const float mn = fmaxf(m, cm);
  float cs[V];  // V independent partial sums
#pragma unroll
  for (int k = 0; k < V; ++k) cs[k] = 0.0f;
#pragma unroll
  for (int u = 0; u < U; ++u)
#pragma unroll
    for (int k = 0; k < V; ++k) cs[k] += __expf(v[u][k] - mn);
  float csum = cs[0];
#pragma unroll
  for (int k = 1; k < V; ++k) csum += cs[k];
  s = s * __expf(m - mn) + csum;  // m = -inf at the start: exp gives 0, and s is 0 anyway
  m = mn;
}

template <int V>
__device__ __forceinline__ void row_body(const float* __restrict__ xr, float* __restrict__ yr,
                                         long long n, bool active, float2* red, int group, int t) {
  const long long nv = n / V;  // n % V == 0 here
  constexpr long long STEP = (long long)ROW_THREADS * UNROLL;
  float m = NEG_INF, s = 0.0f;
  if (active) {
    long long j = t;
    for (; j + (long long)ROW_THREADS * (UNROLL - 1) < nv; j += STEP) {
      float v[UNROLL][V];
#pragma unroll
      for (int u = 0; u < UNROLL; ++u)
        load_v<V, false>(xr + (j + (long long)u * ROW_THREADS) * V, v[u]);
      fold<V, UNROLL>(m, s, v);
    }
    for (; j < nv; j += ROW_THREADS) {
      float v[1][V];
      load_v<V, false>(xr + j * V, v[0]);
      fold<V, 1>(m, s, v);
    }
  }
  row_merge(m, s, red, group, t);
  if (!active) return;

#if LOG_SOFTMAX
  const float lse = m + logf(s);
#else
  const float inv = 1.0f / s;
#endif
  long long j = t;
  for (; j + (long long)ROW_THREADS * (UNROLL - 1) < nv; j += STEP) {
    float v[UNROLL][V];
#pragma unroll
    for (int u = 0; u < UNROLL; ++u)
      load_v<V, CS>(xr + (j + (long long)u * ROW_THREADS) * V, v[u]);
#pragma unroll
    for (int u = 0; u < UNROLL; ++u) {
#pragma unroll
      for (int k = 0; k < V; ++k) v[u][k] = v[u][k] - lse;
      store_v<V, CS>(yr + (j + (long long)u * ROW_THREADS) * V, v[u]);
    }
  }
  for (; j < nv; j += ROW_THREADS) {
    float v[V];
    load_v<V, CS>(xr + j * V, v);
#pragma unroll
    for (int k = 0; k < V; ++k) v[k] = v[k] - lse;
    store_v<V, CS>(yr + j * V, v);
  }
}

extern "C" __global__ void __launch_bounds__(32 * WPR * RPB) log_softmax_online(kevo_cuda_args a) {
  const float* __restrict__ x = (const float*)a.in[0];
  float* __restrict__ y = (float*)a.out[0];
  const long long rows = a.in_shape[0][0], n = a.in_shape[0][1];
  const int group = threadIdx.x / ROW_THREADS, t = threadIdx.x % ROW_THREADS;
  __shared__ float2 red[RPB * WPR];
  // Uniform over the block (n and the base pointers are), so both branches keep the barriers.
  const bool vec_ok =
      n % VEC == 0 && ((unsigned long long)x | (unsigned long long)y) % (4 * VEC) == 0;
  // The loop bound is uniform over the block: every thread takes part in every barrier.
  for (long long r0 = (long long)blockIdx.x * RPB; r0 < rows; r0 += (long long)gridDim.x * RPB) {
    const long long row = r0 + group;
    const bool active = row < rows;
    if (vec_ok)
      row_body<VEC>(x + row * n, y + row * n, n, active, red, group, t);
    else
      row_body<1>(x + row * n, y + row * n, n, active, red, group, t);
  }
}

// Row softmax, y = exp(x - max) / sum exp(x - max),
// with the whole row held in registers: x is read from DRAM exactly once and y written exactly
// once (8 bytes of traffic per element, the copy floor).
//
// TPR threads own one row (CLUSTER = 1); thread t holds ITEMS vectors of VEC floats, vector i
// at column (i * TPR + t) * VEC, so every warp-wide load and store is one contiguous segment
// (512 bytes at VEC = 4) and all ITEMS loads of a thread are issued back to back before the
// first use, which keeps the whole row in flight. RPB rows share a block.
// After the loads, per thread: its maximum m_t and the sum s_t of exp(x - m_t) over its
// registers, computing each exp once; then one merge of the (m, s) pairs across the row
// (register shuffles in each warp, then shared memory across the row's warps, one barrier):
//   (m1, s1) + (m2, s2) = (M, s1 exp(m1 - M) + s2 exp(m2 - M)), M = max(m1, m2),
// which gives the row max M and sum S in a single reduction instead of two.
// The exps stay in the registers: y = e * (exp(m_t - M) / S), one multiply per element.
// CLUSTER > 1 spreads each row over a thread-block cluster of CLUSTER blocks (on as many SMs):
// block r of the cluster acts as threads r * TPR ... r * TPR + TPR - 1 of the row, and the
// blocks' (m, s) are merged through distributed shared memory (mapa + ld.shared::cluster
// between two cluster barriers). For long rows this halves the registers a row needs on one
// SM, so two rows' blocks share an SM and one block's loads overlap the other's reduction and
// stores, instead of each SM idling between rows.
// Capacity is CLUSTER * TPR * VEC * ITEMS floats per row (the default 128 * 4 * 8 = 4096
// holds the training rows).
// A longer row is still correct: it is processed in capacity-sized chunks, an online pass over
// the chunks for (m, s), then a pass that reloads each chunk (from L2, mostly), so only rows
// that fit get the one-read guarantee. Elements past the row end are loaded as -inf, which no
// max picks and whose exp is 0.
//
// exp is __expf (ex2.approx of x * log2(e)): its relative error grows with |x - m|, to about
// 2e-6 at the largest differences these inputs reach, and terms that far below the maximum
// hardly weigh in the sum; the tolerance is 1e-4 relative.
// 1/S and log(S), once per row, use the precise library functions.
// Rows are 4 * VEC aligned only when N % VEC == 0; otherwise the same code runs with scalar
// accesses (ITEMS * VEC of them per thread: same capacity, slower loads).
//
// Knobs (the harness writes one #define per knob above this file):
//   TPR    threads per row (a multiple of 32)
//   VEC    floats per access: 1, 2 (8-byte) or 4 (16-byte)
//   ITEMS  vectors held per thread (registers: VEC * ITEMS floats of the row per thread)
//   RPB    rows per block (block = TPR * RPB threads)
//   CLUSTER  blocks per row, as a thread-block cluster (1 = no cluster)
#include "kevo_cuda.h"

#define LOG_SOFTMAX 0

// kevo-launch: softmax_rows grid(CLUSTER * cdiv(B, RPB)) block(TPR * RPB)

#define NEG_INF __int_as_float(0xff800000)
#define ROW_THREADS (TPR * CLUSTER)  // threads of one row, over the whole cluster

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

// (m, s) += (m2, s2): sums of exp relative to their own maxima, brought to the larger one.
// Both empty (-inf, 0) stays empty; exp(-inf) = 0 drops an empty side.
__device__ __forceinline__ void merge(float& m, float& s, float m2, float s2) {
  const float M = fmaxf(m, m2);
  if (M == NEG_INF) return;
  s = s * __expf(m - M) + s2 * __expf(m2 - M);
  m = M;
}

// All threads of all blocks of the cluster; release/acquire orders the shared-memory accesses.
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release.aligned;\n\tbarrier.cluster.wait.acquire.aligned;"
               ::: "memory");
}

// Merges the (m, s) of the ROW_THREADS threads of each row; every thread gets the same result
// (each butterfly step merges the same two values on both partner lanes, merge is symmetric,
// and every thread folds the warp and block partials in the same order).
__device__ __forceinline__ void row_merge(float& m, float& s, float2* red, float2* cred,
                                          int group) {
  const int lt = threadIdx.x % TPR;  // index among the row's threads in this block
#pragma unroll
  for (int o = 16; o >= 1; o /= 2) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, o);
    const float s2 = __shfl_xor_sync(0xffffffffu, s, o);
    merge(m, s, m2, s2);
  }
  if constexpr (TPR > 32) {
    constexpr int W = TPR / 32;
    if (lt % 32 == 0) red[group * W + lt / 32] = make_float2(m, s);
    __syncthreads();  // one merge per launch: the buffer is never rewritten, no second barrier
    m = red[group * W].x;
    s = red[group * W].y;
#pragma unroll
    for (int w = 1; w < W; ++w) merge(m, s, red[group * W + w].x, red[group * W + w].y);
  }
  if constexpr (CLUSTER > 1) {
    // Each block publishes its partial in its own shared memory; after a cluster barrier
    // (release/acquire: the stores are visible) every thread reads all CLUSTER partials in rank
    // order through distributed shared memory; a second barrier keeps every block (and its
    // shared memory) alive until all of them have read.
    if (lt == 0) cred[group] = make_float2(m, s);
    cluster_sync();
    const unsigned local = (unsigned)__cvta_generic_to_shared(&cred[group]);
    m = NEG_INF;
    s = 0.0f;
#pragma unroll
    for (int r = 0; r < CLUSTER; ++r) {
      unsigned remote;
      float rm, rs;
      asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote) : "r"(local), "r"(r));
      asm volatile("ld.shared::cluster.v2.f32 {%0, %1}, [%2];"
                   : "=f"(rm), "=f"(rs)
                   : "r"(remote)
                   : "memory");
      merge(m, s, rm, rs);
    }
    cluster_sync();
  }
}

template <int V, int IT>
__device__ __forceinline__ void row_body(const float* __restrict__ xr, float* __restrict__ yr,
                                         long long n, bool active, float2* red, float2* cred,
                                         int group, int t) {
  // t is the thread's index among the ROW_THREADS of its row (cluster rank * TPR + thread).
  constexpr long long CAP = (long long)ROW_THREADS * V * IT;  // floats of the row held per pass
  const long long chunks = n <= CAP ? 1 : (n + CAP - 1) / CAP;
  float v[IT][V];
  float m = NEG_INF, s = 0.0f;  // this thread's running max and sum of exp(x - m)

  for (long long c = 0; c < chunks; ++c) {
#pragma unroll
    for (int i = 0; i < IT; ++i) {
      const long long col = c * CAP + ((long long)i * ROW_THREADS + t) * V;
      if (active && col < n) {  // n % V == 0 here, so the whole vector is inside the row
        load_v<V>(xr + col, v[i]);
      } else {
#pragma unroll
        for (int k = 0; k < V; ++k) v[i][k] = NEG_INF;
      }
    }
    float cm = NEG_INF;
#pragma unroll
    for (int i = 0; i < IT; ++i)
#pragma unroll
      for (int k = 0; k < V; ++k) cm = fmaxf(cm, v[i][k]);
    const float mn = fmaxf(m, cm);
    if (mn != NEG_INF) {  // else nothing of the row in this thread yet
      float cs[V];  // V independent partial sums
#pragma unroll
      for (int k = 0; k < V; ++k) cs[k] = 0.0f;
#pragma unroll
      for (int i = 0; i < IT; ++i)
#pragma unroll
        for (int k = 0; k < V; ++k) {
          const float e = __expf(v[i][k] - mn);
          cs[k] += e;
#if !LOG_SOFTMAX
          v[i][k] = e;  // kept: with one chunk the output is this times a per-thread factor
#endif
        }
      float csum = cs[0];
#pragma unroll
      for (int k = 1; k < V; ++k) csum += cs[k];
      s = s * __expf(m - mn) + csum;
      m = mn;
    }
  }

#if !LOG_SOFTMAX
  const float m_t = m;  // this thread's own max, which its kept exps are relative to
#endif
  row_merge(m, s, red, cred, group);
  if (!active) return;  // after the only barrier

#if LOG_SOFTMAX
  const float lse = m + logf(s);
#else
  const float inv = 1.0f / s;
  // One chunk: y = exp(x - m_t) * exp(m_t - M) / S. A thread whose max is more than ~87 below
  // the row's gets 0 here, for outputs below 1e-38 anyway.
  const float scale = chunks == 1 ? __expf(m_t - m) * inv : inv;
#endif
  for (long long c = 0; c < chunks; ++c) {
    if (chunks > 1) {  // rows longer than the capacity reload each chunk (from L2, mostly)
#pragma unroll
      for (int i = 0; i < IT; ++i) {
        const long long col = c * CAP + ((long long)i * ROW_THREADS + t) * V;
        if (col < n) {
          load_v<V>(xr + col, v[i]);
#if !LOG_SOFTMAX
#pragma unroll
          for (int k = 0; k < V; ++k) v[i][k] = __expf(v[i][k] - m);
#endif
        }
      }
    }
#pragma unroll
    for (int i = 0; i < IT; ++i) {
      const long long col = c * CAP + ((long long)i * ROW_THREADS + t) * V;
      if (col < n) {
        float out[V];
#pragma unroll
        for (int k = 0; k < V; ++k) {
#if LOG_SOFTMAX
          out[k] = v[i][k] - lse;
#else
          out[k] = v[i][k] * scale;
#endif
        }
        store_v<V>(yr + col, out);
      }
    }
  }
}

#if CLUSTER > 1
#define CLUSTER_ATTR __cluster_dims__(CLUSTER, 1, 1)
#else
#define CLUSTER_ATTR
#endif

extern "C" __global__ void CLUSTER_ATTR __launch_bounds__(TPR * RPB)
    softmax_rows(kevo_cuda_args a) {
  const float* __restrict__ x = (const float*)a.in[0];
  float* __restrict__ y = (float*)a.out[0];
  const long long rows = a.in_shape[0][0], n = a.in_shape[0][1];
  unsigned rank = 0;  // this block's place in its cluster (consecutive blockIdx.x)
  if constexpr (CLUSTER > 1) asm("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
  const int group = threadIdx.x / TPR;
  const int t = (int)rank * TPR + threadIdx.x % TPR;
  const long long row = (long long)(blockIdx.x / CLUSTER) * RPB + group;
  const bool active = row < rows;  // inactive threads still take part in the barriers
  __shared__ float2 red[RPB * (TPR / 32)];
  __shared__ float2 cred[RPB];  // this block's partial per row, read by the whole cluster
  // Uniform over the block (n and the base pointers are), so both branches keep the barriers.
  const bool vec_ok =
      n % VEC == 0 && ((unsigned long long)x | (unsigned long long)y) % (4 * VEC) == 0;
  if (vec_ok)
    row_body<VEC, ITEMS>(x + row * n, y + row * n, n, active, red, cred, group, t);
  else
    row_body<1, VEC * ITEMS>(x + row * n, y + row * n, n, active, red, cred, group, t);
}

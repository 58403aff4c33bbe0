// LayerNorm in bf16, y = bf16((x - mean) / sqrt(var + 1e-5) * gamma + beta) (biased variance,
// fp32 statistics), with the whole row held in registers as packed bf16: x is read from DRAM
// exactly once and y written exactly once (plus the gamma/beta row, which stays in L1/L2).
//
// TPR threads own one row; thread t holds ITEMS vectors of VEC bf16 (VEC = 8: one 16-byte
// LDG.128, 512 bytes per warp instruction), vector i at column (i * TPR + t) * VEC, so every
// warp-wide load and store is one contiguous segment and all ITEMS loads of a thread are issued
// back to back before the first use. The row stays packed (two bf16 per 32-bit register: half
// the registers of fp32) and is widened on use, which is one shift or one mask per value: a
// bf16 is the top half of the float it stands for.
// Row sums go through register shuffles (__shfl_xor_sync) inside each warp, then shared memory
// across the row's warps (TPR / 32 values, one barrier pair); with TPR = 32 a row is one warp
// and needs no shared memory or barrier at all. RPB rows share a block.
// The statistics are the exact two-pass ones, in fp32, from the registers: the mean (one row
// sum), then the sum of (x - mean)^2 (a second row sum), so there is no E[x^2] - mean^2
// cancellation, and the second pass costs no memory traffic. y is computed in fp32 and rounded
// to bf16 once, to nearest even (__floats2bfloat162_rn), two values per 32-bit store word.
// Capacity is TPR * VEC * ITEMS bf16 per row (the default 32 * 8 * 8 = 2048 holds the
// training rows). A longer row is still correct: it is processed in capacity-sized chunks that
// are reloaded for each sweep (from L2, mostly), so only rows that fit get the one-read
// guarantee. Vectors need N % VEC == 0 and 2 * VEC-byte aligned tensors; otherwise the same code
// runs with one bf16 per access, ITEMS * VEC / 2 of them per thread (one register each, so no
// more registers than the packed path: half its capacity, longer rows in reloaded chunks).
//
// Knobs (the harness writes one #define per knob above this file):
//   TPR    threads per row (a multiple of 32)
//   VEC    bf16 per access: 8 (16-byte), 4 (8-byte) or 2 (4-byte)
//   ITEMS  vectors held per thread (registers: VEC * ITEMS / 2 words of the row per thread)
//   RPB    rows per block (block = TPR * RPB threads)
#include <cuda_bf16.h>

#include "kevo_cuda.h"

#define LAYERNORM 1

// kevo-launch: layernorm_bf16_rows grid(cdiv(B, RPB)) block(TPR * RPB)

typedef unsigned short bf16_t;  // raw bf16 bits, as the harness stores them

// One access of V bf16 as V/2 32-bit words (V >= 2; element k is the low half of word k/2 when
// k is even, the high half when odd), or one bf16 in the low half of word 0 (V == 1).
template <int V>
struct Packed {
  unsigned w[V >= 2 ? V / 2 : 1];
};

template <int V>
__device__ __forceinline__ Packed<V> load_p(const bf16_t* p) {
  Packed<V> r;
  if constexpr (V == 8) {
    const uint4 t = *reinterpret_cast<const uint4*>(p);
    r.w[0] = t.x; r.w[1] = t.y; r.w[2] = t.z; r.w[3] = t.w;
  } else if constexpr (V == 4) {
    const uint2 t = *reinterpret_cast<const uint2*>(p);
    r.w[0] = t.x; r.w[1] = t.y;
  } else if constexpr (V == 2) {
    r.w[0] = *reinterpret_cast<const unsigned*>(p);
  } else {
    r.w[0] = *p;
  }
  return r;
}

template <int V>
__device__ __forceinline__ void store_p(bf16_t* p, const Packed<V>& r) {
  if constexpr (V == 8) {
    *reinterpret_cast<uint4*>(p) = make_uint4(r.w[0], r.w[1], r.w[2], r.w[3]);
  } else if constexpr (V == 4) {
    *reinterpret_cast<uint2*>(p) = make_uint2(r.w[0], r.w[1]);
  } else if constexpr (V == 2) {
    *reinterpret_cast<unsigned*>(p) = r.w[0];
  } else {
    *p = (bf16_t)r.w[0];
  }
}

// Element k of a packed access, widened to fp32 (exact).
template <int V>
__device__ __forceinline__ float elem(const Packed<V>& r, int k) {
  if constexpr (V == 1) return __uint_as_float(r.w[0] << 16);
  return (k % 2 == 0) ? __uint_as_float(r.w[k / 2] << 16)
                      : __uint_as_float(r.w[k / 2] & 0xffff0000u);
}

// V fp32 values rounded to bf16 (nearest even) and packed.
template <int V>
__device__ __forceinline__ Packed<V> pack(const float* f) {
  Packed<V> r;
  if constexpr (V == 1) {
    r.w[0] = __bfloat16_as_ushort(__float2bfloat16_rn(f[0]));
  } else {
#pragma unroll
    for (int k = 0; k < V / 2; ++k) {
      const __nv_bfloat162 h = __floats2bfloat162_rn(f[2 * k], f[2 * k + 1]);  // .x: low half
      r.w[k] = (unsigned)__bfloat16_as_ushort(h.x) | ((unsigned)__bfloat16_as_ushort(h.y) << 16);
    }
  }
  return r;
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
__device__ __forceinline__ void row_body(const bf16_t* __restrict__ xr, bf16_t* __restrict__ yr,
                                         const bf16_t* __restrict__ gamma,
                                         const bf16_t* __restrict__ beta, long long n, bool active,
                                         float* red, int group, int t) {
  constexpr long long CAP = (long long)TPR * V * IT;  // bf16 of the row held per pass
  const long long chunks = n <= CAP ? 1 : (n + CAP - 1) / CAP;
  Packed<V> v[IT];

  // Loads chunk c into v; columns past the row end (or a row past B) read as 0.
  auto load_chunk = [&](long long c) {
#pragma unroll
    for (int i = 0; i < IT; ++i) {
      const long long col = c * CAP + ((long long)i * TPR + t) * V;
      if (active && col < n) {  // n % V == 0 here, so the whole vector is inside the row
        v[i] = load_p<V>(xr + col);
      } else {
#pragma unroll
        for (int k = 0; k < (V >= 2 ? V / 2 : 1); ++k) v[i].w[k] = 0u;
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
      for (int k = 0; k < V; ++k) {
#if LAYERNORM
        acc[k] += elem<V>(v[i], k);
#else
        const float e = elem<V>(v[i], k);
        acc[k] += e * e;
#endif
      }
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
          const float d = elem<V>(v[i], k) - mean;
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

  // Last sweep (registers when the row fits): scale, shift, round and store.
  for (long long c = 0; c < chunks; ++c) {
    if (chunks > 1) load_chunk(c);
#pragma unroll
    for (int i = 0; i < IT; ++i) {
      const long long col = c * CAP + ((long long)i * TPR + t) * V;
      if (col < n) {
        const Packed<V> g = load_p<V>(gamma + col);
        float out[V];
#if LAYERNORM
        const Packed<V> b = load_p<V>(beta + col);
#pragma unroll
        for (int k = 0; k < V; ++k)
          out[k] = (elem<V>(v[i], k) - mean) * rstd * elem<V>(g, k) + elem<V>(b, k);
#else
#pragma unroll
        for (int k = 0; k < V; ++k) out[k] = elem<V>(v[i], k) * rstd * elem<V>(g, k);
#endif
        store_p<V>(yr + col, pack<V>(out));
      }
    }
  }
  (void)mean;
  (void)beta;
}

extern "C" __global__ void __launch_bounds__(TPR * RPB) layernorm_bf16_rows(kevo_cuda_args a) {
  const bf16_t* __restrict__ x = (const bf16_t*)a.in[0];
  const bf16_t* __restrict__ gamma = (const bf16_t*)a.in[1];
#if LAYERNORM
  const bf16_t* __restrict__ beta = (const bf16_t*)a.in[2];
#else
  const bf16_t* __restrict__ beta = gamma;  // unused
#endif
  bf16_t* __restrict__ y = (bf16_t*)a.out[0];
  const long long rows = a.in_shape[0][0], n = a.in_shape[0][1];
  const int group = threadIdx.x / TPR, t = threadIdx.x % TPR;
  const long long row = (long long)blockIdx.x * RPB + group;
  const bool active = row < rows;  // inactive threads still take part in the barriers
  __shared__ float red[RPB * (TPR / 32)];
  // Uniform over the block (n and the base pointers are), so both branches keep the barriers.
  const unsigned long long addr_bits = (unsigned long long)x | (unsigned long long)gamma |
                                       (unsigned long long)beta | (unsigned long long)y;
  const bool vec_ok = n % VEC == 0 && addr_bits % (2 * VEC) == 0;
  if (vec_ok)
    row_body<VEC, ITEMS>(x + row * n, y + row * n, gamma, beta, n, active, red, group, t);
  else
    row_body<1, VEC * ITEMS / 2>(x + row * n, y + row * n, gamma, beta, n, active, red, group, t);
}

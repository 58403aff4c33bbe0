// Row max, y[b] = max_i x[b,i], one row at a time with ACC independent SIMD max accumulators.
//
// g++ does not vectorize the baseline's std::max reduction without -ffast-math (std::max is not
// associative once NaN is possible), so it is one dependent compare per element. The maximum of
// NaN-free floats does not depend on the order it is taken in, so here each row is reduced in
// VEC lanes x ACC accumulator vectors with vmaxps, and the result is still exact (bitwise):
//   - VEC lanes do VEC comparisons per instruction;
//   - ACC independent accumulators hide the max latency (1 accumulator waits on every max);
//   - the row tail (N not a multiple of VEC) is one more full vector load ending exactly at the
//     row end: the overlap re-reads a few elements, which max ignores (max is idempotent), so
//     there is no scalar tail loop at all; rows shorter than VEC use a scalar loop;
//   - THREADS=2 gives each thread a contiguous block of rows (cold, large data: two cores pull
//     more DRAM bandwidth; warm, small batches: thread start-up costs more than the work).
// An empty row gets -inf, the identity of max.
//
// Written over GCC vector extensions (VEC floats per vector: 16 = one AVX-512 register,
// 8 = AVX2, 4 = SSE); vmaxps comes from intrinsics behind #if, with a compare-and-select
// fallback, so it builds and is exact on any target.
//
// Knobs:
//   VEC      floats per vector (4, 8, 16)
//   ACC      independent accumulator vectors per row (1, 2, 4, 8)
//   THREADS  1 or 2 std::threads over contiguous blocks of rows (joined)
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <thread>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "kevo_abi.h"

// On a target without AVX-512, g++ notes that 64-byte vector parameters (VEC=16) have a
// different ABI; every helper here is inlined, so the recipe passes -Wno-psabi to silence it.

namespace {

#define KI inline __attribute__((always_inline))

typedef float vf __attribute__((vector_size(VEC * sizeof(float))));

KI vf loadu(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// a > b ? a : b in one vmaxps (g++ keeps the vector ternary as compare + blend).
#if VEC == 16 && defined(__AVX512F__)
KI vf vmax(vf a, vf b) { return (vf)_mm512_mask_max_ps((__m512)a, (__mmask16)-1, (__m512)a, (__m512)b); }
#elif VEC == 8 && defined(__AVX__)
KI vf vmax(vf a, vf b) { return (vf)_mm256_max_ps((__m256)a, (__m256)b); }
#elif VEC == 4 && defined(__SSE__)
KI vf vmax(vf a, vf b) { return (vf)_mm_max_ps((__m128)a, (__m128)b); }
#else
KI vf vmax(vf a, vf b) { return a > b ? a : b; }
#endif

KI float hmax(vf v) {
  float l[VEC];
  std::memcpy(l, &v, sizeof v);
#pragma GCC unroll 16
  for (int w = VEC / 2; w > 0; w /= 2)
#pragma GCC unroll 16
    for (int k = 0; k < w; ++k) l[k] = l[k + w] > l[k] ? l[k + w] : l[k];
  return l[0];
}

float row_max(const float* x, int64_t n) {
  if (n < VEC) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
  }
  vf acc[ACC];
  acc[0] = loadu(x);
#pragma GCC unroll 8
  for (int a = 1; a < ACC; ++a) acc[a] = acc[0];
  int64_t i = VEC;
  for (; i + VEC * ACC <= n; i += VEC * ACC)
#pragma GCC unroll 8
    for (int a = 0; a < ACC; ++a) acc[a] = vmax(acc[a], loadu(x + i + a * VEC));
  for (; i + VEC <= n; i += VEC) acc[0] = vmax(acc[0], loadu(x + i));
  if (i < n) acc[ACC - 1] = vmax(acc[ACC - 1], loadu(x + n - VEC));  // overlapping last vector
#pragma GCC unroll 8
  for (int w = ACC / 2; w > 0; w /= 2)
#pragma GCC unroll 8
    for (int a = 0; a < w; ++a) acc[a] = vmax(acc[a], acc[a + w]);
  return hmax(acc[0]);
}

void rows(const float* x, float* y, int64_t cols, int64_t begin, int64_t end) {
  for (int64_t b = begin; b < end; ++b) y[b] = row_max(x + b * cols, cols);
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1 || inputs[0].ndim != 2) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  float* y = static_cast<float*>(outputs[0].data);
  const int64_t nrows = inputs[0].shape[0], cols = inputs[0].shape[1];
  if (nrows <= 0) return 0;
  if (THREADS <= 1 || nrows < 2) {
    rows(x, y, cols, 0, nrows);
    return 0;
  }
  std::thread workers[THREADS];
  for (int t = 1; t < THREADS; ++t) {
    const int64_t b0 = nrows * t / THREADS, b1 = nrows * (t + 1) / THREADS;
    try {
      workers[t] = std::thread(rows, x, y, cols, b0, b1);
    } catch (...) {  // no thread available: do those rows here
      rows(x, y, cols, b0, b1);
    }
  }
  rows(x, y, cols, 0, nrows / THREADS);
  for (int t = 1; t < THREADS; ++t)
    if (workers[t].joinable()) workers[t].join();
  return 0;
}

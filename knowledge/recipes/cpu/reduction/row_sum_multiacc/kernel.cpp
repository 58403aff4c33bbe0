// Row sum, y[b] = sum_i x[b,i], one row at a time with ACC independent SIMD accumulators.
//
// The baseline keeps one fp32 accumulator, and without -ffast-math g++ may not reorder the
// additions, so it runs at one add per add latency (~3-4 cycles per element). The problem allows
// any summation order, so here each row is summed in VEC lanes x ACC accumulators:
//   - VEC lanes turn one add into VEC adds;
//   - ACC independent accumulator vectors hide the add latency (with 1 accumulator each vector
//     add waits for the previous one; 2-4 are enough to reach the load throughput from L1/L2);
//   - the ACC x VEC partial sums are added pairwise at the end of the row, so the rounding error
//     is smaller than the sequential sum's (each partial sums only N / (VEC ACC) terms);
//   - THREADS=2 gives each thread a contiguous block of rows: on cold data larger than the cache
//     one core cannot pull the full DRAM bandwidth, two get close. On warm, small batches the
//     thread start-up (tens of microseconds) costs more than the whole sum.
// The tail of a row (N not a multiple of VEC) is added in scalar. No -ffast-math is needed: the
// order is written out explicitly.
//
// Written over GCC vector extensions (VEC floats per vector: 16 = one AVX-512 register,
// 8 = AVX2, 4 = SSE), so the same source builds and is correct on any target.
//
// Knobs:
//   VEC      floats per vector (4, 8, 16)
//   ACC      independent accumulator vectors per row (1, 2, 4, 8)
//   THREADS  1 or 2 std::threads over contiguous blocks of rows (joined)
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>

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

// Sum of the lanes, pairwise.
KI float hsum(vf v) {
  float l[VEC];
  std::memcpy(l, &v, sizeof v);
#pragma GCC unroll 16
  for (int w = VEC / 2; w > 0; w /= 2)
#pragma GCC unroll 16
    for (int k = 0; k < w; ++k) l[k] += l[k + w];
  return l[0];
}

float row_sum(const float* x, int64_t n) {
  vf acc[ACC];
#pragma GCC unroll 8
  for (int a = 0; a < ACC; ++a) acc[a] = vf{};
  int64_t i = 0;
  for (; i + VEC * ACC <= n; i += VEC * ACC)
#pragma GCC unroll 8
    for (int a = 0; a < ACC; ++a) acc[a] += loadu(x + i + a * VEC);
  for (; i + VEC <= n; i += VEC) acc[0] += loadu(x + i);
  // Pairwise combination of the accumulators.
#pragma GCC unroll 8
  for (int w = ACC / 2; w > 0; w /= 2)
#pragma GCC unroll 8
    for (int a = 0; a < w; ++a) acc[a] += acc[a + w];
  float tail = 0.0f;
  for (; i < n; ++i) tail += x[i];
  return hsum(acc[0]) + tail;
}

void rows(const float* x, float* y, int64_t cols, int64_t begin, int64_t end) {
  for (int64_t b = begin; b < end; ++b) y[b] = row_sum(x + b * cols, cols);
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

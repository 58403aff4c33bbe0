// Row sum, y[b] = sum_i x[b,i], walking ROWS rows side by side (a register block of rows).
//
// Instead of finishing one row before starting the next, each loop trip loads the same column
// range from ROWS consecutive rows into ROWS x ACC accumulator vectors. That changes the memory
// access pattern and the source of parallelism:
//   - the independent add chains come from different rows, so even ACC=1 hides the add latency
//     once ROWS >= 3, and each row keeps a short per-row accumulator set;
//   - ROWS concurrent sequential streams (one per row) keep more cache-line misses in flight
//     than one stream, which helps one core pull more DRAM bandwidth on cold data, where the
//     hardware prefetchers track each row as its own stream;
//   - the end-of-row work (combining accumulators, the horizontal lane sum, the scalar tail)
//     is done for ROWS rows at once, interleaved, instead of serially per row.
// Rows left over when B is not a multiple of ROWS go through the same code with one row.
// On this kind of core, more concurrent streams measurably raise one thread's DRAM bandwidth
// (cold 8192x4096, one thread: ROWS=2 ~7.4 ms, 4 ~6.4 ms, 8 ~5.9 ms; one row at a time ~7.9 ms).
// THREADS=2 splits the rows statically (contiguous blocks) or dynamically (CHUNK_ROWS pieces from
// an atomic counter, robust when the other core is busy); on warm, small batches the thread
// start-up costs more than the whole sum, and with CHUNK_ROWS >= B no helper is started at all.
// The summation order is explicit (no -ffast-math); each lane sums N / (VEC ACC) terms and the
// partials are combined pairwise, so the error is below the sequential sum's.
//
// Written over GCC vector extensions (VEC floats per vector: 16 = one AVX-512 register,
// 8 = AVX2), so the same source builds and is correct on any target.
//
// Knobs:
//   ROWS     rows processed together (2, 4, 8)
//   ACC      accumulator vectors per row (1, 2)
//   VEC      floats per vector (8, 16)
//   THREADS  1 or 2 std::threads, the caller included (joined)
//   CHUNK_ROWS  0: static schedule, contiguous blocks of rows per thread; > 0: dynamic
//            schedule, CHUNK_ROWS-row pieces claimed from an atomic counter, so a thread that
//            starts late or loses its core to another process costs one piece, not half
#include <atomic>
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

KI float hsum(vf v) {
  float l[VEC];
  std::memcpy(l, &v, sizeof v);
#pragma GCC unroll 16
  for (int w = VEC / 2; w > 0; w /= 2)
#pragma GCC unroll 16
    for (int k = 0; k < w; ++k) l[k] += l[k + w];
  return l[0];
}

// Sums R rows starting at x (row stride cols) into y[0..R).
template <int R>
KI void block(const float* x, float* y, int64_t cols) {
  vf acc[R][ACC];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int a = 0; a < ACC; ++a) acc[r][a] = vf{};
  int64_t i = 0;
  for (; i + VEC * ACC <= cols; i += VEC * ACC)
#pragma GCC unroll 2
    for (int a = 0; a < ACC; ++a)
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][a] += loadu(x + r * cols + i + a * VEC);
  for (; i + VEC <= cols; i += VEC)
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r][0] += loadu(x + r * cols + i);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
    for (int a = 1; a < ACC; ++a) acc[r][0] += acc[r][a];
    float tail = 0.0f;
    for (int64_t j = i; j < cols; ++j) tail += x[r * cols + j];
    y[r] = hsum(acc[r][0]) + tail;
  }
}

void rows(const float* x, float* y, int64_t cols, int64_t begin, int64_t end) {
  int64_t b = begin;
  for (; b + ROWS <= end; b += ROWS) block<ROWS>(x + b * cols, y + b, cols);
  for (; b < end; ++b) block<1>(x + b * cols, y + b, cols);
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
#if CHUNK_ROWS > 0
  // Dynamic schedule: CHUNK_ROWS-row pieces (a multiple of ROWS) claimed from a shared counter
  // by whichever thread is free; a helper starts only if there are two chunks or more.
  std::atomic<int64_t> next{0};
  auto claim = [x, y, cols, nrows, &next] {
    for (;;) {
      const int64_t b0 = next.fetch_add(1, std::memory_order_relaxed) * CHUNK_ROWS;
      if (b0 >= nrows) break;
      rows(x, y, cols, b0, nrows - b0 < CHUNK_ROWS ? nrows : b0 + CHUNK_ROWS);
    }
  };
  const int64_t chunks = (nrows + CHUNK_ROWS - 1) / CHUNK_ROWS;
  const int helpers = int(THREADS - 1 < chunks - 1 ? THREADS - 1 : chunks - 1);
  for (int t = 1; t <= helpers; ++t) {
    try {
      workers[t] = std::thread(claim);
    } catch (...) {  // no thread available: the caller claims every chunk
      break;
    }
  }
  claim();
#else
  // Static schedule: contiguous blocks of rows, boundaries on multiples of ROWS where possible
  // so that only the last block is partial.
  int64_t cut[THREADS + 1];
  cut[0] = 0;
  cut[THREADS] = nrows;
  for (int t = 1; t < THREADS; ++t) {
    const int64_t c = nrows * t / THREADS / ROWS * ROWS;
    cut[t] = c > cut[t - 1] ? c : nrows * t / THREADS;
  }
  for (int t = 1; t < THREADS; ++t) {
    try {
      workers[t] = std::thread(rows, x, y, cols, cut[t], cut[t + 1]);
    } catch (...) {  // no thread available: do those rows here
      rows(x, y, cols, cut[t], cut[t + 1]);
    }
  }
  rows(x, y, cols, cut[0], cut[1]);
#endif
  for (int t = 1; t < THREADS; ++t)
    if (workers[t].joinable()) workers[t].join();
  return 0;
}

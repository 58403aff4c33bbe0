// Row max, y[b] = max_i x[b,i], walking ROWS rows side by side (a register block of rows).
//
// Each loop trip takes the same column range of ROWS consecutive rows into ROWS x ACC max
// accumulators (vmaxps). Compared with finishing one row at a time:
//   - the independent max chains come from different rows, so ACC=1 already hides the vmaxps
//     latency once ROWS >= 2-3;
//   - ROWS concurrent sequential streams keep more cache-line misses in flight on cold data
//     (the hardware prefetchers track each row as its own stream);
//   - the row ends are handled for the whole block at once: the tail is one overlapping full
//     vector ending at each row end (max is idempotent, so re-reading a few elements is
//     harmless), then the ROWS horizontal maxima.
// The result is exact (max of NaN-free floats does not depend on order), compared bit for bit.
// Rows left over when B is not a multiple of ROWS use the same code with one row; rows shorter
// than VEC use a scalar loop; an empty row gives -inf. THREADS=2 splits the rows statically
// (contiguous blocks) or dynamically (CHUNK_ROWS pieces from an atomic counter, robust when the
// other core is busy); on warm, small batches thread start-up loses, and with CHUNK_ROWS >= B
// no helper is started at all.
//
// Written over GCC vector extensions (VEC floats per vector: 16 = one AVX-512 register,
// 8 = AVX2); vmaxps comes from intrinsics behind #if, with a compare-and-select fallback.
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

// Max of R rows starting at x (row stride cols, cols >= VEC) into y[0..R).
template <int R>
KI void block(const float* x, float* y, int64_t cols) {
  vf acc[R][ACC];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int a = 0; a < ACC; ++a) acc[r][a] = loadu(x + r * cols);
  int64_t i = VEC;
  for (; i + VEC * ACC <= cols; i += VEC * ACC)
#pragma GCC unroll 2
    for (int a = 0; a < ACC; ++a)
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][a] = vmax(acc[r][a], loadu(x + r * cols + i + a * VEC));
  for (; i + VEC <= cols; i += VEC)
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r][0] = vmax(acc[r][0], loadu(x + r * cols + i));
  if (i < cols)  // overlapping last vector of each row
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r][ACC - 1] = vmax(acc[r][ACC - 1], loadu(x + r * cols + cols - VEC));
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
    for (int a = 1; a < ACC; ++a) acc[r][0] = vmax(acc[r][0], acc[r][a]);
    y[r] = hmax(acc[r][0]);
  }
}

float short_row(const float* x, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

void rows(const float* x, float* y, int64_t cols, int64_t begin, int64_t end) {
  if (cols < VEC) {
    for (int64_t b = begin; b < end; ++b) y[b] = short_row(x + b * cols, cols);
    return;
  }
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

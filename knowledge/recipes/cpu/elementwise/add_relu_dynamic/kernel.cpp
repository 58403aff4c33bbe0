// Residual add + ReLU, y = max(x + r, 0), with the elements cut into fixed-size chunks that the
// threads take from a shared atomic counter (dynamic scheduling) instead of a static split.
//
// This is memory-bound (three streams, two flops per element), and on a machine whose cores are
// shared with other work a static half/half split finishes only when the slower thread does: if
// the second core is busy for a few milliseconds, half the work waits for it. With dynamic
// chunks, whichever thread is running takes the next chunk, so a stalled or late-started worker
// costs at most one chunk. The chunk size trades that balance against the counter traffic (one
// atomic fetch_add per chunk) and, with streaming stores, the per-chunk alignment head:
//   - CHUNK elements per chunk, rounded to whole 64-byte lines so no two threads write one line;
//   - the calling thread works too (THREADS=1 is the plain chunked loop, no thread started);
//   - NT=1 stores y with non-temporal stores (no read-for-ownership: 12 instead of 16 bytes per
//     element on cold data); NT=0 keeps y in cache for warm data.
// The arithmetic is exact (one IEEE add, then vmaxps(s, 0), which returns 0 for s <= 0, -0 and
// NaN like the reference's `s > 0 ? s : 0`), so every knob setting matches bit for bit.
//
// Written over GCC vector extensions (VEC floats per vector); intrinsics only behind #if for
// vmaxps and streaming stores, with plain fallbacks.
//
// Knobs:
//   VEC      floats per vector (8, 16)
//   CHUNK    elements per scheduling chunk
//   THREADS  1 or 2 workers, the caller included (joined)
//   NT       1: streaming stores for y, 0: ordinary stores
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

// s > 0 ? s : 0, as the reference (vmaxps returns its second operand unless the first is greater).
KI vf relu(vf s) {
#if VEC == 16 && defined(__AVX512F__)
  return (vf)_mm512_mask_max_ps((__m512)s, (__mmask16)-1, (__m512)s, _mm512_setzero_ps());
#elif VEC == 8 && defined(__AVX__)
  return (vf)_mm256_max_ps((__m256)s, _mm256_setzero_ps());
#else
  return s > 0.0f ? s : vf{};
#endif
}

// p must be aligned to sizeof(vf) when NT is on (the caller peels to that alignment).
KI void store(float* p, vf v) {
#if NT && VEC == 16 && defined(__AVX512F__)
  _mm512_stream_ps(p, (__m512)v);
#elif NT && VEC == 8 && defined(__AVX__)
  _mm256_stream_ps(p, (__m256)v);
#else
  std::memcpy(p, &v, sizeof v);
#endif
}

KI float relu1(float s) { return s > 0.0f ? s : 0.0f; }

// Elements [begin, end): two vectors per trip, scalar edges.
void block(const float* x, const float* r, float* y, int64_t begin, int64_t end) {
  int64_t i = begin;
#if NT
  const bool vec_ok = reinterpret_cast<uintptr_t>(y) % sizeof(float) == 0;
  if (vec_ok)
    for (; i < end && reinterpret_cast<uintptr_t>(y + i) % sizeof(vf) != 0; ++i) y[i] = relu1(x[i] + r[i]);
#else
  const bool vec_ok = true;
#endif
  if (vec_ok) {
    for (; i + 2 * VEC <= end; i += 2 * VEC) {
      const vf s0 = loadu(x + i) + loadu(r + i);
      const vf s1 = loadu(x + i + VEC) + loadu(r + i + VEC);
      store(y + i, relu(s0));
      store(y + i + VEC, relu(s1));
    }
    for (; i + VEC <= end; i += VEC) store(y + i, relu(loadu(x + i) + loadu(r + i)));
  }
  for (; i < end; ++i) y[i] = relu1(x[i] + r[i]);
}

// Chunk boundaries are multiples of this many elements (64-byte lines, relative to the start).
constexpr int64_t kChunk = (CHUNK + 15) / 16 * 16;

struct Work {
  const float* x;
  const float* r;
  float* y;
  int64_t n;
  std::atomic<int64_t> next{0};
};

void worker(Work* w) {
  for (;;) {
    const int64_t c = w->next.fetch_add(1, std::memory_order_relaxed);
    const int64_t begin = c * kChunk;
    if (begin >= w->n) break;
    const int64_t end = w->n - begin < kChunk ? w->n : begin + kChunk;
    block(w->x, w->r, w->y, begin, end);
  }
#if NT && (defined(__x86_64__) || defined(__i386__))
  _mm_sfence();  // streaming stores are weakly ordered: drain them before the thread finishes
#endif
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  Work w;
  w.x = static_cast<const float*>(inputs[0].data);
  w.r = static_cast<const float*>(inputs[1].data);
  w.y = static_cast<float*>(outputs[0].data);
  w.n = 1;
  for (int d = 0; d < inputs[0].ndim; ++d) w.n *= inputs[0].shape[d];
  if (w.n <= 0) return 0;
  // Helpers only when there is more than one chunk to share.
  const int64_t chunks = (w.n + kChunk - 1) / kChunk;
  const int helpers = int(THREADS - 1 < chunks - 1 ? THREADS - 1 : chunks - 1);
  std::thread pool[THREADS > 1 ? THREADS - 1 : 1];
  for (int t = 0; t < helpers; ++t) {
    try {
      pool[t] = std::thread(worker, &w);
    } catch (...) {  // no thread available: the caller takes every chunk
      break;
    }
  }
  worker(&w);
  for (int t = 0; t < helpers; ++t)
    if (pool[t].joinable()) pool[t].join();
  return 0;
}

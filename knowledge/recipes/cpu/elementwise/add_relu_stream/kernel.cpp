// Residual add + ReLU, y = max(x + r, 0), as one streaming pass split statically across threads.
//
// Three streams and two flops per element: this is purely memory-bound. What the baseline (an
// auto-vectorized single-threaded loop at ~25 GB/s) leaves on the table is
//   - the second core: one core cannot saturate DRAM on this machine, two can get close;
//   - the read-for-ownership of y: an ordinary store first reads each output line from memory,
//     so 16 bytes move per element instead of 12; non-temporal (streaming) stores write the
//     line without reading it (NT=1). On warm, cache-resident data they evict y to DRAM
//     instead, so NT=0 is right there;
//   - (maybe) software prefetch a fixed distance ahead of the two input streams (PF), on top of
//     the hardware prefetchers.
// The arithmetic is exact (one IEEE add, then vmaxps(s, 0), which returns 0 for s <= 0, -0 and
// NaN just like the reference's `s > 0 ? s : 0`), so every knob setting matches bit for bit.
//
// The code is written over GCC vector extensions (VEC floats per vector: 16 = one AVX-512
// register, 8 = AVX2, 4 = SSE); intrinsics appear only behind #if, for vmaxps and streaming
// stores, with plain fallbacks, so it builds and is exact on any x86-64 (or other) target.
//
// Knobs:
//   VEC      floats per vector (4, 8, 16)
//   UNROLL   vectors per loop trip (fewer loop branches, more loads in flight)
//   THREADS  1 or 2 std::threads over contiguous halves of the elements (joined)
//   NT       1: streaming stores for y (peeled to vector alignment), 0: ordinary stores
//   PF       software prefetch distance in bytes ahead of x and r (0: none)
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

// max(s, 0) with the reference's semantics: s > 0 ? s : 0 (vmaxps returns the second operand
// when the first is not greater, NaN included).
KI vf relu(vf s) {
#if VEC == 16 && defined(__AVX512F__)
  return (vf)_mm512_mask_max_ps((__m512)s, (__mmask16)-1, (__m512)s, _mm512_setzero_ps());
#elif VEC == 8 && defined(__AVX__)
  return (vf)_mm256_max_ps((__m256)s, _mm256_setzero_ps());
#elif VEC == 4 && defined(__SSE__)
  return (vf)_mm_max_ps((__m128)s, _mm_setzero_ps());
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
#elif NT && VEC == 4 && defined(__SSE__)
  _mm_stream_ps(p, (__m128)v);
#else
  std::memcpy(p, &v, sizeof v);
#endif
}

KI void prefetch(const float* p) {
#if PF > 0
  __builtin_prefetch(reinterpret_cast<const char*>(p) + PF, 0, 0);
#else
  (void)p;
#endif
}

KI float relu1(float s) { return s > 0.0f ? s : 0.0f; }

// Elements [begin, end).
void range(const float* x, const float* r, float* y, int64_t begin, int64_t end) {
  int64_t i = begin;
#if NT
  // Scalar head up to a vector-aligned y, so every streaming store is aligned (a y that is not
  // even float-aligned takes the scalar loop below throughout).
  const bool vec_ok = reinterpret_cast<uintptr_t>(y) % sizeof(float) == 0;
  if (vec_ok)
    for (; i < end && reinterpret_cast<uintptr_t>(y + i) % sizeof(vf) != 0; ++i) y[i] = relu1(x[i] + r[i]);
#else
  const bool vec_ok = true;
#endif
  if (vec_ok) {
    for (; i + VEC * UNROLL <= end; i += VEC * UNROLL) {
      prefetch(x + i);
      prefetch(r + i);
      vf s[UNROLL];
#pragma GCC unroll 8
      for (int u = 0; u < UNROLL; ++u) s[u] = loadu(x + i + u * VEC) + loadu(r + i + u * VEC);
#pragma GCC unroll 8
      for (int u = 0; u < UNROLL; ++u) store(y + i + u * VEC, relu(s[u]));
    }
    for (; i + VEC <= end; i += VEC) store(y + i, relu(loadu(x + i) + loadu(r + i)));
  }
  for (; i < end; ++i) y[i] = relu1(x[i] + r[i]);
#if NT && (defined(__x86_64__) || defined(__i386__))
  _mm_sfence();  // streaming stores are weakly ordered: drain them before the thread finishes
#endif
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* x = static_cast<const float*>(inputs[0].data);
  const float* r = static_cast<const float*>(inputs[1].data);
  float* y = static_cast<float*>(outputs[0].data);
  int64_t n = 1;
  for (int d = 0; d < inputs[0].ndim; ++d) n *= inputs[0].shape[d];
  if (n <= 0) return 0;
  if (THREADS <= 1 || n < 2 * 64) {
    range(x, r, y, 0, n);
    return 0;
  }
  // Split points on 64-element (256-byte) boundaries: no output cache line is shared.
  int64_t cut[THREADS + 1];
  cut[0] = 0;
  cut[THREADS] = n;
  for (int t = 1; t < THREADS; ++t) cut[t] = (n * t / THREADS) & ~int64_t(63);
  std::thread workers[THREADS];
  for (int t = 1; t < THREADS; ++t) {
    try {
      workers[t] = std::thread(range, x, r, y, cut[t], cut[t + 1]);
    } catch (...) {  // no thread available: do that part here
      range(x, r, y, cut[t], cut[t + 1]);
    }
  }
  range(x, r, y, cut[0], cut[1]);
  for (int t = 1; t < THREADS; ++t)
    if (workers[t].joinable()) workers[t].join();
  return 0;
}

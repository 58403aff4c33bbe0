// embedding_bag (sum), one bag at a time: the bag's sum lives in zmm registers, the gathered rows
// are software-prefetched PF indices ahead.
//
// The baseline adds each row into out[b] in memory and waits on every random row: the table is
// far larger than the cache (256 MiB in training) and the rows are random, so each is a DRAM miss
// (~100 ns) that the hardware prefetcher cannot foresee; with ~10 rows in flight from the
// out-of-order window alone the core idles. Here:
//  * the accumulator is NV = ceil(D/16) zmm registers (D = 64: 4), loaded and stored once per bag;
//    the last vector is masked when D is not a multiple of 16, rows wider than 8 zmm are done in
//    chunks of 8 (re-walking the bag's indices, which are then in L1);
//  * every row step prefetches the row named PF indices later (all its cache lines), so PF rows'
//    misses overlap; indices are contiguous across bags, so the pipeline does not drain at bag
//    boundaries (empty bags cost nothing);
//  * ACC independent accumulator sets take alternate rows, halving the add dependency chain when
//    rows hit in cache (warm inference);
//  * THREADS=2 splits the bags where the index count halves (balanced work, not balanced bags),
//    doubling the misses in flight, once the gathered bytes (>= 4 MiB) pay for a thread start.
// fp32 sums in a different order than the double reference: within the allclose tolerance.
#include <algorithm>
#include <cstdint>
#include <thread>

#if defined(__AVX512F__)
#include <immintrin.h>
#define EB_AVX512 1
#else
#define EB_AVX512 0
#endif

#include "kevo_abi.h"

namespace {

struct Args {
  const float* weight;
  const int64_t* indices;
  const int64_t* offsets;
  float* out;
  int64_t dim, total;
};

inline void prefetchRow(const float* row, int64_t bytes) {
  for (int64_t o = 0; o < bytes; o += 64)
    __builtin_prefetch(reinterpret_cast<const char*>(row) + o, 0, 3);
}

#if EB_AVX512
// One chunk of NV vectors (the last one masked by `tail`) at column c0, for bags [b0, b1).
template <int NV>
void bagsChunk(const Args& a, int64_t b0, int64_t b1, int64_t c0, __mmask16 tail) {
  const int64_t dim = a.dim;
  const int64_t pfBytes = static_cast<int64_t>(NV) * 64;
  for (int64_t b = b0; b < b1; ++b) {
    __m512 acc[ACC][NV];
    for (int s = 0; s < ACC; ++s)
      for (int v = 0; v < NV; ++v) acc[s][v] = _mm512_setzero_ps();
    const int64_t t0 = a.offsets[b], t1 = a.offsets[b + 1];
    int64_t t = t0;
    for (; t + ACC <= t1; t += ACC) {
      for (int s = 0; s < ACC; ++s) {
        if (PF > 0) {
          const int64_t tp = t + s + PF;
          if (tp < a.total) prefetchRow(a.weight + a.indices[tp] * dim + c0, pfBytes);
        }
        const float* row = a.weight + a.indices[t + s] * dim + c0;
        for (int v = 0; v < NV - 1; ++v)
          acc[s][v] = _mm512_add_ps(acc[s][v], _mm512_loadu_ps(row + 16 * v));
        acc[s][NV - 1] = _mm512_add_ps(acc[s][NV - 1],
                                       _mm512_maskz_loadu_ps(tail, row + 16 * (NV - 1)));
      }
    }
    for (; t < t1; ++t) {
      if (PF > 0) {
        const int64_t tp = t + PF;
        if (tp < a.total) prefetchRow(a.weight + a.indices[tp] * dim + c0, pfBytes);
      }
      const float* row = a.weight + a.indices[t] * dim + c0;
      for (int v = 0; v < NV - 1; ++v)
        acc[0][v] = _mm512_add_ps(acc[0][v], _mm512_loadu_ps(row + 16 * v));
      acc[0][NV - 1] = _mm512_add_ps(acc[0][NV - 1],
                                     _mm512_maskz_loadu_ps(tail, row + 16 * (NV - 1)));
    }
    float* o = a.out + b * dim + c0;
    for (int v = 0; v < NV; ++v) {
      __m512 sum = acc[0][v];
      for (int s = 1; s < ACC; ++s) sum = _mm512_add_ps(sum, acc[s][v]);
      if (v < NV - 1)
        _mm512_storeu_ps(o + 16 * v, sum);
      else
        _mm512_mask_storeu_ps(o + 16 * v, tail, sum);
    }
  }
}

void bags(const Args& a, int64_t b0, int64_t b1) {
  // columns in chunks of up to 8 zmm (128 floats); the bag is re-walked per chunk
  for (int64_t c0 = 0; c0 < a.dim; c0 += 128) {
    const int64_t w = std::min<int64_t>(128, a.dim - c0);
    const int nv = static_cast<int>((w + 15) / 16);
    const int rem = static_cast<int>(w - 16 * (nv - 1));
    const __mmask16 tail = static_cast<__mmask16>((1u << rem) - 1);
    switch (nv) {
      case 1: bagsChunk<1>(a, b0, b1, c0, tail); break;
      case 2: bagsChunk<2>(a, b0, b1, c0, tail); break;
      case 3: bagsChunk<3>(a, b0, b1, c0, tail); break;
      case 4: bagsChunk<4>(a, b0, b1, c0, tail); break;
      case 5: bagsChunk<5>(a, b0, b1, c0, tail); break;
      case 6: bagsChunk<6>(a, b0, b1, c0, tail); break;
      case 7: bagsChunk<7>(a, b0, b1, c0, tail); break;
      default: bagsChunk<8>(a, b0, b1, c0, tail); break;
    }
  }
}
#else
// Portable: the same loop order, accumulating in the output row (the compiler vectorizes over d).
void bags(const Args& a, int64_t b0, int64_t b1) {
  const int64_t dim = a.dim;
  for (int64_t b = b0; b < b1; ++b) {
    float* __restrict o = a.out + b * dim;
    for (int64_t d = 0; d < dim; ++d) o[d] = 0.0f;
    for (int64_t t = a.offsets[b]; t < a.offsets[b + 1]; ++t) {
      if (PF > 0 && t + PF < a.total) prefetchRow(a.weight + a.indices[t + PF] * dim, dim * 4);
      const float* __restrict w = a.weight + a.indices[t] * dim;
      for (int64_t d = 0; d < dim; ++d) o[d] += w[d];
    }
  }
}
#endif

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 3 || n_outputs != 1) return 1;
  Args a;
  a.weight = static_cast<const float*>(inputs[0].data);
  a.indices = static_cast<const int64_t*>(inputs[1].data);
  a.offsets = static_cast<const int64_t*>(inputs[2].data);
  a.out = static_cast<float*>(outputs[0].data);
  a.dim = inputs[0].shape[1];
  a.total = inputs[1].shape[0];
  const int64_t nbags = inputs[2].shape[0] - 1;
  if (nbags <= 0 || a.dim <= 0) return 0;
  if (THREADS > 1 && a.total * a.dim * 4 >= (int64_t{4} << 20) && nbags >= 2) {
    // split where half of the indices are done: equal gather work per thread
    const int64_t* mid = std::lower_bound(a.offsets, a.offsets + nbags + 1, a.total / 2);
    const int64_t split = std::clamp<int64_t>(mid - a.offsets, 1, nbags - 1);
    std::thread worker([&] { bags(a, split, nbags); });
    bags(a, 0, split);
    worker.join();
  } else {
    bags(a, 0, nbags);
  }
  return 0;
}

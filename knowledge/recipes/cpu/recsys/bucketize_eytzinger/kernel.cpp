// bucketize as a branchless search over an Eytzinger (BFS-order) tree, 16 values per zmm.
//
// The baseline's binary search takes a mispredicted branch on about half of its log2(NB) steps
// per value. Here the boundaries, padded with +inf to 2^L - 1 keys (2^L > NB), are laid out once
// per call as a complete binary tree in BFS order t[1 .. 2^L-1]. Every value then takes exactly L
// steps with no branch:  k = 2k + (t[k] < v),  starting at k = 1. Because the tree is complete,
// the final k - 2^L is the in-order slot of v, i.e. the number of keys < v = lower_bound(v)
// (padding +inf is never < v; NaN compares false everywhere and lands on 0, as std::lower_bound).
// Comparisons only: bitwise equal to the reference.
//
// With AVX-512 (VEC=16) all 16 lanes advance together: the mask of t[k] < v is added to 2k. The
// top PERM levels (k < 2^PERM) are looked up with in-register permutes: levels 0-3 with one
// VPERMPS over t[0..15], level 4 one VPERMPS, level 5 one VPERMI2PS, level 6 two and a blend,
// level 7 four and three blends (see keyV); only the deeper levels need a VPGATHERDD, which costs
// about as much as 16 scalar loads on Zen 4 and is the expensive part. U independent vectors
// per iteration overlap the gathers' latency. VEC=1 is the scalar form of the same loop (the
// compiler turns the select into setcc/adc; U values interleaved for ILP).
// STREAM=1 writes outputs larger than 16 MiB with non-temporal stores; THREADS=2 splits the values
// once the call is long enough to pay for a thread start (~30 us).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#if defined(__AVX512F__) && VEC == 16
#include <immintrin.h>
#define BE_AVX512 1
#else
#define BE_AVX512 0
#endif

#include "kevo_abi.h"

namespace {

struct Tree {
  std::vector<float> t;  // t[1 .. 2^L - 1] in BFS order, at least 256 entries (t[0] unused)
  int levels = 0;        // L
};

// In-order fill of the BFS-indexed complete tree from the padded sorted keys.
void fill(Tree& tr, const float* b, int64_t nb) {
  const int64_t size = int64_t{1} << tr.levels;  // indices 1 .. size-1
  // iterative in-order walk: visit k = leftmost, then successor
  int64_t pos = 0;
  int64_t k = 1;
  while (2 * k < size) k *= 2;  // leftmost node
  for (int64_t visited = 0; visited < size - 1; ++visited) {
    tr.t[static_cast<size_t>(k)] = pos < nb ? b[pos] : INFINITY;
    ++pos;
    if (2 * k + 1 < size) {  // go to the leftmost node of the right subtree
      k = 2 * k + 1;
      while (2 * k < size) k *= 2;
    } else {  // climb while we are a right child
      while (k & 1) k >>= 1;
      k >>= 1;
    }
  }
}

void buildTree(const float* b, int64_t nb, Tree& tr) {
  int levels = 0;
  while ((int64_t{1} << levels) <= nb) ++levels;  // 2^L > nb, so 2^L - 1 >= nb keys
  tr.levels = levels;
  tr.t.assign(static_cast<size_t>(std::max<int64_t>(int64_t{1} << levels, 256) + 16), INFINITY);
  fill(tr, b, nb);
}

inline int32_t searchScalar(const float* t, int levels, float v) {
  uint32_t k = 1;
  for (int l = 0; l < levels; ++l) k = 2 * k + (t[k] < v ? 1u : 0u);
  return static_cast<int32_t>(k - (1u << levels));
}

[[maybe_unused]] void searchRangeScalar(const float* __restrict values, int32_t* __restrict out, int64_t n,
                       const Tree& tr) {
  const float* t = tr.t.data();
  const int levels = tr.levels;
  int64_t i = 0;
  for (; i + U <= n; i += U) {  // U independent searches interleaved level by level
    uint32_t k[U];
    float v[U];
    for (int u = 0; u < U; ++u) { k[u] = 1; v[u] = values[i + u]; }
    for (int l = 0; l < levels; ++l)
      for (int u = 0; u < U; ++u) k[u] = 2 * k[u] + (t[k[u]] < v[u] ? 1u : 0u);
    for (int u = 0; u < U; ++u) out[i + u] = static_cast<int32_t>(k[u] - (1u << levels));
  }
  for (; i < n; ++i) out[i] = searchScalar(t, levels, values[i]);
}

#if BE_AVX512
constexpr __mmask16 kAll = 0xffff;

// Key t[k] for the 16 lanes at tree level `level` (k in [2^level, 2^(level+1))). Level l of a
// BFS tree is the contiguous run t[2^l .. 2^(l+1)), so a level of 2^l keys is a 2^l-entry table
// indexed by the low l bits of k, which VPERMPS (16 entries) / VPERMI2PS (32 entries) read
// directly; 64 and 128 keys take 2 and 4 VPERMI2PS plus a blend tree on bits 5 and 6 of k.
inline __m512 keyV(__m512i k, int level, const float* t) {
  if (level < PERM) {
    if (level < 4) return _mm512_maskz_permutexvar_ps(kAll, k, _mm512_loadu_ps(t));
    if (level == 4) return _mm512_maskz_permutexvar_ps(kAll, k, _mm512_loadu_ps(t + 16));
    if (level == 5)
      return _mm512_permutex2var_ps(_mm512_loadu_ps(t + 32), k, _mm512_loadu_ps(t + 48));
    const __mmask16 b5 = _mm512_test_epi32_mask(k, _mm512_set1_epi32(32));
    const float* q = t + (1 << level);
    const __m512 p0 = _mm512_permutex2var_ps(_mm512_loadu_ps(q), k, _mm512_loadu_ps(q + 16));
    const __m512 p1 = _mm512_permutex2var_ps(_mm512_loadu_ps(q + 32), k, _mm512_loadu_ps(q + 48));
    const __m512 lo = _mm512_mask_blend_ps(b5, p0, p1);
    if (level == 6) return lo;
    const __m512 p2 = _mm512_permutex2var_ps(_mm512_loadu_ps(q + 64), k, _mm512_loadu_ps(q + 80));
    const __m512 p3 = _mm512_permutex2var_ps(_mm512_loadu_ps(q + 96), k, _mm512_loadu_ps(q + 112));
    const __m512 hi = _mm512_mask_blend_ps(b5, p2, p3);
    return _mm512_mask_blend_ps(_mm512_test_epi32_mask(k, _mm512_set1_epi32(64)), lo, hi);
  }
  return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), kAll, k, t, 4);
}

inline __m512i stepV(__m512i k, __m512 v, int level, const float* t) {
  const __m512 key = keyV(k, level, t);
  const __m512i k2 = _mm512_add_epi32(k, k);
  return _mm512_mask_sub_epi32(k2, _mm512_cmp_ps_mask(key, v, _CMP_LT_OQ), k2,
                               _mm512_set1_epi32(-1));
}

void searchRange(const float* __restrict values, int32_t* __restrict out, int64_t n,
                 const Tree& tr, bool stream) {
  const float* t = tr.t.data();
  const int levels = tr.levels;
  const __m512i leaf = _mm512_set1_epi32(1 << levels);
  auto one = [&](__m512 v) {
    __m512i k = _mm512_set1_epi32(1);
    for (int l = 0; l < levels; ++l) k = stepV(k, v, l, t);
    return _mm512_sub_epi32(k, leaf);
  };
  int64_t i = 0;
  if (stream) {  // align the output for streaming stores
    const int64_t mis = static_cast<int64_t>((reinterpret_cast<uintptr_t>(out) >> 2) & 15);
    const int64_t head = mis == 0 ? 0 : std::min<int64_t>(16 - mis, n);
    if (head > 0) {
      const __mmask16 m = static_cast<__mmask16>((1u << head) - 1);
      _mm512_mask_storeu_epi32(out, m, one(_mm512_maskz_loadu_ps(m, values)));
      i = head;
    }
  }
  for (; i + 16 * U <= n; i += 16 * U) {
    __m512 v[U];
    __m512i k[U];
    for (int u = 0; u < U; ++u) {
      v[u] = _mm512_loadu_ps(values + i + 16 * u);
      k[u] = _mm512_set1_epi32(1);
    }
    for (int l = 0; l < levels; ++l)  // level by level: U gathers in flight
      for (int u = 0; u < U; ++u) k[u] = stepV(k[u], v[u], l, t);
    for (int u = 0; u < U; ++u) {
      const __m512i r = _mm512_sub_epi32(k[u], leaf);
      if (stream)
        _mm512_stream_si512(reinterpret_cast<__m512i*>(out + i + 16 * u), r);
      else
        _mm512_storeu_si512(out + i + 16 * u, r);
    }
  }
  for (; i < n; i += 16) {
    const int64_t rest = std::min<int64_t>(16, n - i);
    const __mmask16 m = static_cast<__mmask16>((1u << rest) - 1);
    _mm512_mask_storeu_epi32(out + i, m, one(_mm512_maskz_loadu_ps(m, values + i)));
  }
  if (stream) _mm_sfence();
}
#else
void searchRange(const float* values, int32_t* out, int64_t n, const Tree& tr, bool) {
  searchRangeScalar(values, out, n, tr);
}
#endif

// Branchless lower_bound on the sorted array itself: for boundary counts too large for a tree copy.
inline int32_t lowerBound(const float* b, int64_t nb, float v) {
  const float* base = b;
  int64_t len = nb;
  while (len > 1) {
    const int64_t half = len / 2;
    base = base[half - 1] < v ? base + half : base;
    len -= half;
  }
  return static_cast<int32_t>((base - b) + (*base < v ? 1 : 0));
}

template <class F>
void split(int64_t n, int64_t minPerThread, F&& body) {
  if (THREADS > 1 && n >= 2 * minPerThread) {
    const int64_t half = (n / 2 + 15) & ~int64_t{15};  // split on a cache line of output
    std::thread worker([&] { body(half, n - half); });
    body(0, half);
    worker.join();
  } else {
    body(0, n);
  }
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* values = static_cast<const float*>(inputs[0].data);
  const float* bounds = static_cast<const float*>(inputs[1].data);
  int32_t* out = static_cast<int32_t*>(outputs[0].data);
  const int64_t n = inputs[0].shape[0], nb = inputs[1].shape[0];
  if (nb > INT32_MAX) return 2;
  if (nb == 0) {
    for (int64_t i = 0; i < n; ++i) out[i] = 0;
    return 0;
  }
  if (nb >= (int64_t{1} << 24)) {  // a tree copy would not pay: search the sorted array
    split(n, int64_t{1} << 16, [&](int64_t s, int64_t c) {
      for (int64_t i = s; i < s + c; ++i) out[i] = lowerBound(bounds, nb, values[i]);
    });
    return 0;
  }
  Tree tr;
  buildTree(bounds, nb, tr);
  const bool stream = STREAM != 0 && n * 4 > (int64_t{16} << 20);
  split(n, int64_t{1} << 16,
        [&](int64_t s, int64_t c) { searchRange(values + s, out + s, c, tr, stream); });
  return 0;
}

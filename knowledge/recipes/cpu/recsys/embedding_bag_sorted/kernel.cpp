// embedding_bag (sum), table-order gather: the (row, bag) pairs are bucketed by table region
// first, then the rows are read region by region and added into the bags' output rows.
//
// Why: the training table is 256 MiB of 4 KiB pages, so a random row is not only a DRAM miss but
// also a TLB miss, and inside a virtual machine each TLB miss is a two-dimensional page walk
// (guest and host tables) that costs more than the DRAM access itself; the page walkers, not the
// bandwidth, bound a bag-by-bag gather (~30 ns per row here, ~8 GB/s). Reordering the work by
// table address turns that into a near-sequential sweep:
//   1. each thread takes the bags of half of the indices (split where the index count halves)
//      and writes its (row, bag) pairs into 2^REGION-byte table regions with one counting-sort
//      pass (histogram + scatter over the indices, both streaming);
//   2. it zeroes its bags' output rows (they stay in L2/L3: 16384 x 256 B = 4 MiB in training)
//      and walks the pairs region by region: inside a region of 2^REGION bytes the rows are at
//      most a few hundred pages apart, so their translations stay in the L2 TLB, the DRAM pages
//      stay open, and software prefetch PF pairs ahead (row and output line) actually lands;
//   3. each pair adds its row into out[bag] (read-modify-write of a cached output row).
// The bucketing costs two passes over 8 bytes per index; it loses on small warm calls (use
// embedding_bag_rowgather there) and wins when the gathers miss the TLB.
// fp32 sums in a different order than the double reference: within the allclose tolerance.
// The pair buffer is a per-process workspace reused across calls (no per-call page faults).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#define ES_AVX512 1
#else
#define ES_AVX512 0
#endif

#include "kevo_abi.h"

namespace {

struct Pair {
  uint32_t row, bag;
};

struct Args {
  const float* weight;
  const int64_t* indices;
  const int64_t* offsets;
  float* out;
  int64_t rows, dim;
};

inline void addRow(float* __restrict o, const float* __restrict w, int64_t dim) {
#if ES_AVX512
  int64_t d = 0;
  for (; d + 16 <= dim; d += 16)
    _mm512_storeu_ps(o + d, _mm512_add_ps(_mm512_loadu_ps(o + d), _mm512_loadu_ps(w + d)));
  if (d < dim) {
    const __mmask16 m = static_cast<__mmask16>((1u << (dim - d)) - 1);
    _mm512_mask_storeu_ps(o + d, m,
                          _mm512_add_ps(_mm512_maskz_loadu_ps(m, o + d), _mm512_maskz_loadu_ps(m, w + d)));
  }
#else
  for (int64_t d = 0; d < dim; ++d) o[d] += w[d];
#endif
}

// Bags [b0, b1): their indices are t in [offsets[b0], offsets[b1]); `pairs` has room for them.
void bagsSorted(const Args& a, int64_t b0, int64_t b1, Pair* pairs) {
  const int64_t t0 = a.offsets[b0], t1 = a.offsets[b1];
  const int64_t n = t1 - t0;
  const int64_t dim = a.dim;
  for (int64_t b = b0; b < b1; ++b) std::memset(a.out + b * dim, 0, static_cast<size_t>(dim) * 4);
  if (n <= 0) return;
  // rows per region: 2^REGION bytes of table (at least one row)
  const int64_t rowBytes = dim * 4;
  int shift = 0;
  while ((rowBytes << (shift + 1)) <= (int64_t{1} << REGION)) ++shift;
  const int64_t buckets = ((a.rows - 1) >> shift) + 1;
  std::vector<int64_t> start(static_cast<size_t>(buckets) + 1, 0);
  for (int64_t t = t0; t < t1; ++t) ++start[static_cast<size_t>((a.indices[t] >> shift) + 1)];
  for (int64_t k = 0; k < buckets; ++k) start[static_cast<size_t>(k + 1)] += start[static_cast<size_t>(k)];
  for (int64_t b = b0; b < b1; ++b)
    for (int64_t t = a.offsets[b]; t < a.offsets[b + 1]; ++t) {
      const int64_t r = a.indices[t];
      pairs[start[static_cast<size_t>(r >> shift)]++] = Pair{static_cast<uint32_t>(r), static_cast<uint32_t>(b)};
    }
  for (int64_t e = 0; e < n; ++e) {
    if (PF > 0 && e + PF < n) {
      const Pair q = pairs[e + PF];
      const char* wp = reinterpret_cast<const char*>(a.weight + static_cast<int64_t>(q.row) * dim);
      const char* op = reinterpret_cast<const char*>(a.out + static_cast<int64_t>(q.bag) * dim);
      for (int64_t o = 0; o < rowBytes; o += 64) {
        __builtin_prefetch(wp + o, 0, 3);
        __builtin_prefetch(op + o, 1, 3);
      }
    }
    const Pair p = pairs[e];
    addRow(a.out + static_cast<int64_t>(p.bag) * dim, a.weight + static_cast<int64_t>(p.row) * dim, dim);
  }
}

// Reused across calls: the pair buffer (8 bytes per index) without fresh page faults each call.
std::vector<Pair>& workspace() {
  static std::vector<Pair> ws;
  return ws;
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 3 || n_outputs != 1) return 1;
  Args a;
  a.weight = static_cast<const float*>(inputs[0].data);
  a.indices = static_cast<const int64_t*>(inputs[1].data);
  a.offsets = static_cast<const int64_t*>(inputs[2].data);
  a.out = static_cast<float*>(outputs[0].data);
  a.rows = inputs[0].shape[0];
  a.dim = inputs[0].shape[1];
  const int64_t total = inputs[1].shape[0];
  const int64_t nbags = inputs[2].shape[0] - 1;
  if (nbags <= 0 || a.dim <= 0) return 0;
  if (a.rows > (int64_t{1} << 32) || nbags > (int64_t{1} << 32)) {  // Pair is 32+32 bits
    for (int64_t b = 0; b < nbags; ++b) {  // plain bag-by-bag sum for such giant tables
      float* o = a.out + b * a.dim;
      for (int64_t d = 0; d < a.dim; ++d) o[d] = 0.0f;
      for (int64_t t = a.offsets[b]; t < a.offsets[b + 1]; ++t) addRow(o, a.weight + a.indices[t] * a.dim, a.dim);
    }
    return 0;
  }
  std::vector<Pair>& ws = workspace();
  if (static_cast<int64_t>(ws.size()) < total) ws.resize(static_cast<size_t>(total));
  if (THREADS > 1 && total * a.dim * 4 >= (int64_t{4} << 20) && nbags >= 2) {
    const int64_t* mid = std::lower_bound(a.offsets, a.offsets + nbags + 1, total / 2);
    const int64_t split = std::clamp<int64_t>(mid - a.offsets, 1, nbags - 1);
    Pair* second = ws.data() + a.offsets[split];
    std::thread worker([&] { bagsSorted(a, split, nbags, second); });
    bagsSorted(a, 0, split, ws.data());
    worker.join();
  } else {
    bagsSorted(a, 0, nbags, ws.data());
  }
  return 0;
}

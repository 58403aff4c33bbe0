// dlrm_interaction as register-tiled dot products over D, reduced 16 at a time by a transpose
// tree.
//
// The baseline computes each of the F(F-1)/2 = 351 dot products (length D = 128) as one
// sequential fp32 chain: 128 dependent adds of 3-4 cycles each, ~250 ms for the training set.
// Here, per sample, the pairs are covered by RI x RJ tiles (rows i0..i0+RI-1 against rows
// j0..j0+RJ-1): for every 16-float chunk of D the tile loads RI + RJ vectors and issues RI*RJ
// independent FMAs into RI*RJ zmm accumulators (no dependency chain longer than D/16 = 8, and
// (RI+RJ)/(RI*RJ) loads per FMA). The tile's RI*RJ <= 16 accumulators are then summed
// horizontally all together: 4 levels of shuffle+add (512->256->128->64->32-bit halves) turn 16
// vectors into one vector of 16 dot products, ~2 shuffles and 1 add per dot instead of ~8 for a
// separate reduction each; one permute + masked store writes each tile row's run of outputs. Tiles straddling the diagonal compute a few unused pairs (j >= i),
// which are simply not stored (~25% extra FMAs at F = 27 for 4x4). A D that is not a multiple of
// 16 uses a masked last chunk; rows past F-1 in the last tile read row 0 and are discarded.
// PF samples ahead, the next sample's feature block (F*D*4 = 13.5 KiB) is software-prefetched a
// few lines per tile, so the cold training input streams in while this sample computes.
// THREADS=2 splits the samples once the call has enough work (>= 2^23 multiply-adds).
// Sums are reassociated (lanes, then the tree): within the problem's allclose tolerance.
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#define DL_AVX512 1
#else
#define DL_AVX512 0
#endif

#include "kevo_abi.h"

namespace {

struct Tile {
  int32_t i0, j0;
};

struct Plan {
  int64_t nf, dim, pairs;
  std::vector<Tile> tiles;
};

Plan makePlan(int64_t nf, int64_t dim) {
  Plan p;
  p.nf = nf;
  p.dim = dim;
  p.pairs = nf * (nf - 1) / 2;
  for (int64_t i0 = 1; i0 < nf; i0 += RI)
    for (int64_t j0 = 0; j0 < std::min(i0 + RI - 1, nf - 1); j0 += RJ)
      p.tiles.push_back(Tile{static_cast<int32_t>(i0), static_cast<int32_t>(j0)});
  return p;
}

#if DL_AVX512
constexpr __mmask16 kAll = 0xffff;

// 16 vectors -> one vector whose lane L holds the sum of the lanes of r[perm(L)].
inline __m512 reduce16(__m512 r[16]) {
  __m512 s8[8], s4[4], s2[2];
  for (int k = 0; k < 8; ++k) {  // 256-bit halves: lanes 0-7 from r[2k], 8-15 from r[2k+1]
    const __m512 a = _mm512_maskz_shuffle_f32x4(kAll, r[2 * k], r[2 * k + 1], 0x44);
    const __m512 b = _mm512_maskz_shuffle_f32x4(kAll, r[2 * k], r[2 * k + 1], 0xEE);
    s8[k] = _mm512_add_ps(a, b);
  }
  for (int k = 0; k < 4; ++k) {  // 128-bit quarters
    const __m512 a = _mm512_maskz_shuffle_f32x4(kAll, s8[2 * k], s8[2 * k + 1], 0x88);
    const __m512 b = _mm512_maskz_shuffle_f32x4(kAll, s8[2 * k], s8[2 * k + 1], 0xDD);
    s4[k] = _mm512_add_ps(a, b);
  }
  for (int k = 0; k < 2; ++k) {  // 64-bit pairs inside each 128-bit lane
    const __m512 a = _mm512_maskz_shuffle_ps(kAll, s4[2 * k], s4[2 * k + 1], 0x44);
    const __m512 b = _mm512_maskz_shuffle_ps(kAll, s4[2 * k], s4[2 * k + 1], 0xEE);
    s2[k] = _mm512_add_ps(a, b);
  }
  const __m512 a = _mm512_maskz_shuffle_ps(kAll, s2[0], s2[1], 0x88);
  const __m512 b = _mm512_maskz_shuffle_ps(kAll, s2[0], s2[1], 0xDD);
  return _mm512_add_ps(a, b);
}

// Where reduce16 puts each accumulator, found once by reducing r[k] = k; rowIdx[a] is the
// permutation that brings accumulators a*RJ .. a*RJ+RJ-1 (tile row a) to lanes 0 .. RJ-1.
struct LaneMap {
  __m512i rowIdx[RI];
  LaneMap() {
    __m512 r[16];
    for (int k = 0; k < 16; ++k) r[k] = _mm512_set1_ps(static_cast<float>(k));
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, reduce16(r));
    int32_t laneOf[16] = {};
    for (int l = 0; l < 16; ++l) laneOf[static_cast<int>(lanes[l] / 16.0f + 0.5f) & 15] = l;
    for (int a = 0; a < RI; ++a) {
      alignas(64) int32_t idx[16];
      for (int l = 0; l < 16; ++l) idx[l] = laneOf[(a * RJ + l) & 15];
      rowIdx[a] = _mm512_load_si512(idx);
    }
  }
};

void samples(const Plan& p, const float* feat, float* out, int64_t s0, int64_t s1,
             const LaneMap& map) {
  const int64_t nf = p.nf, dim = p.dim;
  const int64_t chunks = (dim + 15) / 16;
  const __mmask16 tail = static_cast<__mmask16>((1u << (dim - 16 * (chunks - 1))) - 1);
  const int64_t sampleFloats = nf * dim;
  const int64_t ntiles = static_cast<int64_t>(p.tiles.size());
  const int64_t linesPerTile = (sampleFloats * 4 / 64 + ntiles - 1) / std::max<int64_t>(ntiles, 1);
  for (int64_t s = s0; s < s1; ++s) {
    const float* f = feat + s * sampleFloats;
    float* o = out + s * p.pairs;
    const bool pf = PF > 0 && s + PF < s1;
    const char* next = reinterpret_cast<const char*>(pf ? f + PF * sampleFloats : f);
    for (int64_t t = 0; t < ntiles; ++t) {
      if (pf)
        for (int64_t l = 0; l < linesPerTile; ++l) {
          const int64_t line = t * linesPerTile + l;
          if (line * 64 < sampleFloats * 4) __builtin_prefetch(next + line * 64, 0, 3);
        }
      const Tile tl = p.tiles[static_cast<size_t>(t)];
      const float* ri[RI];
      const float* rj[RJ];
      for (int a = 0; a < RI; ++a) ri[a] = f + (tl.i0 + a < nf ? tl.i0 + a : 0) * dim;
      for (int c = 0; c < RJ; ++c) rj[c] = f + (tl.j0 + c < nf ? tl.j0 + c : 0) * dim;
      __m512 acc[16];
      for (int k = 0; k < 16; ++k) acc[k] = _mm512_setzero_ps();
      int64_t d = 0;
      for (int64_t ch = 0; ch < chunks; ++ch, d += 16) {
        const __mmask16 m = ch + 1 < chunks ? kAll : tail;
        __m512 xj[RJ];
        for (int c = 0; c < RJ; ++c) xj[c] = _mm512_maskz_loadu_ps(m, rj[c] + d);
        for (int a = 0; a < RI; ++a) {
          const __m512 xi = _mm512_maskz_loadu_ps(m, ri[a] + d);
          for (int c = 0; c < RJ; ++c) acc[a * RJ + c] = _mm512_fmadd_ps(xi, xj[c], acc[a * RJ + c]);
        }
      }
      const __m512 dots = reduce16(acc);
      // row a of the tile: pairs (i0+a, j0 .. min(j0+RJ, i0+a)-1), contiguous in the output
      for (int a = 0; a < RI; ++a) {
        const int64_t i = tl.i0 + a;
        if (i >= nf) break;
        const int64_t cnt = std::min<int64_t>(tl.j0 + RJ, i) - tl.j0;
        if (cnt <= 0) continue;
        float* dst = o + i * (i - 1) / 2 + tl.j0;
        const __m512 row = _mm512_maskz_permutexvar_ps(kAll, map.rowIdx[a], dots);
        if ((reinterpret_cast<uintptr_t>(dst) & 4095) + 64 <= 4096) {
          _mm512_mask_storeu_ps(dst, static_cast<__mmask16>((1u << cnt) - 1), row);
        } else {  // dead lanes would reach the next page (maybe unmapped: a slow assist)
          alignas(64) float tmp[16];
          _mm512_store_ps(tmp, row);
          for (int64_t c = 0; c < cnt; ++c) dst[c] = tmp[c];
        }
      }
    }
  }
}
#else
void samples(const Plan& p, const float* feat, float* out, int64_t s0, int64_t s1, int) {
  const int64_t nf = p.nf, dim = p.dim;
  for (int64_t s = s0; s < s1; ++s) {
    const float* f = feat + s * nf * dim;
    float* o = out + s * p.pairs;
    for (int64_t i = 1; i < nf; ++i)
      for (int64_t j = 0; j < i; ++j) {
        float acc[16] = {};
        int64_t d = 0;
        for (; d + 16 <= dim; d += 16)
          for (int k = 0; k < 16; ++k) acc[k] += f[i * dim + d + k] * f[j * dim + d + k];
        float sum = 0.0f;
        for (; d < dim; ++d) sum += f[i * dim + d] * f[j * dim + d];
        for (int k = 0; k < 16; ++k) sum += acc[k];
        o[i * (i - 1) / 2 + j] = sum;
      }
  }
}
#endif

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* feat = static_cast<const float*>(inputs[0].data);
  float* out = static_cast<float*>(outputs[0].data);
  const int64_t batch = inputs[0].shape[0], nf = inputs[0].shape[1], dim = inputs[0].shape[2];
  if (batch <= 0 || nf < 2) return 0;
  const Plan p = makePlan(nf, dim);
  if (dim <= 0) {
    for (int64_t k = 0; k < batch * p.pairs; ++k) out[k] = 0.0f;
    return 0;
  }
#if DL_AVX512
  const LaneMap map;
#else
  const int map = 0;
#endif
  if (THREADS > 1 && batch >= 2 && batch * p.pairs * dim >= (int64_t{1} << 23)) {
    const int64_t half = batch / 2;
    std::thread worker([&] { samples(p, feat, out, half, batch, map); });
    samples(p, feat, out, 0, half, map);
    worker.join();
  } else {
    samples(p, feat, out, 0, batch, map);
  }
  return 0;
}

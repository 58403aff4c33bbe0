// dlrm_interaction as a small per-sample GEMM Z = X X^T (X = features[b], F x D), computed only
// for the j-vectors that hold strictly-lower-triangle entries, with MR x NR register blocking.
//
// Vectorizing over the output column j instead of over d removes every horizontal reduction:
// Z[i, j:j+VEC] = sum_d X[i, d] * Xt[d, j:j+VEC]. Per sample, X is first transposed into
// Xt (D x FP, FP = F rounded up to VEC, padding columns zero) with in-register 16x16 (zmm) or
// 8x8 (ymm) transposes, ~4 shuffles per element block row; Xt (16 KiB for D = 128) stays in L1.
// Then MR consecutive rows i against NR j-vectors form a register tile of MR*NR accumulators:
// each d costs NR vector loads of Xt, MR broadcasts of X[i, d] (memory-operand broadcasts) and
// MR*NR independent FMAs, so the FMA pipes, not loads or latency, set the pace. Only the
// j-vectors with some j < i are computed (about 1.3x the useful work at VEC = 8, 1.6x at 16,
// against 2x for the full Gram matrix), and each row's valid lanes are written with one masked
// store, straight into the packed row-major triangle. VEC = 8 wastes less on the triangle; Zen 4
// runs two 256-bit FMAs per cycle either way.
// PF samples ahead, the next sample's features are software-prefetched a few lines per tile;
// THREADS=2 splits the samples once there are >= 2^23 multiply-adds.
// fp32 sums in another order than the double reference: within the allclose tolerance.
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#if defined(__AVX512F__) && defined(__AVX512VL__)
#include <immintrin.h>
#define DG_AVX512 1
#else
#define DG_AVX512 0
#endif

#include "kevo_abi.h"

namespace {

#if DG_AVX512
constexpr __mmask16 kAll = 0xffff;

#if VEC == 16
typedef __m512 vec;
inline vec zeroV() { return _mm512_setzero_ps(); }
inline vec loadV(const float* p) { return _mm512_loadu_ps(p); }
inline vec bcastV(const float* p) { return _mm512_set1_ps(*p); }
inline vec fmaV(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
inline void maskStoreV(float* p, uint32_t m, vec x) { _mm512_mask_storeu_ps(p, static_cast<__mmask16>(m), x); }
inline void storeV(float* p, vec x) { _mm512_storeu_ps(p, x); }

// In-place transpose of 16 zmm rows.
inline void transpose(vec r[16]) {
  vec t[16];
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_maskz_unpacklo_ps(kAll, r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_maskz_unpackhi_ps(kAll, r[2 * k], r[2 * k + 1]);
  }
  for (int k = 0; k < 4; ++k) {
    r[4 * k + 0] = _mm512_maskz_shuffle_ps(kAll, t[4 * k + 0], t[4 * k + 2], 0x44);
    r[4 * k + 1] = _mm512_maskz_shuffle_ps(kAll, t[4 * k + 0], t[4 * k + 2], 0xEE);
    r[4 * k + 2] = _mm512_maskz_shuffle_ps(kAll, t[4 * k + 1], t[4 * k + 3], 0x44);
    r[4 * k + 3] = _mm512_maskz_shuffle_ps(kAll, t[4 * k + 1], t[4 * k + 3], 0xEE);
  }
  for (int h = 0; h < 2; ++h)
    for (int k = 0; k < 4; ++k) {
      t[8 * h + k] = _mm512_maskz_shuffle_f32x4(kAll, r[8 * h + k], r[8 * h + 4 + k], 0x88);
      t[8 * h + 4 + k] = _mm512_maskz_shuffle_f32x4(kAll, r[8 * h + k], r[8 * h + 4 + k], 0xDD);
    }
  for (int k = 0; k < 8; ++k) {
    r[k] = _mm512_maskz_shuffle_f32x4(kAll, t[k], t[8 + k], 0x88);
    r[8 + k] = _mm512_maskz_shuffle_f32x4(kAll, t[k], t[8 + k], 0xDD);
  }
}
#else
typedef __m256 vec;
inline vec zeroV() { return _mm256_setzero_ps(); }
inline vec loadV(const float* p) { return _mm256_loadu_ps(p); }
inline vec bcastV(const float* p) { return _mm256_broadcast_ss(p); }
inline vec fmaV(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
inline void maskStoreV(float* p, uint32_t m, vec x) { _mm256_mask_storeu_ps(p, static_cast<__mmask8>(m), x); }
inline void storeV(float* p, vec x) { _mm256_storeu_ps(p, x); }

// In-place transpose of 8 ymm rows.
inline void transpose(vec r[8]) {
  vec t[8];
  for (int k = 0; k < 4; ++k) {
    t[2 * k] = _mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
  }
  for (int k = 0; k < 2; ++k) {
    r[4 * k + 0] = _mm256_shuffle_ps(t[4 * k + 0], t[4 * k + 2], 0x44);
    r[4 * k + 1] = _mm256_shuffle_ps(t[4 * k + 0], t[4 * k + 2], 0xEE);
    r[4 * k + 2] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
    r[4 * k + 3] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
  }
  for (int k = 0; k < 4; ++k) {
    t[k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x20);
    t[4 + k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x31);
  }
  for (int k = 0; k < 8; ++k) r[k] = t[k];
}
#endif

inline uint32_t laneMask(int64_t k) {
  const int64_t c = k < 0 ? 0 : (k > VEC ? VEC : k);
  return static_cast<uint32_t>((uint64_t{1} << c) - 1);
}

// Xt[d * fp + i] = X[i * dim + d] for i < nf, 0 for nf <= i < fp.
void transposeSample(const float* x, int64_t nf, int64_t dim, int64_t fp, float* xt) {
  for (int64_t i0 = 0; i0 < fp; i0 += VEC)
    for (int64_t d0 = 0; d0 < dim; d0 += VEC) {
      const uint32_t m = laneMask(dim - d0);
      vec r[VEC];
      for (int k = 0; k < VEC; ++k) {
        const int64_t i = i0 + k;
#if VEC == 16
        r[k] = i < nf ? _mm512_maskz_loadu_ps(static_cast<__mmask16>(m), x + i * dim + d0) : zeroV();
#else
        r[k] = i < nf ? _mm256_maskz_loadu_ps(static_cast<__mmask8>(m), x + i * dim + d0) : zeroV();
#endif
      }
      transpose(r);
      const int64_t rows = std::min<int64_t>(VEC, dim - d0);
      for (int64_t k = 0; k < rows; ++k) storeV(xt + (d0 + k) * fp + i0, r[k]);
    }
}

// Rows i0 .. i0+mr-1 (mr <= MR, rows < nf) against j-vectors jb0 .. jb0+NRC-1.
template <int NRC>
inline void tile(const float* x, const float* xt, int64_t dim, int64_t fp, int64_t i0, int64_t mr,
                 int64_t jb0, float* o, const float* outEnd) {
  vec acc[MR][NRC];
#pragma GCC unroll 16
  for (int a = 0; a < MR; ++a)
#pragma GCC unroll 16
    for (int c = 0; c < NRC; ++c) acc[a][c] = zeroV();
  const float* xr[MR];
#pragma GCC unroll 16
  for (int a = 0; a < MR; ++a) xr[a] = x + (a < mr ? i0 + a : i0) * dim;
  const float* bt = xt + jb0 * VEC;
  for (int64_t d = 0; d < dim; ++d) {
    vec b[NRC];
#pragma GCC unroll 16
    for (int c = 0; c < NRC; ++c) b[c] = loadV(bt + d * fp + c * VEC);
#pragma GCC unroll 16
    for (int a = 0; a < MR; ++a) {
      const vec xa = bcastV(xr[a] + d);
#pragma GCC unroll 16
      for (int c = 0; c < NRC; ++c) acc[a][c] = fmaV(xa, b[c], acc[a][c]);
    }
  }
  // Park the tile in an L1 buffer first: the accumulators are then only ever used with constant
  // indices. (GCC 12 gives a register array it cannot fully scalarize a stack home that it
  // stores on every iteration of the d loop; the unroll pragmas above and this buffer keep the
  // MR*NR accumulators in registers.)
  alignas(64) float z[MR][NRC][VEC];
#pragma GCC unroll 16
  for (int a = 0; a < MR; ++a)
#pragma GCC unroll 16
    for (int c = 0; c < NRC; ++c) storeV(z[a][c], acc[a][c]);
  for (int a = 0; a < mr; ++a) {
    const int64_t i = i0 + a;
    float* orow = o + i * (i - 1) / 2;
    for (int c = 0; c < NRC; ++c) {
      const int64_t j = (jb0 + c) * VEC;
      const int64_t cnt = i - j;  // valid lanes: j .. i-1
      if (cnt <= 0) break;
      float* dst = orow + j;
      const vec v = loadV(z[a][c]);
      if (cnt >= VEC) {
        storeV(dst, v);
      } else if (dst + VEC <= outEnd) {
        maskStoreV(dst, laneMask(cnt), v);
      } else {  // dead lanes past the end of the output could touch an unmapped page
        for (int64_t k = 0; k < cnt; ++k) dst[k] = z[a][c][k];
      }
    }
  }
}

void samples(const float* feat, float* out, int64_t nf, int64_t dim, int64_t s0, int64_t s1,
             const float* outEnd) {
  const int64_t fp = (nf + VEC - 1) / VEC * VEC;
  const int64_t pairs = nf * (nf - 1) / 2;
  const int64_t sampleFloats = nf * dim;
  const int64_t sampleLines = (sampleFloats * 4 + 63) / 64;
  std::vector<float> xtBuf(static_cast<size_t>(fp * dim + 16));
  float* xt = xtBuf.data();
  const int64_t iBlocks = (nf - 1 + MR - 1) / MR;
  const int64_t linesPerBlock = (sampleLines + iBlocks - 1) / std::max<int64_t>(iBlocks, 1);
  for (int64_t s = s0; s < s1; ++s) {
    const float* x = feat + s * sampleFloats;
    float* o = out + s * pairs;
    transposeSample(x, nf, dim, fp, xt);
    const bool pf = PF > 0 && s + PF < s1;
    const char* next = reinterpret_cast<const char*>(pf ? x + PF * sampleFloats : x);
    int64_t blk = 0;
    for (int64_t i0 = 1; i0 < nf; i0 += MR, ++blk) {
      if (pf)
        for (int64_t l = blk * linesPerBlock; l < std::min(sampleLines, (blk + 1) * linesPerBlock); ++l)
          __builtin_prefetch(next + l * 64, 0, 3);
      const int64_t mr = std::min<int64_t>(MR, nf - i0);
      const int64_t jbEnd = (i0 + mr - 2) / VEC + 1;  // j-vectors holding some j < i0+mr-1
      int64_t jb = 0;
      for (; jb + NR <= jbEnd; jb += NR) tile<NR>(x, xt, dim, fp, i0, mr, jb, o, outEnd);
      switch (jbEnd - jb) {
        case 1: tile<1>(x, xt, dim, fp, i0, mr, jb, o, outEnd); break;
        case 2: tile<(NR > 2 ? 2 : 1)>(x, xt, dim, fp, i0, mr, jb, o, outEnd); break;
        case 3: tile<(NR > 3 ? 3 : 1)>(x, xt, dim, fp, i0, mr, jb, o, outEnd); break;
        default: break;
      }
    }
  }
}
#else
void samples(const float* feat, float* out, int64_t nf, int64_t dim, int64_t s0, int64_t s1,
             const float*) {
  const int64_t pairs = nf * (nf - 1) / 2;
  for (int64_t s = s0; s < s1; ++s) {
    const float* f = feat + s * nf * dim;
    float* o = out + s * pairs;
    for (int64_t i = 1; i < nf; ++i)
      for (int64_t j = 0; j < i; ++j) {
        float acc[8] = {};
        int64_t d = 0;
        for (; d + 8 <= dim; d += 8)
          for (int k = 0; k < 8; ++k) acc[k] += f[i * dim + d + k] * f[j * dim + d + k];
        float sum = 0.0f;
        for (; d < dim; ++d) sum += f[i * dim + d] * f[j * dim + d];
        for (int k = 0; k < 8; ++k) sum += acc[k];
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
  const int64_t pairs = nf * (nf - 1) / 2;
  if (dim <= 0) {
    for (int64_t k = 0; k < batch * pairs; ++k) out[k] = 0.0f;
    return 0;
  }
  const float* outEnd = out + batch * pairs;
  if (THREADS > 1 && batch >= 2 && batch * pairs * dim >= (int64_t{1} << 23)) {
    const int64_t half = batch / 2;
    std::thread worker([&] { samples(feat, out, nf, dim, half, batch, outEnd); });
    samples(feat, out, nf, dim, 0, half, outEnd);
    worker.join();
  } else {
    samples(feat, out, nf, dim, 0, batch, outEnd);
  }
  return 0;
}

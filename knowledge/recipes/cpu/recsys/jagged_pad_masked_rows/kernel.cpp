// jagged_pad as one branch-free pass of zero-masked vector loads: every output vector is one
// masked load + one store, whatever mix of copy and padding it holds.
//
// out[b, j] = values[off[b] + j] for j < n_b = min(len_b, max_len), else 0. The vector at column
// j of row b takes its lanes below n_b - j from a zero-masked load (BZHI of the clamped count;
// masked-off lanes are not read) and 0 elsewhere. Every row runs the same max_len / VEC
// iterations, so no branch depends on the segment lengths: the baseline's memcpy + memset (and a
// copy-then-fill loop) mispredict once or twice per row on the random lengths, which is most of
// the time of the small inference call (~15 cycles per mispredict vs ~1 per stored vector).
// Values past max_len are never read; rows near the end of `values` take a careful path so a
// masked load never reaches an unmapped page.
// The cold training output (B*max_len*4 = 128 MiB) dominates the traffic: STREAM=1 writes it with
// non-temporal stores when it exceeds 16 MiB and the rows are 64-byte aligned, which drops the
// read-for-ownership of each output line (~1/3 of the DRAM traffic); warm outputs keep normal
// stores so they stay in cache. THREADS=2 splits the rows in halves once the output is large
// enough (>= 2 MiB) to pay for a thread start, giving two cores' worth of outstanding misses.
// A pure copy: bitwise equal to the reference.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>

#if defined(__AVX512F__) && defined(__AVX512VL__)
#include <immintrin.h>
#define JP_AVX512 1
#else
#define JP_AVX512 0
#endif

#include "kevo_abi.h"

namespace {

#if JP_AVX512
// Lanes [0, clamp(k, 0, VEC)) set.
inline uint32_t laneMask(int64_t k) {
  const int64_t c = k < 0 ? 0 : (k > VEC ? VEC : k);
  return static_cast<uint32_t>((uint64_t{1} << c) - 1);
}

#if VEC == 16
typedef __m512 vec;
inline vec loadV(const float* p) { return _mm512_loadu_ps(p); }
inline vec zeroV() { return _mm512_setzero_ps(); }
inline vec maskLoadV(uint32_t m, const float* p) { return _mm512_maskz_loadu_ps(static_cast<__mmask16>(m), p); }
inline void maskStoreV(float* p, uint32_t m, vec x) { _mm512_mask_storeu_ps(p, static_cast<__mmask16>(m), x); }
template <bool Stream> inline void storeV(float* p, vec x) {
  if (Stream) _mm512_stream_ps(p, x); else _mm512_storeu_ps(p, x);
}
#else
typedef __m256 vec;
inline vec loadV(const float* p) { return _mm256_loadu_ps(p); }
inline vec zeroV() { return _mm256_setzero_ps(); }
inline vec maskLoadV(uint32_t m, const float* p) { return _mm256_maskz_loadu_ps(static_cast<__mmask8>(m), p); }
inline void maskStoreV(float* p, uint32_t m, vec x) { _mm256_mask_storeu_ps(p, static_cast<__mmask8>(m), x); }
template <bool Stream> inline void storeV(float* p, vec x) {
  if (Stream) _mm256_stream_ps(p, x); else _mm256_storeu_ps(p, x);
}
#endif

// One output vector: the first clamp(k, 0, VEC) floats at p, zeros after, from one zero-masked
// load. The mask comes from BZHI on the clamped count: no branch.
template <bool Stream>
inline void putV(float* dst, const float* p, int64_t k) {
  const int64_t c = k < 0 ? 0 : (k > VEC ? VEC : k);
  const uint32_t m = _bzhi_u32(0xffffffffu, static_cast<uint32_t>(c));
  storeV<Stream>(dst, maskLoadV(m, p));
}

// The same for rows near the end of `values`, where the dead lanes of a masked load could reach
// an unmapped page (a fault-suppression assist costs hundreds of cycles on Zen): lanes past the
// segment are never loaded from beyond a page that holds live data.
inline vec safeV(const float* p, int64_t k) {
  if (k <= 0) return zeroV();
  if (k >= VEC) return loadV(p);
  if ((reinterpret_cast<uintptr_t>(p) & 4095) + VEC * sizeof(float) <= 4096)
    return maskLoadV(laneMask(k), p);
  alignas(64) float tmp[VEC] = {};
  for (int64_t i = 0; i < k; ++i) tmp[i] = p[i];
  return loadV(tmp);
}

template <bool Stream>
void padRows(const float* values, const int64_t* offsets, float* out, int64_t b0, int64_t b1,
             int64_t maxLen, const float* end) {
  const int64_t full = maxLen / VEC * VEC;
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t len = std::max<int64_t>(0, offsets[b + 1] - offsets[b]);
    const int64_t n = std::min(len, maxLen);
    const float* src = values + offsets[b];
    float* row = out + b * maxLen;
    int64_t j = 0;
    if (src + full <= end) {
      // every address src .. src+full is inside `values`: masked loads (even all-dead ones)
      // are plain loads. Trip count = max_len / VEC for every row: perfectly predicted.
      for (; j + U * VEC <= full; j += U * VEC)
        for (int u = 0; u < U; ++u)
          putV<Stream>(row + j + u * VEC, src + j + u * VEC, n - j - u * VEC);
      for (; j < full; j += VEC) putV<Stream>(row + j, src + j, n - j);
    } else {
      for (; j < full; j += VEC) storeV<Stream>(row + j, safeV(src + j, n - j));
    }
    if (j < maxLen)  // row tail when max_len is not a multiple of VEC: masked store
      maskStoreV(row + j, laneMask(maxLen - j), safeV(src + j, n - j));
  }
  if (Stream) _mm_sfence();
}
#endif

void padRange(const float* values, const int64_t* offsets, float* out, int64_t b0, int64_t b1,
              int64_t maxLen, bool stream, const float* end) {
#if JP_AVX512
  if (stream)
    padRows<true>(values, offsets, out, b0, b1, maxLen, end);
  else
    padRows<false>(values, offsets, out, b0, b1, maxLen, end);
#else
  (void)stream;
  (void)end;
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t len = std::max<int64_t>(0, offsets[b + 1] - offsets[b]);
    const int64_t n = std::min(len, maxLen);
    float* row = out + b * maxLen;
    std::memcpy(row, values + offsets[b], static_cast<size_t>(n) * sizeof(float));
    std::memset(row + n, 0, static_cast<size_t>(maxLen - n) * sizeof(float));
  }
#endif
}

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar* scalars, int32_t n_scalars,
                           void*) {
  if (n_inputs != 2 || n_outputs != 1 || n_scalars != 1) return 1;
  const float* values = static_cast<const float*>(inputs[0].data);
  const int64_t* offsets = static_cast<const int64_t*>(inputs[1].data);
  float* out = static_cast<float*>(outputs[0].data);
  const int64_t batch = inputs[1].shape[0] - 1;
  const int64_t maxLen = scalars[0].i;
  if (batch <= 0 || maxLen <= 0) return 0;
  const int64_t bytes = batch * maxLen * 4;
  const float* end = values + inputs[0].shape[0];
  // Streaming needs 64-byte-aligned rows; it only pays when the output would not stay cached.
  const bool stream = STREAM != 0 && bytes > (int64_t{16} << 20) && (maxLen % 16) == 0 &&
                      (reinterpret_cast<uintptr_t>(out) & 63) == 0;
  if (THREADS > 1 && bytes >= (int64_t{2} << 20) && batch >= 2) {
    const int64_t half = batch / 2;
    std::thread worker([&] { padRange(values, offsets, out, half, batch, maxLen, stream, end); });
    padRange(values, offsets, out, 0, half, maxLen, stream, end);
    worker.join();
  } else {
    padRange(values, offsets, out, 0, batch, maxLen, stream, end);
  }
  return 0;
}

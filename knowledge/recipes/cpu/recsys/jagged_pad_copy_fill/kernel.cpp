// jagged_pad as copy-then-fill per row with explicit AVX-512 loops: every output vector is
// written exactly once by one store, with no scalar tails.
//
// out[b, j] = values[off[b] + j] for j < n_b = min(len_b, max_len), else 0. Per row: whole
// vectors of values are copied with plain loads, the one vector that holds both the last values
// and the first zeros comes from a single zero-masked load (lanes below n_b - j; masked-off lanes
// are not read), and the rest of the row is stores of a zero register (no loads at all). Values
// past max_len are never read. A masked load is kept away from page crossings (see boundaryV).
// The copy loop's trip count follows each segment's length, so it costs a branch mispredict or
// two per row; in exchange the long rows pay nothing per vector beyond a load and a store
// (compare jagged_pad_masked_rows, which is branch-free with a mask per vector).
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

// The first k (1..VEC-1) floats at p, zeros after. Masked-off lanes never fault, but a masked
// load whose dead lanes reach into an unmapped page takes a microcode assist (hundreds of
// cycles on Zen): when the vector crosses a page boundary the live lanes are copied apart.
inline vec boundaryV(const float* p, int64_t k) {
  if ((reinterpret_cast<uintptr_t>(p) & 4095) + VEC * sizeof(float) <= 4096)
    return maskLoadV(laneMask(k), p);
  alignas(64) float tmp[VEC] = {};
  for (int64_t i = 0; i < k; ++i) tmp[i] = p[i];
  return loadV(tmp);
}

template <bool Stream>
void padRows(const float* values, const int64_t* offsets, float* out, int64_t b0, int64_t b1,
             int64_t maxLen) {
  const int64_t full = maxLen / VEC * VEC;
  const vec zero = zeroV();
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t len = std::max<int64_t>(0, offsets[b + 1] - offsets[b]);
    const int64_t n = std::min(len, maxLen);
    const float* src = values + offsets[b];
    float* row = out + b * maxLen;
    const int64_t nFull = n / VEC * VEC;  // whole vectors of copied values
    int64_t j = 0;
    for (; j + U * VEC <= nFull; j += U * VEC)
      for (int u = 0; u < U; ++u) storeV<Stream>(row + j + u * VEC, loadV(src + j + u * VEC));
    for (; j < nFull; j += VEC) storeV<Stream>(row + j, loadV(src + j));
    if (j < n && j < full) {  // the vector holding both the last values and the first zeros
      storeV<Stream>(row + j, boundaryV(src + j, n - j));
      j += VEC;
    }
    for (; j + U * VEC <= full; j += U * VEC)
      for (int u = 0; u < U; ++u) storeV<Stream>(row + j + u * VEC, zero);
    for (; j < full; j += VEC) storeV<Stream>(row + j, zero);
    if (j < maxLen) {  // row tail when max_len is not a multiple of VEC: masked store
      const uint32_t keep = laneMask(maxLen - j);
      const vec x = j < n ? boundaryV(src + j, n - j) : zero;
      maskStoreV(row + j, keep, x);
    }
  }
  if (Stream) _mm_sfence();
}
#endif

void padRange(const float* values, const int64_t* offsets, float* out, int64_t b0, int64_t b1,
              int64_t maxLen, bool stream) {
#if JP_AVX512
  if (stream)
    padRows<true>(values, offsets, out, b0, b1, maxLen);
  else
    padRows<false>(values, offsets, out, b0, b1, maxLen);
#else
  (void)stream;
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
  // Streaming needs 64-byte-aligned rows; it only pays when the output would not stay cached.
  const bool stream = STREAM != 0 && bytes > (int64_t{16} << 20) && (maxLen % 16) == 0 &&
                      (reinterpret_cast<uintptr_t>(out) & 63) == 0;
  if (THREADS > 1 && bytes >= (int64_t{2} << 20) && batch >= 2) {
    const int64_t half = batch / 2;
    std::thread worker([&] { padRange(values, offsets, out, half, batch, maxLen, stream); });
    padRange(values, offsets, out, 0, half, maxLen, stream);
    worker.join();
  } else {
    padRange(values, offsets, out, 0, batch, maxLen, stream);
  }
  return 0;
}

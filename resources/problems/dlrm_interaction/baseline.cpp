// Baseline for dlrm_interaction: the loops a user writes, one fp32 dot product per pair (i > j),
// single-threaded, -O3. Without -ffast-math the dot-product reduction stays a sequential fp32
// chain; a candidate can vectorize across pairs or d, block for registers, or use a batched GEMM.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* feat = static_cast<const float*>(inputs[0].data);
  float* out = static_cast<float*>(outputs[0].data);
  const int64_t batch = inputs[0].shape[0], nf = inputs[0].shape[1], dim = inputs[0].shape[2];
  const int64_t pairs = nf * (nf - 1) / 2;
  for (int64_t b = 0; b < batch; ++b) {
    const float* f = feat + b * nf * dim;
    float* o = out + b * pairs;
    for (int64_t i = 1; i < nf; ++i) {
      const float* fi = f + i * dim;
      for (int64_t j = 0; j < i; ++j) {
        const float* fj = f + j * dim;
        float s = 0.0f;
        for (int64_t d = 0; d < dim; ++d) s += fi[d] * fj[d];
        *o++ = s;
      }
    }
  }
  return 0;
}

// Reference for dlrm_interaction: out[b, i*(i-1)/2 + j] = dot(features[b,i,:], features[b,j,:]) for
// 0 <= j < i < F, the strictly lower triangle of the per-sample Gram matrix, row by row. Each dot
// product is accumulated in double and rounded once; the output index is counted, not computed,
// so the pair order is visibly the row-major one.
#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 1 || n_outputs != 1) return 1;
  const float* feat = static_cast<const float*>(inputs[0].data);
  float* out = static_cast<float*>(outputs[0].data);
  const int64_t batch = inputs[0].shape[0], nf = inputs[0].shape[1], dim = inputs[0].shape[2];
  const int64_t pairs = nf * (nf - 1) / 2;
  if (outputs[0].shape[0] != batch || outputs[0].shape[1] != pairs) return 2;
  for (int64_t b = 0; b < batch; ++b) {
    const float* f = feat + b * nf * dim;
    int64_t idx = 0;
    for (int64_t i = 1; i < nf; ++i) {
      for (int64_t j = 0; j < i; ++j) {
        double s = 0.0;
        for (int64_t d = 0; d < dim; ++d)
          s += static_cast<double>(f[i * dim + d]) * static_cast<double>(f[j * dim + d]);
        out[b * pairs + idx++] = static_cast<float>(s);
      }
    }
  }
  return 0;
}

// expect: wrong_answer | expected
// Forgets the + 1.
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  const float* x = static_cast<const float*>(in[0].data);
  float* y = static_cast<float*>(out[0].data);
  int64_t n = in[0].shape[0] * in[0].shape[1];
  for (int64_t i = 0; i < n; ++i) y[i] = 2.0f * x[i];
  return 0;
}

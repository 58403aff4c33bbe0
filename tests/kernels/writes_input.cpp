// expect: rejected | modified input x
// Computes the right answer, then zeroes its input: a reference computed afterwards from the
// same buffer would agree with anything.
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  float* x = static_cast<float*>(in[0].data);
  float* y = static_cast<float*>(out[0].data);
  int64_t n = in[0].shape[0] * in[0].shape[1];
  for (int64_t i = 0; i < n; ++i) {
    y[i] = 2.0f * x[i] + 1.0f;
    x[i] = 0.0f;
  }
  return 0;
}

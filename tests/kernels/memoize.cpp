// expect: wrong_answer | never wrote
// Computes right for the first two calls on a buffer (the correctness phase), then returns at
// once whenever it sees the same pointers again: only rotated, re-poisoned, checked timed
// calls catch it.
#include <map>
#include "kevo_abi.h"
static std::map<const void*, int> seen;
extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  if (++seen[out[0].data] > 2) return 0;
  const float* x = static_cast<const float*>(in[0].data);
  float* y = static_cast<float*>(out[0].data);
  int64_t n = in[0].shape[0] * in[0].shape[1];
  for (int64_t i = 0; i < n; ++i) y[i] = 2.0f * x[i] + 1.0f;
  return 0;
}

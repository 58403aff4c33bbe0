// expect: ok |
// Correct and multi-threaded: threads it joins before returning are allowed.
#include <thread>
#include <vector>
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  const float* x = static_cast<const float*>(in[0].data);
  float* y = static_cast<float*>(out[0].data);
  int64_t n = in[0].shape[0] * in[0].shape[1];
  std::vector<std::thread> pool;
  for (int t = 0; t < 2; ++t)
    pool.emplace_back([=] {
      for (int64_t i = t * n / 2; i < (t + 1) * n / 2; ++i) y[i] = 2.0f * x[i] + 1.0f;
    });
  for (auto& th : pool) th.join();
  return 0;
}

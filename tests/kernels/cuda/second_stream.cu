// expect: ok
// Library form: does the work on a stream of its own and returns without waiting. Timing
// ends only after the whole device is synchronized, so the work is timed and the outputs are
// complete; a harness that timed only the default stream would report almost nothing.
#include <cuda_runtime.h>

#include "kevo_abi.h"

__global__ void add_relu_slow(const float* x, const float* r, float* y, long long n) {
  long long i = blockIdx.x * 256ll + threadIdx.x;
  if (i < n) {
    float s = x[i] + r[i];
    for (int k = 0; k < 64; ++k) s = s * 1.0000001f - s * 0.0000001f;  // pad the runtime
    s = x[i] + r[i];
    y[i] = s > 0 ? s : 0;
  }
}

extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  static cudaStream_t side = nullptr;
  if (!side && cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking) != cudaSuccess) return 1;
  long long n = in[0].shape[0] * in[0].shape[1];
  add_relu_slow<<<(unsigned)((n + 255) / 256), 256, 0, side>>>(
      (const float*)in[0].data, (const float*)in[1].data, (float*)out[0].data, n);
  return cudaGetLastError() == cudaSuccess ? 0 : 2;
}

// expect: rejected | past the end
// Correct, but also writes 64 floats past the end of y: inside the device allocation, so no
// fault; only the canary after the output sees it.
#include "kevo_cuda.h"
// kevo-launch: add_relu_oob grid(cdiv(B * N, 256)) block(256)
extern "C" __global__ void add_relu_oob(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* r = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  long long n = a.in_shape[0][0] * a.in_shape[0][1];
  long long i = blockIdx.x * 256ll + threadIdx.x;
  if (i < n) {
    float s = x[i] + r[i];
    y[i] = s > 0 ? s : 0;
  }
  if (i < 64) y[n + i] = 0.0f;
}

// expect: rejected | modified input
// Computes y, then overwrites x with y: a later check computed from x would agree with it.
#include "kevo_cuda.h"
// kevo-launch: add_relu_clobber grid(cdiv(B * N, 256)) block(256)
extern "C" __global__ void add_relu_clobber(kevo_cuda_args a) {
  float* x = (float*)a.in[0];
  const float* r = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  long long n = a.in_shape[0][0] * a.in_shape[0][1];
  long long i = blockIdx.x * 256ll + threadIdx.x;
  if (i < n) {
    float s = x[i] + r[i];
    y[i] = s > 0 ? s : 0;
    x[i] = y[i];
  }
}

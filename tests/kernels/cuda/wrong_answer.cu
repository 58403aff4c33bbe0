// expect: wrong_answer | expected 0
// Forgets the ReLU: right wherever x + r > 0, wrong elsewhere.
#include "kevo_cuda.h"
// kevo-launch: add_only grid(cdiv(B * N, 256)) block(256)
extern "C" __global__ void add_only(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* r = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  long long n = a.in_shape[0][0] * a.in_shape[0][1];
  long long i = blockIdx.x * 256ll + threadIdx.x;
  if (i < n) y[i] = x[i] + r[i];
}

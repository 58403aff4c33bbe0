// CUDA baseline for add_relu: the first CUDA version a user writes, one thread per element, scalar
// loads and stores. The select is written as a comparison (as in reference.cpp) so that an
// exact -0 sum stores +0: the problem is compared bit for bit.
#include "kevo_cuda.h"

#define THREADS 256

// kevo-launch: add_relu_naive grid(cdiv(B * N, THREADS)) block(THREADS)
extern "C" __global__ void add_relu_naive(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* r = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  const long long n = a.in_shape[0][0] * a.in_shape[0][1];
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) {
    const float s = x[i] + r[i];
    y[i] = s > 0.0f ? s : 0.0f;
  }
}

// CUDA reference for add_relu: y = max(x + residual, 0), one thread per element. One fp32 add,
// exactly rounded on any IEEE device, and the CPU reference's own select `s > 0 ? s : 0` rather
// than fmaxf, so the result matches reference.cpp bit for bit, signs of zero included.
#include "kevo_cuda.h"

#define THREADS 256

// kevo-launch: add_relu_ref grid(cdiv(B * N, THREADS)) block(THREADS)
extern "C" __global__ void add_relu_ref(kevo_cuda_args a) {
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

// CUDA baseline for gelu (tanh form): the first CUDA version a user writes, one thread per element,
// fp32 throughout with the precise tanhf of the CUDA math library (no fast-math).
#include "kevo_cuda.h"

#define THREADS 256

// kevo-launch: gelu_naive grid(cdiv(B * N, THREADS)) block(THREADS)
extern "C" __global__ void gelu_naive(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  float* y = (float*)a.out[0];
  const long long n = a.in_shape[0][0] * a.in_shape[0][1];
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float k = 0.7978845608028654f;  // sqrt(2/pi)
  const float v = x[i];
  y[i] = 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
}

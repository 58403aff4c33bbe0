// CUDA baseline for bias_gelu: the first CUDA version a user writes, one thread per element of the
// flattened [B, N] matrix (the bias column is the flat index mod N), fp32 throughout with the
// precise tanhf of the CUDA math library (no fast-math).
#include "kevo_cuda.h"

#define THREADS 256

// kevo-launch: bias_gelu_naive grid(cdiv(B * N, THREADS)) block(THREADS)
extern "C" __global__ void bias_gelu_naive(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* bias = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const long long n = a.in_shape[0][0] * cols;
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float k = 0.7978845608028654f;  // sqrt(2/pi)
  const float h = x[i] + bias[i % cols];
  y[i] = 0.5f * h * (1.0f + tanhf(k * (h + 0.044715f * h * h * h)));
}

// CUDA reference for bias_gelu: h = x[b,i] + bias[i], y = 0.5 h (1 + tanh(sqrt(2/pi) (h +
// 0.044715 h^3))), one thread per element, in double (the add included) and rounded once when
// stored, as reference.cpp. reference.cpp is built without FMA contraction (ISO C++ mode),
// while nvcc and NVRTC fuse a * b + c by default; __dmul_rn is never fused, so the double
// expression is rounded step by step as on the CPU (only tanh may differ, by 1-2 ulp in double).
#include "kevo_cuda.h"

#define THREADS 256

// kevo-launch: bias_gelu_ref grid(cdiv(B * N, THREADS)) block(THREADS)
extern "C" __global__ void bias_gelu_ref(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* bias = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const long long n = a.in_shape[0][0] * cols;
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  const double k = sqrt(2.0 / 3.141592653589793);  // std::numbers::pi as a double
  const double h = (double)x[i] + (double)bias[i % cols];
  const double cube = __dmul_rn(__dmul_rn(__dmul_rn(0.044715, h), h), h);
  y[i] = (float)(0.5 * h * (1.0 + tanh(k * (h + cube))));
}

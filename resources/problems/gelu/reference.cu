// CUDA reference for gelu: y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the tanh form,
// one thread per element, in double and rounded once when stored, as reference.cpp.
// reference.cpp is built without FMA contraction (ISO C++ mode), while nvcc and NVRTC fuse
// a * b + c by default; __dmul_rn is never fused, so the double expression is rounded step by
// step exactly as on the CPU (only tanh itself may differ, by CUDA's 1-2 ulp in double).
#include "kevo_cuda.h"

#define THREADS 256

// kevo-launch: gelu_ref grid(cdiv(B * N, THREADS)) block(THREADS)
extern "C" __global__ void gelu_ref(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  float* y = (float*)a.out[0];
  const long long n = a.in_shape[0][0] * a.in_shape[0][1];
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  const double k = sqrt(2.0 / 3.141592653589793);  // std::numbers::pi as a double
  const double v = x[i];
  const double cube = __dmul_rn(__dmul_rn(__dmul_rn(0.044715, v), v), v);
  y[i] = (float)(0.5 * v * (1.0 + tanh(k * (v + cube))));
}

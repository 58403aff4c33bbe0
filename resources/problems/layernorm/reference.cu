// CUDA reference for layernorm: per row, mu = mean(x), var = mean((x - mu)^2) (biased), y =
// (x - mu) / sqrt(var + 1e-5) * gamma + beta. Two passes in double, rounded once when stored, as
// reference.cpp. One block per row: strided per-thread partials, then a fixed shared-memory tree,
// so the result never depends on timing. reference.cpp is built without FMA contraction (ISO C++
// mode) while nvcc and NVRTC fuse a * b + c by default; __dmul_rn is never fused, so each
// product is rounded before its add as on the CPU.
#include "kevo_cuda.h"

#define THREADS 256
static_assert((THREADS & (THREADS - 1)) == 0, "the tree reduction needs a power of two");

// Sum of one value per thread over the block, in a fixed order; every thread gets the total.
__device__ double block_sum(double v) {
  __shared__ double partial[THREADS];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int s = THREADS / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads();  // everyone has read partial[0] before a later call overwrites it
  return total;
}

// kevo-launch: layernorm_ref grid(B) block(THREADS)
extern "C" __global__ void layernorm_ref(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* gamma = (const float*)a.in[1];
  const float* beta = (const float*)a.in[2];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;
  float* yr = y + blockIdx.x * cols;
  const double eps = 1e-5;

  double mu = 0.0;
  for (long long i = threadIdx.x; i < cols; i += THREADS) mu += xr[i];
  mu = block_sum(mu) / (double)cols;

  double var = 0.0;
  for (long long i = threadIdx.x; i < cols; i += THREADS) {
    const double d = xr[i] - mu;
    var += __dmul_rn(d, d);
  }
  var = block_sum(var) / (double)cols;

  const double rstd = 1.0 / sqrt(var + eps);
  for (long long i = threadIdx.x; i < cols; i += THREADS)
    yr[i] = (float)(__dmul_rn((xr[i] - mu) * rstd, (double)gamma[i]) + beta[i]);
}

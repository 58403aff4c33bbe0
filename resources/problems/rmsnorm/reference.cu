// CUDA reference for rmsnorm: per row, r = 1 / sqrt(mean(x^2) + 1e-6), y = x * r * gamma. The
// sum of squares and the scaling in double, rounded once when stored, as reference.cpp. One
// block per row: strided per-thread partials, then a fixed shared-memory tree, so the result
// never depends on timing. The squares use __dmul_rn, which nvcc and NVRTC never fuse into an
// FMA with the following add, since reference.cpp is built without FMA contraction.
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

// kevo-launch: rmsnorm_ref grid(B) block(THREADS)
extern "C" __global__ void rmsnorm_ref(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* gamma = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;
  float* yr = y + blockIdx.x * cols;
  const double eps = 1e-6;

  double sq = 0.0;
  for (long long i = threadIdx.x; i < cols; i += THREADS)
    sq += __dmul_rn((double)xr[i], (double)xr[i]);
  sq = block_sum(sq);

  const double r = 1.0 / sqrt(sq / (double)cols + eps);
  for (long long i = threadIdx.x; i < cols; i += THREADS) yr[i] = (float)(xr[i] * r * gamma[i]);
}

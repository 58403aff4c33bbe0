// CUDA baseline for rmsnorm (eps = 1e-6): the first CUDA version a user writes, one block per row
// and two passes over it in fp32: the sum of squares, then y = x * r * gamma. The reduction is a
// strided per-thread loop (coalesced loads) followed by a shared-memory tree.
#include "kevo_cuda.h"

#define THREADS 256
static_assert((THREADS & (THREADS - 1)) == 0, "the tree reduction needs a power of two");

// kevo-launch: rmsnorm_naive grid(B) block(THREADS)
extern "C" __global__ void rmsnorm_naive(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* gamma = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;
  float* yr = y + blockIdx.x * cols;

  float sq = 0.0f;
  for (long long i = threadIdx.x; i < cols; i += THREADS) sq += xr[i] * xr[i];

  __shared__ float partial[THREADS];
  partial[threadIdx.x] = sq;
  __syncthreads();
  for (int k = THREADS / 2; k > 0; k /= 2) {
    if (threadIdx.x < k) partial[threadIdx.x] += partial[threadIdx.x + k];
    __syncthreads();
  }
  const float r = 1.0f / sqrtf(partial[0] / (float)cols + 1e-6f);

  for (long long i = threadIdx.x; i < cols; i += THREADS) yr[i] = xr[i] * r * gamma[i];
}

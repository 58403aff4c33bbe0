// CUDA baseline for layernorm (eps = 1e-5): the first CUDA version a user writes, one block per row
// and three passes over it in fp32: the mean, the biased variance around it, then normalize and
// apply gamma, beta. Each reduction is a strided per-thread loop (coalesced loads) followed by a
// shared-memory tree.
#include "kevo_cuda.h"

#define THREADS 256
static_assert((THREADS & (THREADS - 1)) == 0, "the tree reduction needs a power of two");

__device__ float block_sum(float v) {
  __shared__ float partial[THREADS];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int s = THREADS / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  const float total = partial[0];
  __syncthreads();  // everyone has read partial[0] before a later call overwrites it
  return total;
}

// kevo-launch: layernorm_naive grid(B) block(THREADS)
extern "C" __global__ void layernorm_naive(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* gamma = (const float*)a.in[1];
  const float* beta = (const float*)a.in[2];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;
  float* yr = y + blockIdx.x * cols;
  const float inv_n = 1.0f / (float)cols;

  float sum = 0.0f;
  for (long long i = threadIdx.x; i < cols; i += THREADS) sum += xr[i];
  const float mu = block_sum(sum) * inv_n;

  float sq = 0.0f;
  for (long long i = threadIdx.x; i < cols; i += THREADS) sq += (xr[i] - mu) * (xr[i] - mu);
  const float rstd = 1.0f / sqrtf(block_sum(sq) * inv_n + 1e-5f);

  for (long long i = threadIdx.x; i < cols; i += THREADS)
    yr[i] = (xr[i] - mu) * rstd * gamma[i] + beta[i];
}

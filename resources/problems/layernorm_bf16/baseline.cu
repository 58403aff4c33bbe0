// CUDA baseline for layernorm_bf16 (eps = 1e-5): the first CUDA version a user writes, one block
// per row and three passes over it in fp32, one bf16 (2 bytes) per access: the mean, the biased
// variance around it, then normalize, apply gamma, beta and round to bf16. Each reduction is a
// strided per-thread loop (coalesced loads) followed by a shared-memory tree.
#include <cuda_bf16.h>

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

// kevo-launch: layernorm_bf16_naive grid(B) block(THREADS)
extern "C" __global__ void layernorm_bf16_naive(kevo_cuda_args a) {
  const __nv_bfloat16* x = (const __nv_bfloat16*)a.in[0];
  const __nv_bfloat16* gamma = (const __nv_bfloat16*)a.in[1];
  const __nv_bfloat16* beta = (const __nv_bfloat16*)a.in[2];
  __nv_bfloat16* y = (__nv_bfloat16*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const __nv_bfloat16* xr = x + blockIdx.x * cols;
  __nv_bfloat16* yr = y + blockIdx.x * cols;
  const float inv_n = 1.0f / (float)cols;

  float sum = 0.0f;
  for (long long i = threadIdx.x; i < cols; i += THREADS) sum += __bfloat162float(xr[i]);
  const float mu = block_sum(sum) * inv_n;

  float sq = 0.0f;
  for (long long i = threadIdx.x; i < cols; i += THREADS) {
    const float d = __bfloat162float(xr[i]) - mu;
    sq += d * d;
  }
  const float rstd = 1.0f / sqrtf(block_sum(sq) * inv_n + 1e-5f);

  for (long long i = threadIdx.x; i < cols; i += THREADS)
    yr[i] = __float2bfloat16_rn((__bfloat162float(xr[i]) - mu) * rstd * __bfloat162float(gamma[i]) +
                                __bfloat162float(beta[i]));
}

// CUDA baseline for rmsnorm_bf16 (eps = 1e-6): the first CUDA version a user writes, one block per
// row and two passes over it in fp32, one bf16 (2 bytes) per access: the sum of squares, then
// y = bf16(x * r * gamma). The reduction is a strided per-thread loop (coalesced loads) followed
// by a shared-memory tree.
#include <cuda_bf16.h>

#include "kevo_cuda.h"

#define THREADS 256
static_assert((THREADS & (THREADS - 1)) == 0, "the tree reduction needs a power of two");

// kevo-launch: rmsnorm_bf16_naive grid(B) block(THREADS)
extern "C" __global__ void rmsnorm_bf16_naive(kevo_cuda_args a) {
  const __nv_bfloat16* x = (const __nv_bfloat16*)a.in[0];
  const __nv_bfloat16* gamma = (const __nv_bfloat16*)a.in[1];
  __nv_bfloat16* y = (__nv_bfloat16*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const __nv_bfloat16* xr = x + blockIdx.x * cols;
  __nv_bfloat16* yr = y + blockIdx.x * cols;

  float sq = 0.0f;
  for (long long i = threadIdx.x; i < cols; i += THREADS) {
    const float v = __bfloat162float(xr[i]);
    sq += v * v;
  }

  __shared__ float partial[THREADS];
  partial[threadIdx.x] = sq;
  __syncthreads();
  for (int k = THREADS / 2; k > 0; k /= 2) {
    if (threadIdx.x < k) partial[threadIdx.x] += partial[threadIdx.x + k];
    __syncthreads();
  }
  const float r = 1.0f / sqrtf(partial[0] / (float)cols + 1e-6f);

  for (long long i = threadIdx.x; i < cols; i += THREADS)
    yr[i] = __float2bfloat16_rn(__bfloat162float(xr[i]) * r * __bfloat162float(gamma[i]));
}

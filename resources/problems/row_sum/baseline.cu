// CUDA baseline for row_sum: the first CUDA version a user writes, one block per row. Each thread
// adds a strided slice of the row in fp32 (coalesced loads), then a shared-memory tree adds the
// partial sums.
#include "kevo_cuda.h"

#define THREADS 256
static_assert((THREADS & (THREADS - 1)) == 0, "the tree reduction needs a power of two");

// kevo-launch: row_sum_naive grid(B) block(THREADS)
extern "C" __global__ void row_sum_naive(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;
  float s = 0.0f;
  for (long long i = threadIdx.x; i < cols; i += THREADS) s += xr[i];

  __shared__ float partial[THREADS];
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int k = THREADS / 2; k > 0; k /= 2) {
    if (threadIdx.x < k) partial[threadIdx.x] += partial[threadIdx.x + k];
    __syncthreads();
  }
  if (threadIdx.x == 0) y[blockIdx.x] = partial[0];
}

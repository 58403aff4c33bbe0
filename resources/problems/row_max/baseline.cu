// CUDA baseline for row_max: the first CUDA version a user writes, one block per row. Each thread
// takes the max of a strided slice of the row (coalesced loads) with fmaxf, then a shared-memory
// tree combines the partial maxima.
#include "kevo_cuda.h"

#define THREADS 256
static_assert((THREADS & (THREADS - 1)) == 0, "the tree reduction needs a power of two");

// kevo-launch: row_max_naive grid(B) block(THREADS)
extern "C" __global__ void row_max_naive(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;
  float m = __int_as_float(0xff800000);  // -inf: NVRTC has no INFINITY macro
  for (long long i = threadIdx.x; i < cols; i += THREADS) m = fmaxf(m, xr[i]);

  __shared__ float partial[THREADS];
  partial[threadIdx.x] = m;
  __syncthreads();
  for (int k = THREADS / 2; k > 0; k /= 2) {
    if (threadIdx.x < k)
      partial[threadIdx.x] = fmaxf(partial[threadIdx.x], partial[threadIdx.x + k]);
    __syncthreads();
  }
  if (threadIdx.x == 0) y[blockIdx.x] = partial[0];
}

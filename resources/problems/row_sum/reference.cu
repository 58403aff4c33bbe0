// CUDA reference for row_sum: y[b] = sum_i x[b,i] with a double accumulator, rounded once when
// stored, as reference.cpp. One block per row: each thread sums a strided slice in double, then
// a fixed shared-memory tree adds the partial sums, so the result never depends on timing. The
// order differs from the CPU's sequential sum, but a double sum of a few thousand fp32 terms of
// order 1 is exact far below fp32 resolution either way.
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

// kevo-launch: row_sum_ref grid(B) block(THREADS)
extern "C" __global__ void row_sum_ref(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;
  double s = 0.0;
  for (long long i = threadIdx.x; i < cols; i += THREADS) s += xr[i];
  s = block_sum(s);
  if (threadIdx.x == 0) y[blockIdx.x] = (float)s;
}

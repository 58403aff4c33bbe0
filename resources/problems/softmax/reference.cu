// CUDA reference for softmax: y[b,i] = exp(x[b,i] - m_b) / sum_j exp(x[b,j] - m_b), m_b the row
// max. In double (exp, the sum and the division) and rounded once when stored, as
// reference.cpp. One block per row: strided per-thread partials, then a fixed shared-memory
// tree, so the result never depends on timing (the sum's order differs from the CPU's
// sequential one, far below fp32 resolution in double).
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

// Max of one value per thread over the block; every thread gets it.
__device__ double block_max(double v) {
  __shared__ double partial[THREADS];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int s = THREADS / 2; s > 0; s /= 2) {
    if (threadIdx.x < s)
      partial[threadIdx.x] = fmax(partial[threadIdx.x], partial[threadIdx.x + s]);
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads();
  return total;
}

// kevo-launch: softmax_ref grid(B) block(THREADS)
extern "C" __global__ void softmax_ref(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;
  float* yr = y + blockIdx.x * cols;

  double m = __longlong_as_double(0xfff0000000000000LL);  // -inf: NVRTC has no INFINITY macro
  for (long long i = threadIdx.x; i < cols; i += THREADS) m = fmax(m, (double)xr[i]);
  m = block_max(m);

  double s = 0.0;
  for (long long i = threadIdx.x; i < cols; i += THREADS) s += exp(xr[i] - m);
  s = block_sum(s);

  for (long long i = threadIdx.x; i < cols; i += THREADS) yr[i] = (float)(exp(xr[i] - m) / s);
}

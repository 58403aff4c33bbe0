// CUDA baseline for log_softmax: the first CUDA version a user writes, one block per row and three
// passes over it in fp32: the row max, the sum of expf(x - max), then y = x - (max + logf(sum)).
// Each reduction is a strided per-thread loop (coalesced loads) followed by a shared-memory tree.
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

__device__ float block_max(float v) {
  __shared__ float partial[THREADS];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int s = THREADS / 2; s > 0; s /= 2) {
    if (threadIdx.x < s)
      partial[threadIdx.x] = fmaxf(partial[threadIdx.x], partial[threadIdx.x + s]);
    __syncthreads();
  }
  const float total = partial[0];
  __syncthreads();
  return total;
}

// kevo-launch: log_softmax_naive grid(B) block(THREADS)
extern "C" __global__ void log_softmax_naive(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;
  float* yr = y + blockIdx.x * cols;

  float m = __int_as_float(0xff800000);  // -inf: NVRTC has no INFINITY macro
  for (long long i = threadIdx.x; i < cols; i += THREADS) m = fmaxf(m, xr[i]);
  m = block_max(m);

  float s = 0.0f;
  for (long long i = threadIdx.x; i < cols; i += THREADS) s += expf(xr[i] - m);
  s = block_sum(s);

  const float lse = m + logf(s);
  for (long long i = threadIdx.x; i < cols; i += THREADS) yr[i] = xr[i] - lse;
}

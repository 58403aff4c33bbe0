// CUDA reference for row_max: y[b] = max_i x[b,i], compared bit for bit. One block per row.
// The maximum is order-independent except between +0 and -0, which compare equal: the CPU
// reference keeps the first of equal values (strict >). To give exactly its answer, each thread
// scans a contiguous chunk in order with the same strict >, and the tree always merges a lower
// chunk with the next higher one, keeping the lower on ties: the first maximum of the row.
#include "kevo_cuda.h"

#define THREADS 256
static_assert((THREADS & (THREADS - 1)) == 0, "the tree reduction needs a power of two");

// kevo-launch: row_max_ref grid(B) block(THREADS)
extern "C" __global__ void row_max_ref(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  float* y = (float*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const float* xr = x + blockIdx.x * cols;

  // Thread t owns [t * chunk, (t + 1) * chunk); chunks past the row end are empty and hold -inf
  // (NVRTC has no INFINITY macro), which never wins a strict > against a value of the row.
  const long long chunk = (cols + THREADS - 1) / THREADS;
  const long long begin = threadIdx.x * chunk;
  const long long end = begin + chunk < cols ? begin + chunk : cols;
  float m = __int_as_float(0xff800000);
  for (long long i = begin; i < end; ++i)
    if (xr[i] > m) m = xr[i];

  // Stride-s step: thread t (a multiple of 2s) merges the chunks of t and t + s, adjacent and in
  // row order, so the result at 0 is the first maximum of the whole row.
  __shared__ float partial[THREADS];
  partial[threadIdx.x] = m;
  __syncthreads();
  for (int s = 1; s < THREADS; s *= 2) {
    if (threadIdx.x % (2 * s) == 0 && partial[threadIdx.x + s] > partial[threadIdx.x])
      partial[threadIdx.x] = partial[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) y[blockIdx.x] = partial[0];
}

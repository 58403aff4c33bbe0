// CUDA baseline for bucketize: the kernel a user writes first, one thread per value, each running
// the plain lo/hi binary search of baseline.cpp over the boundaries in global memory. The
// boundaries (4 KiB) stay in L1/L2, but every step is a dependent load and the threads of a warp
// diverge and hit different addresses; shared-memory staging, a branchless or Eytzinger search
// and several values per thread are left to candidates.
#include "kevo_cuda.h"

// kevo-launch: bucketize_naive grid(cdiv(N, 256)) block(256)
extern "C" __global__ void bucketize_naive(kevo_cuda_args a) {
  const float* values = (const float*)a.in[0];
  const float* bounds = (const float*)a.in[1];
  int* out = (int*)a.out[0];
  const long long n = a.in_shape[0][0], nb = a.in_shape[1][0];
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float v = values[i];
  long long lo = 0, hi = nb;  // answer in [lo, hi]
  while (lo < hi) {
    const long long mid = lo + (hi - lo) / 2;
    if (bounds[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  out[i] = (int)lo;
}

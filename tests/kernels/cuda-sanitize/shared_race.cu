// add_relu with a missing __syncthreads: each thread stages its sum in shared memory and stores
// the one a thread of another warp staged, with no barrier between the write and the read. The
// answer is often right anyway (the other warp usually got there first), so only racecheck is
// sure to see it: `kevo-cli sanitize --tool racecheck` must report a hazard.
#include "kevo_cuda.h"

#define THREADS 256

// kevo-launch: add_relu_racy grid(cdiv(B * N, THREADS)) block(THREADS)
extern "C" __global__ void add_relu_racy(kevo_cuda_args a) {
  __shared__ float staged[THREADS];
  const float* x = (const float*)a.in[0];
  const float* r = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  const long long n = a.in_shape[0][0] * a.in_shape[0][1];
  const long long base = blockIdx.x * (long long)THREADS;
  const int t = threadIdx.x;
  if (base + t < n) staged[t] = x[base + t] + r[base + t];
  const int other = (t + 32) % THREADS;  // a thread of the next warp
  if (base + other < n) {
    const float s = staged[other];
    y[base + other] = s > 0.0f ? s : 0.0f;
  }
}

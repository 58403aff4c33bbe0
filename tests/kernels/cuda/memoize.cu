// expect: wrong_answer | never wrote
// Computes right for the first calls on each output buffer (the correctness phase), then
// returns at once when it sees that buffer again, counting calls in a __device__ global that
// lives as long as the module: only re-poisoned, checked timed calls catch it.
#include "kevo_cuda.h"
__device__ unsigned long long seen[8];
__device__ int calls[8];
// kevo-launch: lazy grid(cdiv(B * N, 256)) block(256)
extern "C" __global__ void lazy(kevo_cuda_args a) {
  const float* x = (const float*)a.in[0];
  const float* r = (const float*)a.in[1];
  float* y = (float*)a.out[0];
  long long n = a.in_shape[0][0] * a.in_shape[0][1];
  long long i = blockIdx.x * 256ll + threadIdx.x;
  unsigned long long key = (unsigned long long)y;
  // A tiny table of output buffers seen before (small buffers share 2 MiB pages, so no hash).
  int slot = -1;
  for (int j = 0; j < 8; ++j)
    if (seen[j] == key) slot = j;
  if (slot >= 0 && calls[slot] >= 3) return;
  if (i < n) {
    float s = x[i] + r[i];
    y[i] = s > 0 ? s : 0;
  }
  if (i == 0) {
    if (slot < 0)
      for (int j = 0; j < 8 && slot < 0; ++j)
        if (seen[j] == 0) {
          seen[j] = key;
          slot = j;
        }
    if (slot >= 0) calls[slot] += 1;
  }
}

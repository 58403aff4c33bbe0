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
  int slot = (int)((key >> 21) % 8);  // allocations are 2 MiB apart
  // Only thread 0 of block 0 counts; others read a possibly stale count: fine for the attack.
  if (calls[slot] >= 3 && seen[slot] == key) return;
  if (i < n) {
    float s = x[i] + r[i];
    y[i] = s > 0 ? s : 0;
  }
  if (i == 0) {
    if (seen[slot] != key) { seen[slot] = key; calls[slot] = 0; }
    calls[slot] += 1;
  }
}

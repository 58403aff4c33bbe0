// CUDA reference for embedding_bag (sum): out[b, d] = sum of weight[indices[t], d] over t in
// [offsets[b], offsets[b+1]), 0 for an empty bag; one thread per output element, the bag's rows
// added in index order in double and rounded once, as reference.cpp does per column. Like
// reference.cpp it validates the offsets and indices; a launch cannot return an error, so a bad
// one traps (the worker reports a crash) instead of reading out of bounds. Every thread checks
// what it reads itself, so no read depends on another thread's check.
#include "kevo_cuda.h"

// kevo-launch: embedding_bag_ref grid(cdiv(B * D, 256)) block(256)
extern "C" __global__ void embedding_bag_ref(kevo_cuda_args a) {
  const float* weight = (const float*)a.in[0];
  const long long* indices = (const long long*)a.in[1];
  const long long* offsets = (const long long*)a.in[2];
  float* out = (float*)a.out[0];
  const long long rows = a.in_shape[0][0], dim = a.in_shape[0][1];
  const long long total = a.in_shape[1][0];
  const long long bags = a.in_shape[2][0] - 1;
  if (a.out_shape[0][0] != bags || a.out_shape[0][1] != dim) __trap();
  const long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (idx >= bags * dim) return;
  if (idx == 0 && (offsets[0] != 0 || offsets[bags] != total)) __trap();
  const long long b = idx / dim, d = idx % dim;
  const long long start = offsets[b], end = offsets[b + 1];
  if (start < 0 || end < start || end > total) __trap();
  double acc = 0.0;
  for (long long t = start; t < end; ++t) {
    const long long r = indices[t];
    if (r < 0 || r >= rows) __trap();
    acc += (double)weight[r * dim + d];
  }
  out[idx] = (float)acc;
}

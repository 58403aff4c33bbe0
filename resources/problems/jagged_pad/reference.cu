// CUDA reference for jagged_pad: out[b, j] = values[offsets[b] + j] for j < min(len_b, max_len),
// else 0.0, with len_b = offsets[b+1] - offsets[b]; one thread per output element. Like
// reference.cpp it checks that the offsets partition values (0 = offsets[0] <= ... <= offsets[B]
// = T); a launch cannot return an error, so a bad offset traps (the worker reports a crash)
// instead of reading out of bounds. Each thread checks its own row's bounds against [0, T], so
// no read depends on another thread's check having run first.
#include "kevo_cuda.h"

// kevo-launch: jagged_pad_ref grid(cdiv(B * L, 256)) block(256)
extern "C" __global__ void jagged_pad_ref(kevo_cuda_args a) {
  const float* values = (const float*)a.in[0];
  const long long* offsets = (const long long*)a.in[1];
  float* out = (float*)a.out[0];
  const long long total = a.in_shape[0][0];
  const long long batch = a.in_shape[1][0] - 1;
  const long long max_len = a.scalar[0];
  if (a.out_shape[0][0] != batch || a.out_shape[0][1] != max_len) __trap();
  const long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (idx >= batch * max_len) return;
  if (idx == 0 && (offsets[0] != 0 || offsets[batch] != total)) __trap();
  const long long b = idx / max_len, j = idx % max_len;
  const long long start = offsets[b], end = offsets[b + 1];
  if (start < 0 || end < start || end > total) __trap();
  out[idx] = start + j < end ? values[start + j] : 0.0f;
}

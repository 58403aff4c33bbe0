// CUDA baseline for jagged_pad: the kernel a user writes first, one thread per output element:
// find its row and column, copy the value if the column lies inside the segment, else write 0.
// Writes are coalesced, reads of a row's prefix are too; every thread reloads its row's two
// offsets (cached, but still a 64-bit divide for b and j), and the output is written one float at
// a time. Row-per-block mapping, vector (float4) stores and streaming hints are left to candidates.
#include "kevo_cuda.h"

// kevo-launch: jagged_pad_naive grid(cdiv(B * L, 256)) block(256)
extern "C" __global__ void jagged_pad_naive(kevo_cuda_args a) {
  const float* values = (const float*)a.in[0];
  const long long* offsets = (const long long*)a.in[1];
  float* out = (float*)a.out[0];
  const long long batch = a.in_shape[1][0] - 1;
  const long long max_len = a.scalar[0];
  const long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (idx >= batch * max_len) return;
  const long long b = idx / max_len, j = idx % max_len;
  const long long start = offsets[b], len = offsets[b + 1] - start;
  out[idx] = j < len ? values[start + j] : 0.0f;
}

// CUDA baseline for embedding_bag (sum): the kernel a user writes first, one thread per output
// element (b, d) adding column d of the bag's rows in fp32, in index order. Consecutive threads
// take consecutive d of one bag, so each gathered row is read coalesced (one 256-byte row at
// D = 64), but each thread walks its bag's indices one dependent gather at a time and reloads the
// offsets and indices that the other D - 1 threads of its bag also load. A warp or block per bag,
// float4 loads, several rows in flight per thread and staging the indices in shared memory are
// left to candidates.
#include "kevo_cuda.h"

// kevo-launch: embedding_bag_naive grid(cdiv(B * D, 256)) block(256)
extern "C" __global__ void embedding_bag_naive(kevo_cuda_args a) {
  const float* weight = (const float*)a.in[0];
  const long long* indices = (const long long*)a.in[1];
  const long long* offsets = (const long long*)a.in[2];
  float* out = (float*)a.out[0];
  const long long dim = a.in_shape[0][1];
  const long long bags = a.in_shape[2][0] - 1;
  const long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (idx >= bags * dim) return;
  const long long b = idx / dim, d = idx % dim;
  float acc = 0.0f;
  for (long long t = offsets[b]; t < offsets[b + 1]; ++t) acc += weight[indices[t] * dim + d];
  out[idx] = acc;
}

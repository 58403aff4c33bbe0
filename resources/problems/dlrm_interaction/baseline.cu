// CUDA baseline for dlrm_interaction: the kernel a user writes first, one thread per output
// element, an fp32 dot product of the pair's two feature rows read straight from global memory.
// The pair (i, j) of the lower-triangle index is found by walking the triangle's rows (at most
// F - 1 cheap steps). The threads of a warp read different rows at the same d, so the loads are
// scattered and each feature row is read again by each of the F - 1 pairs that use it, served by
// L1/L2 rather than DRAM. Staging a sample's F x D block in shared memory, register tiling of the
// Gram matrix, or tensor cores (a batched F x F GEMM) are left to candidates.
#include "kevo_cuda.h"

// kevo-launch: dlrm_interaction_naive grid(cdiv(B * (F * (F - 1) / 2), 256)) block(256)
extern "C" __global__ void dlrm_interaction_naive(kevo_cuda_args a) {
  const float* feat = (const float*)a.in[0];
  float* out = (float*)a.out[0];
  const long long batch = a.in_shape[0][0], nf = a.in_shape[0][1], dim = a.in_shape[0][2];
  const long long pairs = nf * (nf - 1) / 2;
  const long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (idx >= batch * pairs) return;
  const long long b = idx / pairs;
  long long i = 1, j = idx % pairs;
  while (j >= i) {
    j -= i;
    ++i;
  }
  const float* fi = feat + (b * nf + i) * dim;
  const float* fj = feat + (b * nf + j) * dim;
  float s = 0.0f;
  for (long long d = 0; d < dim; ++d) s += fi[d] * fj[d];
  out[idx] = s;
}

// CUDA reference for dlrm_interaction: out[b, i*(i-1)/2 + j] = dot(features[b,i,:],
// features[b,j,:]) for 0 <= j < i < F, the strictly lower triangle of each sample's Gram matrix
// read row by row; one thread per output element. The pair (i, j) is found by walking the rows
// of the triangle (row i holds i entries) rather than by a closed form with a square root, so
// the order is visibly the row-major one of reference.cpp. Each dot product is accumulated in
// double over d in order and rounded once; a float*float product is exact in double, so whether
// the compiler fuses the multiply-add does not change the result.
#include "kevo_cuda.h"

// kevo-launch: dlrm_interaction_ref grid(cdiv(B * (F * (F - 1) / 2), 256)) block(256)
extern "C" __global__ void dlrm_interaction_ref(kevo_cuda_args a) {
  const float* feat = (const float*)a.in[0];
  float* out = (float*)a.out[0];
  const long long batch = a.in_shape[0][0], nf = a.in_shape[0][1], dim = a.in_shape[0][2];
  const long long pairs = nf * (nf - 1) / 2;
  if (a.out_shape[0][0] != batch || a.out_shape[0][1] != pairs) __trap();
  const long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (idx >= batch * pairs) return;
  const long long b = idx / pairs;
  long long i = 1, j = idx % pairs;
  while (j >= i) {  // skip row i of the triangle (its i entries j = 0..i-1)
    j -= i;
    ++i;
  }
  const float* f = feat + b * nf * dim;
  double s = 0.0;
  for (long long d = 0; d < dim; ++d) s += (double)f[i * dim + d] * (double)f[j * dim + d];
  out[idx] = (float)s;
}

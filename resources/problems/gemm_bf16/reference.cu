// CUDA reference for gemm_bf16: C[M,N] = A[M,K] @ B[K,N], A and B bf16, C f32, row-major; one
// thread per element of C, summing over k in order in double and rounding to float once, as
// reference.cpp does for each element of its row accumulator, so the two agree bit for bit. A
// bf16 widens exactly to float (its bits are the top half of the float's) and a product of two
// bf16 is exact in double, so whether the compiler fuses the multiply-add does not change the
// result. Consecutive threads take consecutive columns of one row: A[i, k] is a broadcast and
// B[k, :] a coalesced read at each step of the sum.
#include "kevo_cuda.h"

__device__ __forceinline__ double bf16_to_double(unsigned short h) {
  return (double)__uint_as_float((unsigned)h << 16);
}

// kevo-launch: gemm_bf16_ref grid(cdiv(M * N, 256)) block(256)
extern "C" __global__ void gemm_bf16_ref(kevo_cuda_args a) {
  const unsigned short* A = (const unsigned short*)a.in[0];
  const unsigned short* B = (const unsigned short*)a.in[1];
  float* C = (float*)a.out[0];
  const long long m = a.in_shape[0][0], k = a.in_shape[0][1], n = a.in_shape[1][1];
  if (a.in_shape[1][0] != k || a.out_shape[0][0] != m || a.out_shape[0][1] != n) __trap();
  const long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (idx >= m * n) return;
  const long long i = idx / n, j = idx % n;
  double s = 0.0;
  for (long long p = 0; p < k; ++p) s += bf16_to_double(A[i * k + p]) * bf16_to_double(B[p * n + j]);
  C[idx] = (float)s;
}

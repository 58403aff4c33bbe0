// CUDA reference for rmsnorm_bf16: per row, r = 1 / sqrt(mean(x^2) + 1e-6), y = x * r * gamma.
// Every bf16 input widens exactly; the sum of squares and the scaling in double, rounded to float
// and then to bf16 (nearest even) when stored, as reference.cpp. One block per row: strided
// per-thread partials, then a fixed shared-memory tree, so the result never depends on timing.
// The squares use __dmul_rn, which nvcc and NVRTC never fuse into an FMA with the following add,
// since reference.cpp is built without FMA contraction.
#include "kevo_cuda.h"

#define THREADS 256
static_assert((THREADS & (THREADS - 1)) == 0, "the tree reduction needs a power of two");

__device__ __forceinline__ double bf16_to_double(unsigned short h) {
  return (double)__uint_as_float((unsigned)h << 16);
}

// Round to nearest even, as kevo_f32_to_bf16 in kevo_abi.h (NaN kept a quiet NaN).
__device__ __forceinline__ unsigned short float_to_bf16(float f) {
  unsigned u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x0040u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (unsigned short)(u >> 16);
}

// Sum of one value per thread over the block, in a fixed order; every thread gets the total.
__device__ double block_sum(double v) {
  __shared__ double partial[THREADS];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int s = THREADS / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads();  // everyone has read partial[0] before a later call overwrites it
  return total;
}

// kevo-launch: rmsnorm_bf16_ref grid(B) block(THREADS)
extern "C" __global__ void rmsnorm_bf16_ref(kevo_cuda_args a) {
  const unsigned short* x = (const unsigned short*)a.in[0];
  const unsigned short* gamma = (const unsigned short*)a.in[1];
  unsigned short* y = (unsigned short*)a.out[0];
  const long long cols = a.in_shape[0][1];
  const unsigned short* xr = x + blockIdx.x * cols;
  unsigned short* yr = y + blockIdx.x * cols;
  const double eps = 1e-6;

  double sq = 0.0;
  for (long long i = threadIdx.x; i < cols; i += THREADS) {
    const double v = bf16_to_double(xr[i]);
    sq += __dmul_rn(v, v);
  }
  sq = block_sum(sq);

  const double r = 1.0 / sqrt(sq / (double)cols + eps);
  for (long long i = threadIdx.x; i < cols; i += THREADS)
    yr[i] = float_to_bf16((float)(bf16_to_double(xr[i]) * r * bf16_to_double(gamma[i])));
}

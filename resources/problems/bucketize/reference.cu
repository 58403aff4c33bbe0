// CUDA reference for bucketize: out[i] = number of boundaries strictly less than values[i], one
// thread per value. The search is std::lower_bound's own count/step halving (as in libstdc++),
// written out because NVRTC has no <algorithm>; for strictly increasing boundaries it returns the
// index of the first boundary >= value, NB when there is none, exactly as reference.cpp does.
#include "kevo_cuda.h"

// kevo-launch: bucketize_ref grid(cdiv(N, 256)) block(256)
extern "C" __global__ void bucketize_ref(kevo_cuda_args a) {
  const float* values = (const float*)a.in[0];
  const float* bounds = (const float*)a.in[1];
  int* out = (int*)a.out[0];
  const long long n = a.in_shape[0][0], nb = a.in_shape[1][0];
  // The result is stored as i32; reference.cpp refuses larger boundary arrays.
  if (nb > 2147483647LL) __trap();
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float v = values[i];
  long long first = 0, count = nb;
  while (count > 0) {
    const long long step = count / 2;
    if (bounds[first + step] < v) {
      first += step + 1;
      count -= step + 1;
    } else {
      count = step;
    }
  }
  out[i] = (int)first;
}

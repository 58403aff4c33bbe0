// expect: crash | CUDA error
// Writes through a wild device pointer: an illegal-address fault, which poisons the CUDA
// context for good. The worker must report it and the next evaluation must get a fresh worker.
#include "kevo_cuda.h"
// kevo-launch: wild grid(1) block(32)
extern "C" __global__ void wild(kevo_cuda_args a) {
  float* p = (float*)a.out[0] + (1ll << 40);
  p[threadIdx.x] = 1.0f;
}

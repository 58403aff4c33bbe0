// expect: timeout | no return
// Spins forever. These GPUs have no watchdog: only killing the worker frees the device.
#include "kevo_cuda.h"
// kevo-launch: spin grid(1) block(32)
extern "C" __global__ void spin(kevo_cuda_args a) {
  volatile float* y = (volatile float*)a.out[0];
  while (y[0] == y[0] || true) y[1] = y[0];
}

/* Kevo CUDA launch-plan ABI.
 *
 * A CUDA kernel source in launch-plan form holds device code only: NVRTC (or nvcc -cubin)
 * compiles it to a cubin for the device's exact architecture, and the worker launches the
 * kernels named by its `// kevo-launch:` lines, in order, on one stream. Every launched kernel
 * takes exactly one parameter, this struct, by value:
 *
 *   extern "C" __global__ void softmax_rows(kevo_cuda_args a) { ... }
 *
 * Tensors are dense row-major device buffers, in the order of problem.json; shapes beyond a
 * tensor's rank are 0. Scalars are the problem's scalars, in order. `scratch` is device
 * memory of the size the source's `// kevo-scratch:` line asks for (NULL without one); the
 * harness fills it with garbage before every call, so nothing can be carried between calls.
 *
 * Only fixed-width plain types are used so that NVRTC needs no system header.
 */
#ifndef KEVO_CUDA_H
#define KEVO_CUDA_H

#define KEVO_CUDA_MAX_TENSORS 8
#define KEVO_CUDA_MAX_SCALARS 8
#define KEVO_CUDA_MAX_DIMS 4

typedef struct kevo_cuda_args {
  const void* in[KEVO_CUDA_MAX_TENSORS];
  void* out[KEVO_CUDA_MAX_TENSORS];
  long long in_shape[KEVO_CUDA_MAX_TENSORS][KEVO_CUDA_MAX_DIMS];
  long long out_shape[KEVO_CUDA_MAX_TENSORS][KEVO_CUDA_MAX_DIMS];
  long long scalar[KEVO_CUDA_MAX_SCALARS];
  void* scratch;
  long long scratch_bytes;
} kevo_cuda_args;

#endif /* KEVO_CUDA_H */

/* Kevo kernel ABI.
 *
 * Every kernel Kevo runs (a problem's reference, its baseline, and every candidate) is one
 * translation unit that exports `kevo_kernel` with this signature. The same ABI serves CPU,
 * CUDA and HIP, so references, baselines and candidates are interchangeable. Plain C so that
 * any compiler (g++, clang, nvcc, NVRTC, hipcc) can include it.
 */
#ifndef KEVO_ABI_H
#define KEVO_ABI_H

#include <stdint.h>
#include <string.h>

#define KEVO_ABI_VERSION 1
#define KEVO_MAX_DIMS 4

/* Element types a tensor can hold. KEVO_BF16 elements are uint16_t holding bfloat16: the top
 * 16 bits of an IEEE-754 binary32 (sign, 8 exponent bits, 7 mantissa bits). */
enum kevo_dtype {
  KEVO_F32 = 0,
  KEVO_F64 = 1,
  KEVO_I32 = 2,
  KEVO_I64 = 3,
  KEVO_BF16 = 4,
  KEVO_F16 = 5
};

/* The bf16 conversions the harness uses (input generation, output checks) and the bundled
 * kernels may use. Widening is exact. Narrowing rounds to nearest, ties to even, subnormals
 * included (as CUDA's __float2bfloat16_rn does); overflow gives Inf, and a NaN stays a NaN (made
 * quiet, sign kept). */
static inline float kevo_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint16_t kevo_f32_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

/* A tensor descriptor. Bundled problems pass dense row-major tensors; strides are in
 * elements, not bytes, and shape/strides beyond ndim are zero. */
typedef struct kevo_tensor {
  void* data;
  int32_t dtype;
  int32_t ndim;
  int64_t shape[KEVO_MAX_DIMS];
  int64_t strides[KEVO_MAX_DIMS];
} kevo_tensor;

/* A scalar argument: both views are filled (f = (double)i for integer scalars). */
typedef struct kevo_scalar {
  int64_t i;
  double f;
} kevo_scalar;

/* The entry point. `stream` is NULL on the CPU, a cudaStream_t / hipStream_t on a GPU.
 * Return 0 on success; any other value is reported as a failed run.
 * Rules the harness enforces: write every element of every output; never write inputs;
 * leave no thread or child running when returning. */
#ifdef __cplusplus
extern "C"
#endif
    int
    kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                int32_t n_outputs, const kevo_scalar* scalars, int32_t n_scalars, void* stream);

#endif /* KEVO_ABI_H */

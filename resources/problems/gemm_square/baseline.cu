// CUDA baseline for gemm_square: what a user calls, cuBLAS cublasSgemm in plain FP32 (alpha = 1,
// beta = 0). cuBLAS is column-major: a row-major C[M,N] is a column-major C^T[N,M], and
// C^T = B^T A^T, so the row-major product is obtained by passing B first and A second, no
// transposes, with the row-major leading dimensions (N for B and C, K for A).
// The handle keeps cuBLAS's default math mode, CUBLAS_DEFAULT_MATH: for cublasSgemm it computes in FP32
// on the CUDA cores and never rounds the inputs to TF32 (that takes CUBLAS_TF32_TENSOR_OP_MATH,
// which the tolerance rejects), and it is what a user gets; CUBLAS_PEDANTIC_MATH would also
// exclude TF32 but may pick slower kernels, which would understate the baseline.
// A tuned, tiled FP32 kernel on the CUDA cores: a hard baseline to beat without tensor cores.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kevo_abi.h"

namespace {

// One handle for the life of the library: cublasCreate allocates device state and is far too
// slow to pay on every call. Kevo calls the kernel from one thread, so no lock is needed. It is
// not destroyed: at unload the CUDA context may already be gone, and the process exits anyway.
cublasHandle_t handle = nullptr;

}  // namespace

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void* stream) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* a = static_cast<const float*>(inputs[0].data);
  const float* b = static_cast<const float*>(inputs[1].data);
  float* c = static_cast<float*>(outputs[0].data);
  const int64_t m = inputs[0].shape[0], k = inputs[0].shape[1], n = inputs[1].shape[1];
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) return 2;
  if (handle == nullptr) {
    cublasHandle_t h = nullptr;
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) return 3;
    handle = h;
  }
  if (cublasSetStream(handle, static_cast<cudaStream_t>(stream)) != CUBLAS_STATUS_SUCCESS)
    return 4;
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  const float alpha = 1.0f, beta = 0.0f;
  if (cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, ni, mi, ki, &alpha, b, ni, a, ki, &beta, c,
                  ni) != CUBLAS_STATUS_SUCCESS)
    return 5;
  return 0;
}

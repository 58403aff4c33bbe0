// CUDA baseline for gemm_bf16: what a user calls, cuBLAS cublasGemmEx with bf16 A and B
// (CUDA_R_16BF), an fp32 C (CUDA_R_32F) and CUBLAS_COMPUTE_32F (fp32 accumulation, alpha = 1,
// beta = 0), the call behind torch.matmul on bf16 tensors with an fp32 result. cuBLAS is
// column-major: a row-major C[M,N] is a column-major C^T[N,M], and C^T = B^T A^T, so the
// row-major product is obtained by passing B first and A second, no transposes, with the
// row-major leading dimensions (N for B and C, K for A).
// With bf16 inputs and fp32 compute, cuBLAS's default math mode runs on the tensor cores (HMMA on
// Ampere, wgmma on Hopper), with fp32 accumulators; CUBLAS_GEMM_DEFAULT lets its heuristics pick
// the kernel. A tuned tensor-core GEMM: the bar that recipes are measured against.
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
  if (inputs[0].dtype != KEVO_BF16 || inputs[1].dtype != KEVO_BF16 || outputs[0].dtype != KEVO_F32)
    return 2;
  const void* a = inputs[0].data;
  const void* b = inputs[1].data;
  void* c = outputs[0].data;
  const int64_t m = inputs[0].shape[0], k = inputs[0].shape[1], n = inputs[1].shape[1];
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) return 3;
  if (handle == nullptr) {
    cublasHandle_t h = nullptr;
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) return 4;
    handle = h;
  }
  if (cublasSetStream(handle, static_cast<cudaStream_t>(stream)) != CUBLAS_STATUS_SUCCESS)
    return 5;
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  const float alpha = 1.0f, beta = 0.0f;
  if (cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, ni, mi, ki, &alpha, b, CUDA_R_16BF, ni, a,
                   CUDA_R_16BF, ki, &beta, c, CUDA_R_32F, ni, CUBLAS_COMPUTE_32F,
                   CUBLAS_GEMM_DEFAULT) != CUBLAS_STATUS_SUCCESS)
    return 6;
  return 0;
}

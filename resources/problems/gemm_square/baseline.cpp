// Baseline for gemm_square: what a user calls, OpenBLAS cblas_sgemm (row-major, no transposes,
// alpha = 1, beta = 0), with OpenBLAS's default threading (all cores unless OPENBLAS_NUM_THREADS
// says otherwise). A tuned, packed, multi-threaded kernel: a hard baseline to beat.
#include <cblas.h>

#include <cstdint>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* inputs, int32_t n_inputs, kevo_tensor* outputs,
                           int32_t n_outputs, const kevo_scalar*, int32_t, void*) {
  if (n_inputs != 2 || n_outputs != 1) return 1;
  const float* a = static_cast<const float*>(inputs[0].data);
  const float* b = static_cast<const float*>(inputs[1].data);
  float* c = static_cast<float*>(outputs[0].data);
  const int64_t m = inputs[0].shape[0], k = inputs[0].shape[1], n = inputs[1].shape[1];
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) return 2;
  // int, not blasint: the same call compiles against OpenBLAS's cblas.h and netlib's.
  const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mi, ni, ki, 1.0f, a, ki, b, ni, 0.0f, c,
              ni);
  return 0;
}

// expect: compile_error | kevo_kernel
// Compiles, but exports no kevo_kernel (C++ name mangling: extern "C" is missing).
#include "kevo_abi.h"
int kevo_kernel_typo(const kevo_tensor*, int32_t, kevo_tensor*, int32_t, const kevo_scalar*, int32_t, void*) {
  return 0;
}

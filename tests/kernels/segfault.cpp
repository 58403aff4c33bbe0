// expect: crash | SIGSEGV
// Dereferences a null pointer.
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor*, int32_t, kevo_tensor*, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  volatile float* p = nullptr;
  *p = 1.0f;
  return 0;
}

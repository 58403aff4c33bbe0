// expect: timeout | process group was killed
// Never returns.
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor*, int32_t, kevo_tensor*, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  for (volatile int i = 0;; i = i + 1) {
  }
  return 0;
}

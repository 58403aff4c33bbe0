// expect: wrong_answer | never wrote
// Returns at once: the outputs keep the poison the harness wrote before the call.
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor*, int32_t, kevo_tensor*, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  return 0;
}

// expect: crash | exited with code 7
// Calls exit() in the middle of a call.
#include <cstdlib>
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor*, int32_t, kevo_tensor*, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  std::exit(7);
}

// expect: crash | SIGABRT
// Calls abort(), as a failed assert would.
#include <cstdio>
#include <cstdlib>
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor*, int32_t, kevo_tensor*, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  std::fprintf(stderr, "kernel: giving up\n");
  std::abort();
}

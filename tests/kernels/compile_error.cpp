// expect: compile_error | line 6
// Does not compile: the diagnostic must point at the line.
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  return undefined_variable + in[0].ndim + out[0].ndim;
}

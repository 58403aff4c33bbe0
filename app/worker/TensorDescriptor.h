// A kevo_tensor from the parent's JSON descriptor (dtype, dense row-major shape) over `data`:
// host memory in the arena, or a device buffer in the worker's device mode.
#pragma once

#include <nlohmann/json.hpp>

#include "abi/kevo_abi.h"

namespace kevo::worker {

inline kevo_tensor tensorFromDescriptor(void* data, const nlohmann::json& d) {
  kevo_tensor t{};
  t.data = data;
  t.dtype = d.at("dtype").get<int32_t>();
  const auto& shape = d.at("shape");
  t.ndim = int32_t(shape.size());
  int64_t stride = 1;
  for (int k = t.ndim - 1; k >= 0; --k) {
    t.shape[k] = shape[size_t(k)].get<int64_t>();
    t.strides[k] = stride;
    stride *= t.shape[k];
  }
  return t;
}

}  // namespace kevo::worker

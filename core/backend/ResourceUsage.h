// What ptxas reports about each CUDA kernel it built (registers, spills, stack, static shared
// memory): Kevo's profile when Nsight Compute is not there, and the first thing to read when a
// kernel is slower than its roofline floor says it could be (local-memory spills add traffic).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kevo::backend {

struct KernelResources {
  std::string kernel;
  int registers = 0;
  int64_t stackBytes = 0, spillStoreBytes = 0, spillLoadBytes = 0;
  int64_t staticSharedBytes = 0;
  int barriers = 0;
  nlohmann::json toJson() const;
  std::string describe() const;  // "k: 157 registers, no spills, 8192 B static shared memory"
};

// Parses the `ptxas info` lines of an NVRTC or nvcc log built with --ptxas-options=-v.
std::vector<KernelResources> parsePtxasResources(const std::string& log);

}  // namespace kevo::backend

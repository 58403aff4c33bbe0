// The CUDA backend's build step (docs/cuda-backend.md). A source in launch-plan form (it has
// `// kevo-launch:` lines) is compiled by NVRTC, in-process, to a cubin for the device's exact
// architecture; with `useNvcc` (or `KEVO_CUDA_COMPILER=nvcc`) nvcc -cubin builds it instead. A
// source in library form (a host kevo_kernel) is built by nvcc into a shared library. Both
// share the CPU backend's content-hash cache and its diagnostics records.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "backend/CpuCompiler.h"

namespace kevo::backend {

class CudaCompiler {
 public:
  // `arch`: "sm_90a", "sm_80", ... (GpuDeviceInfo::arch() on a GPU machine).
  CudaCompiler(std::filesystem::path cacheDir, std::string arch, bool useNvcc = false);

  // Throws std::invalid_argument for a refused flag or library, std::runtime_error when the
  // toolkit (nvcc, NVRTC) is missing. A malformed launch line is a failed build with a
  // diagnostic at its line.
  BuildResult build(const BuildRequest& request);

  const std::string& arch() const { return arch_; }
  // Empty when every flag is acceptable, else why the first bad one is refused.
  static std::string checkFlags(const std::vector<std::string>& flags);
  static std::vector<std::string> defaultNvrtcOptions(const std::string& arch);

 private:
  BuildResult buildCubinWithNvrtc(const BuildRequest& request);
  BuildResult buildWithNvcc(const BuildRequest& request, bool cubin);

  std::filesystem::path cacheDir_;
  std::string arch_;
  bool useNvcc_;
};

// nvcc/NVRTC messages ("kernel.cu(12): error: ...", "ptxas error : ...") plus the host
// compiler's gcc-style ones.
std::vector<CompileDiagnostic> parseNvccDiagnostics(const std::string& output);

}  // namespace kevo::backend

// Where the CUDA toolkit is (nvcc, headers, NVRTC) and NVRTC itself, loaded with dlopen so that
// Kevo builds and runs on machines without CUDA; what is missing is said plainly when a CUDA
// build is asked for.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kevo::backend {

struct CudaToolkit {
  std::filesystem::path home;  // holds bin/nvcc and include/
  std::filesystem::path nvcc() const { return home / "bin" / "nvcc"; }
  std::filesystem::path includeDir() const { return home / "include"; }
};

// $KEVO_CUDA_HOME, $CUDA_HOME, $CUDA_PATH, the nvcc on PATH, /usr/local/cuda: the first that
// holds bin/nvcc. nullopt when none does.
std::optional<CudaToolkit> findCudaToolkit();

struct NvrtcOutput {
  bool ok = false;
  std::string log;
  std::string cubin;  // bytes
};

// NVRTC loaded from the toolkit (or the system library path). Thread-safe: each compile is
// its own program.
class Nvrtc {
 public:
  // Throws std::runtime_error when libnvrtc cannot be loaded, naming where it looked.
  static const Nvrtc& instance();
  std::string version() const;  // "13.0"
  NvrtcOutput compile(const std::string& source, const std::string& name,
                      const std::vector<std::string>& options) const;

 private:
  Nvrtc() = default;
  struct Api;
  const Api* api_ = nullptr;
};

}  // namespace kevo::backend

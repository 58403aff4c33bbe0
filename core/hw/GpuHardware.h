// What Kevo knows about GPU 0: the driver's facts plus ceilings measured on it
// (docs/cuda-backend.md): device-to-device copy bandwidth in DRAM and in L2, the FP32 FMA rate of a
// plain CUDA kernel, and cuBLAS SGEMM and bf16 GEMM rates. The roofline floor of every GPU
// evaluation comes from these measured numbers. The probe runs in kevo-worker's probe mode (trusted
// code only) and the result is cached per device and driver in the cache directory.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace kevo::hw {

struct GpuHardware {
  std::string name, arch;
  int multiprocessors = 0;
  int64_t l2Bytes = 0, memoryBytes = 0;
  int driverVersion = 0;
  double copyGBs = 0;         // 1 GiB cuMemcpyDtoD, bytes read + written
  double l2CopyGBs = 0;       // an L2-resident copy, same counting
  double fp32Gflops = 0;      // FMA chains in a CUDA kernel (FMA = 2 flops)
  double sgemmGflops = 0;     // cuBLAS SGEMM 4096^3, FP32 (no TF32); 0 when cuBLAS is missing
  double bf16GemmGflops = 0;  // cuBLAS bf16 GEMM 8192^3 (tensor cores); 0 when cuBLAS is missing
  std::string probedAt;
  double probeSeconds = 0;
  nlohmann::json toJson() const;
  static GpuHardware fromJson(const nlohmann::json& j);  // throws on a missing field
};

// The cached result for this GPU and driver, or a fresh probe (`reprobe`, or none cached).
// Throws std::runtime_error when there is no GPU, no CUDA toolkit to build the probe kernel,
// or the probe fails.
GpuHardware loadOrProbeGpu(const std::filesystem::path& cacheDir,
                           const std::filesystem::path& workerExe, bool reprobe);

// The FMA-rate kernel the probe launches (launch-plan form; compiled by the CUDA backend).
const char* gpuFmaProbeSource();

}  // namespace kevo::hw

#include "hw/GpuHardware.h"

#include <chrono>
#include <sstream>
#include <stdexcept>

#include "backend/BuildCache.h"
#include "backend/CudaCompiler.h"
#include "gpu/CudaDriver.h"
#include "hw/HardwareProbe.h"
#include "util/Subprocess.h"

namespace kevo::hw {

namespace fs = std::filesystem;
using nlohmann::json;

const char* gpuFmaProbeSource() {
  // Eight independent FMA chains per thread hide the FMA latency; the result is stored so the
  // compiler cannot drop the loop. ITERS * 8 * 2 flops per thread.
  return R"(#include "kevo_cuda.h"
#define ITERS 4096
// kevo-launch: fma_rate grid(N) block(256)
extern "C" __global__ void fma_rate(kevo_cuda_args a) {
  float x[8];
  float m = 1.0f + 1e-7f * threadIdx.x, c = 1e-8f;
  for (int k = 0; k < 8; ++k) x[k] = 0.5f * k + threadIdx.x * 1e-3f;
#pragma unroll 16
  for (int i = 0; i < ITERS; ++i)
#pragma unroll
    for (int k = 0; k < 8; ++k) x[k] = fmaf(x[k], m, c);
  float s = 0;
  for (int k = 0; k < 8; ++k) s += x[k];
  ((float*)a.out[0])[blockIdx.x * blockDim.x + threadIdx.x] = s;
}
)";
}

json GpuHardware::toJson() const {
  return {{"name", name},
          {"arch", arch},
          {"multiprocessors", multiprocessors},
          {"l2_bytes", l2Bytes},
          {"memory_bytes", memoryBytes},
          {"driver_version", driverVersion},
          {"copy_gbs", copyGBs},
          {"l2_copy_gbs", l2CopyGBs},
          {"fp32_gflops", fp32Gflops},
          {"sgemm_gflops", sgemmGflops},
          {"bf16_gemm_gflops", bf16GemmGflops},
          {"probed_at", probedAt},
          {"probe_seconds", probeSeconds}};
}

GpuHardware GpuHardware::fromJson(const json& j) {
  GpuHardware g;
  g.name = j.at("name");
  g.arch = j.at("arch");
  g.multiprocessors = j.at("multiprocessors");
  g.l2Bytes = j.at("l2_bytes");
  g.memoryBytes = j.at("memory_bytes");
  g.driverVersion = j.at("driver_version");
  g.copyGBs = j.at("copy_gbs");
  g.l2CopyGBs = j.at("l2_copy_gbs");
  g.fp32Gflops = j.at("fp32_gflops");
  g.sgemmGflops = j.value("sgemm_gflops", 0.0);
  g.bf16GemmGflops = j.value("bf16_gemm_gflops", 0.0);
  g.probedAt = j.value("probed_at", "");
  g.probeSeconds = j.value("probe_seconds", 0.0);
  return g;
}

GpuHardware loadOrProbeGpu(const fs::path& cacheDir, const fs::path& workerExe, bool reprobe) {
  gpu::GpuDeviceInfo info = gpu::queryGpuDevice();
  std::string key = info.name + "-drv" + std::to_string(info.driverVersion);
  for (char& c : key)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
  fs::path cacheFile = cacheDir / ("gpu-" + key + ".json");
  if (!reprobe && fs::exists(cacheFile)) {
    try {
      return GpuHardware::fromJson(json::parse(backend::readTextFile(cacheFile)));
    } catch (const std::exception&) {
      // A damaged cache is probed again.
    }
  }
  auto start = std::chrono::steady_clock::now();
  backend::CudaCompiler compiler(cacheDir, info.arch());
  backend::BuildRequest request;
  request.source = gpuFmaProbeSource();
  request.sourceName = "fma_probe.cu";
  auto build = compiler.build(request);
  if (!build.ok) throw std::runtime_error("the GPU probe kernel does not compile:\n" + build.log);
  int blocks = info.multiprocessors * 16;
  auto run = util::runSubprocess(
      {workerExe.string(), "--gpu-probe", build.library.string(), std::to_string(blocks)}, 300);
  if (!run.started) throw std::runtime_error("cannot run the GPU probe: " + run.error);
  if (run.exitCode != 0)
    throw std::runtime_error("the GPU probe failed (exit " + std::to_string(run.exitCode) + "):\n" +
                             run.output);
  // The probe prints its result as the last line (the driver may print before it).
  json m;
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.front() == '{') m = json::parse(line, nullptr, false);
  if (!m.is_object()) throw std::runtime_error("the GPU probe printed no result: " + run.output);
  GpuHardware g;
  g.name = info.name;
  g.arch = info.arch();
  g.multiprocessors = info.multiprocessors;
  g.l2Bytes = info.l2Bytes;
  g.memoryBytes = info.memoryBytes;
  g.driverVersion = info.driverVersion;
  g.copyGBs = m.at("copy_gbs");
  g.l2CopyGBs = m.at("l2_copy_gbs");
  g.fp32Gflops = m.at("fp32_gflops");
  g.sgemmGflops = m.value("sgemm_gflops", 0.0);
  g.bf16GemmGflops = m.value("bf16_gemm_gflops", 0.0);
  g.probedAt = isoUtcNow();
  g.probeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fs::create_directories(cacheDir);
  backend::writeTextFile(cacheFile, g.toJson().dump(2));
  return g;
}

}  // namespace kevo::hw

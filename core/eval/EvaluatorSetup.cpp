#include "eval/EvaluatorSetup.h"

#include <filesystem>
#include <stdexcept>

#include "hw/GpuHardware.h"
#include "util/Paths.h"

namespace kevo::eval {

namespace {

// The CPU's bf16 rate from its measured fp32 FMA peak and the instruction rates: AVX512-BF16's
// vdpbf16ps does two multiply-adds per fp32 lane at the FMA's throughput (2x), an AMX tile
// multiply 1024 bf16 multiply-adds per cycle per core against 32 fp32 FMAs (32x). An upper
// bound: a real kernel reaches less, which only makes the floor more permissive.
double cpuBf16Gflops(const hw::HardwareInfo& cpu) {
  if (cpu.hasIsa("amx_bf16")) return 32 * cpu.peakGflops;
  if (cpu.hasIsa("avx512_bf16")) return 2 * cpu.peakGflops;
  return 0;
}

}  // namespace

EvaluatorConfig evaluatorConfigFor(const std::string& backend, const hw::HardwareInfo& cpu) {
  if (backend != "cpu" && backend != "cuda")
    throw std::invalid_argument("unknown backend \"" + backend + "\" (known: cpu, cuda)");
  EvaluatorConfig config;
  config.workerExe = defaultWorkerPath();
  if (!std::filesystem::exists(config.workerExe))
    throw std::runtime_error("kevo-worker not found at " + config.workerExe.string() +
                             " (set KEVO_WORKER to its path)");
  config.cacheDir = util::cacheDir();
  if (backend == "cpu") {
    config.ceilings = {cpu.dramBandwidthGBs, cpu.cacheBandwidthGBs, cpu.peakGflops};
    config.ceilings.tensorGflops = cpuBf16Gflops(cpu);
    if (cpu.llcBytes > 0) config.llcBytes = cpu.llcBytes;
    return config;
  }
  hw::GpuHardware gpu;
  try {
    gpu = hw::loadOrProbeGpu(config.cacheDir, config.workerExe, false);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the cuda backend: ") + e.what());
  }
  config.backend = "cuda";
  config.cudaArch = gpu.arch;
  config.llcBytes = gpu.l2Bytes;
  config.ceilings = {gpu.copyGBs, gpu.l2CopyGBs, gpu.fp32Gflops};
  config.ceilings.tensorGflops = gpu.bf16GemmGflops;
  return config;
}

profile::Ceilings ceilingsForProblem(const profile::Ceilings& c, const problem::Problem& p) {
  bool bf16 = false;
  for (const auto& t : p.inputs) bf16 |= t.dtype == problem::DType::BF16;
  if (!bf16 || c.tensorGflops <= c.peakGflops) return c;
  profile::Ceilings r = c;
  r.peakGflops = c.tensorGflops;
  r.peakName = "bf16 peak";
  return r;
}

}  // namespace kevo::eval

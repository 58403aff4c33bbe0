#include "eval/EvaluatorSetup.h"

#include <filesystem>
#include <stdexcept>

#include "hw/GpuHardware.h"
#include "util/Paths.h"

namespace kevo::eval {

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
  return config;
}

}  // namespace kevo::eval

// kevo-cli hw [--reprobe]
#include <iostream>

#include "CliSupport.h"
#include "Commands.h"
#include "eval/Evaluator.h"
#include "hw/GpuHardware.h"
#include "hw/HardwareProbe.h"
#include "util/Paths.h"

namespace kevo::cli {

int runHwCommand(const std::vector<std::string>& argv) {
  Args args(argv, {"backend"}, {"json", "reprobe"});
  if (!args.positional().empty()) throw UsageError("hw takes no arguments");
  std::string backend = args.value("backend").value_or("cpu");
  if (backend == "cuda") {
    hw::GpuHardware g;
    try {
      g = hw::loadOrProbeGpu(util::cacheDir(), eval::defaultWorkerPath(), args.flag("reprobe"));
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("--backend cuda: ") + e.what());
    }
    if (args.flag("json")) {
      printJson(g.toJson());
      return kExitOk;
    }
    printTable(
        {{"gpu", g.name + " (" + g.arch + ", " + std::to_string(g.multiprocessors) + " SMs)"},
         {"memory", formatFixed(double(g.memoryBytes) / (1 << 30), 1) + " GiB, L2 " +
                        std::to_string(g.l2Bytes >> 20) + " MiB"},
         {"driver", std::to_string(g.driverVersion / 1000) + "." +
                        std::to_string(g.driverVersion % 1000 / 10)},
         {"copy bandwidth",
          formatFixed(g.copyGBs, 0) + " GB/s (1 GiB device-to-device, read + write)"},
         {"L2 copy bandwidth", formatFixed(g.l2CopyGBs, 0) + " GB/s (8 MiB copies)"},
         {"fp32 FMA", formatFixed(g.fp32Gflops, 0) + " GFLOP/s (CUDA cores)"},
         {"cuBLAS SGEMM",
          g.sgemmGflops > 0 ? formatFixed(g.sgemmGflops, 0) + " GFLOP/s (4096^3, FP32)" : "-"},
         {"cuBLAS bf16 GEMM", g.bf16GemmGflops > 0 ? formatFixed(g.bf16GemmGflops, 0) +
                                                         " GFLOP/s (8192^3, tensor cores)"
                                                   : "-"},
         {"probed", g.probedAt + " in " + formatFixed(g.probeSeconds, 1) + " s"}});
    return kExitOk;
  }
  if (backend != "cpu") throw UsageError("unknown backend \"" + backend + "\" (known: cpu, cuda)");
  hw::HardwareInfo info = machineHardware(args.flag("reprobe"));
  if (args.flag("json")) {
    nlohmann::json j = hw::toJson(info);
    j["cache_file"] =
        hw::hardwareCacheFile(hw::defaultHardwareCacheDir(), info.machineKey).string();
    printJson(j);
    return kExitOk;
  }
  std::string isa;
  for (const auto& i : info.isa) isa += (isa.empty() ? "" : " ") + i;
  std::string caches;
  for (const auto& c : info.caches) {
    if (c.type == "Instruction") continue;
    std::string size = c.sizeBytes >= (1 << 20) ? std::to_string(c.sizeBytes >> 20) + " MiB"
                                                : std::to_string(c.sizeBytes >> 10) + " KiB";
    caches += (caches.empty() ? "" : ", ") + std::string("L") + std::to_string(c.level) + " " +
              size + (c.instances > 1 ? " x" + std::to_string(c.instances) : "");
  }
  double ridge = info.dramBandwidthGBs > 0 ? info.peakGflops / info.dramBandwidthGBs : 0;
  printTable({
      {"cpu", info.cpuModel},
      {"cores", std::to_string(info.physicalCores) + " physical, " +
                    std::to_string(info.logicalCores) + " logical"},
      {"isa", isa},
      {"caches", caches},
      {"memory bandwidth",
       formatFixed(info.dramBandwidthGBs, 1) + " GB/s (all cores, triad, working set 8x LLC)"},
      {"memory read bw",
       formatFixed(info.dramReadBandwidthGBs, 1) + " GB/s (all cores, read only)"},
      {"cache bandwidth",
       formatFixed(info.cacheBandwidthGBs, 1) + " GB/s (all cores, L1-resident reads)"},
      {"peak fp32", formatFixed(info.peakGflops, 1) + " GFLOP/s all cores, " +
                        formatFixed(info.peakGflopsSingleCore, 1) + " one core (" + info.peakIsa +
                        " FMA)"},
      {"ridge point", formatFixed(ridge, 1) + " FLOP/byte (from DRAM)"},
      {"probed", info.probedAt + " in " + formatFixed(info.probeSeconds, 1) +
                     " s (kevo-cli hw --reprobe measures again)"},
  });
  return kExitOk;
}

}  // namespace kevo::cli

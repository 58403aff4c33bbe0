// kevo-cli hw [--reprobe]
#include <iostream>

#include "CliSupport.h"
#include "Commands.h"
#include "hw/HardwareProbe.h"

namespace kevo::cli {

int runHwCommand(const std::vector<std::string>& argv) {
  Args args(argv, {}, {"json", "reprobe"});
  if (!args.positional().empty()) throw UsageError("hw takes no arguments");
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

// HardwareInfo: what Kevo knows about the machine it runs on. There are two parts: static facts
// (CPU model, cores, ISA extensions, caches), read from /proc and sysfs, and measured ceilings
// (DRAM and L1 bandwidth, peak fp32 FLOP/s), which the roofline, the bottleneck diagnosis and
// the evaluator's "faster than physically possible" check use. It is filled in by
// hw/HardwareProbe.h and cached on disk as JSON (toJson / hardwareFromJson).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kevo::hw {

// One cache of one CPU, as sysfs describes it (/sys/devices/system/cpu/cpuN/cache/indexK).
struct CacheLevel {
  int level = 0;
  std::string type;       // "Data", "Instruction" or "Unified"
  int64_t sizeBytes = 0;  // size of one instance
  int sharedByCpus = 1;   // logical CPUs that share one instance
  int instances = 1;      // distinct instances across the CPUs this process may run on
};

struct HardwareInfo {
  // Static facts (describeHardware).
  std::string
      machineKey;        // stable id: cpu model + logical cores + cache sizes (keys the cache file)
  std::string cpuModel;  // /proc/cpuinfo "model name"
  int logicalCores = 0;  // CPUs in this process's affinity mask
  int physicalCores = 0;         // distinct (package, core) pairs among those CPUs
  std::vector<std::string> isa;  // subset of sse4_2 avx avx2 fma f16c avx512f avx512dq avx512bw
                                 // avx512vl avx512_bf16 avx512_vnni avx512_fp16 avx_vnni amx ...
  std::vector<CacheLevel> caches;
  int64_t llcBytes = 0;  // last-level cache: size of one instance x instances (what all cores see)

  // Measured ceilings (probeHardware). Bandwidths count bytes read + bytes written.
  double dramBandwidthGBs = 0;      // all cores, working set >= 8x LLC, STREAM-triad a = b + s*c;
                                    // best of regular and non-temporal stores, best of several runs
  double dramReadBandwidthGBs = 0;  // all cores, same working set, read only (a reduction)
  double cacheBandwidthGBs = 0;     // all cores, 16 KiB per thread (L1-resident), read only
  double peakGflops = 0;            // fp32 FMA, one thread per physical core, widest ISA; FMA = 2
  double peakGflopsSingleCore = 0;  // the same on one core
  std::string peakIsa;              // kernel used for the FLOP/s numbers: avx512f, avx2+fma, ...
  std::string probedAt;             // ISO-8601 UTC, e.g. 2025-01-31T12:00:00Z; empty if not probed
  double probeSeconds = 0;          // how long probeHardware took

  bool hasIsa(const std::string& name) const;
  bool isProbed() const;  // measured ceilings are present, positive and finite
};

// Bumped when the JSON layout or the measurement method changes, so stale caches are re-probed.
inline constexpr int kHardwareInfoFormat = 1;

nlohmann::json toJson(const HardwareInfo& info);
// Throws std::runtime_error naming the missing or mistyped field, e.g. "caches[1].sizeBytes".
HardwareInfo hardwareFromJson(const nlohmann::json& j);

}  // namespace kevo::hw

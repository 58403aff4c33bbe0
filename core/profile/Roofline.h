// The roofline model of one call: the physical floor on its time from measured ceilings, where
// a measured time sits against it, and the bottleneck diagnosis in one sentence for the user.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kevo::profile {

// Measured machine ceilings (from the hardware probe).
struct Ceilings {
  double memoryGBs = 0;   // DRAM bandwidth, all cores: the floor for cold data
  double cacheGBs = 0;    // L1-resident bandwidth, all cores: the floor for warm data
  double peakGflops = 0;  // fp32 FMA, all cores
  // bf16 tensor-core rate (GPU: cuBLAS bf16 GEMM, measured); 0 where unknown or absent. Only
  // the problems whose math may run on tensor cores use it (eval::ceilingsForProblem).
  double tensorGflops = 0;
  std::string peakName = "FMA peak";  // what peakGflops is, in the diagnosis sentence
};

enum class Bottleneck { Memory, Compute, Latency };
const char* bottleneckName(Bottleneck b);  // memory-bound, compute-bound, latency-bound

struct RooflinePoint {
  double flops = 0, bytes = 0, seconds = 0;
  double bandwidthGBs = 0;  // the ceiling used for bytes (memory or cache)
  double floorSeconds = 0;  // max(flops / peak, bytes / bandwidth)
  std::string floorBound;   // "memory" or "compute": which term sets the floor
  double achievedGBs = 0, achievedGflops = 0;
  double fractionOfFloor = 0;  // floorSeconds / seconds: 1.0 means at the roofline
  double arithmeticIntensity = 0, ridgePoint = 0;
  Bottleneck bottleneck = Bottleneck::Latency;
  std::string explanation;  // one sentence
  nlohmann::json toJson() const;
};

// `cold`: the data comes from DRAM (the shape set is larger than the caches and rotated).
RooflinePoint analyzeRoofline(double flops, double bytes, double seconds, const Ceilings& c,
                              bool cold);

}  // namespace kevo::profile

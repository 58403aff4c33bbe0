#include "profile/Roofline.h"

#include <algorithm>
#include <cstdio>

namespace kevo::profile {

const char* bottleneckName(Bottleneck b) {
  switch (b) {
    case Bottleneck::Memory:
      return "memory-bound";
    case Bottleneck::Compute:
      return "compute-bound";
    case Bottleneck::Latency:
      return "latency-bound";
  }
  return "?";
}

namespace {
std::string format(const char* fmt, double a, double b = 0, double c = 0, double d = 0) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
  return buf;
}
}  // namespace

RooflinePoint analyzeRoofline(double flops, double bytes, double seconds, const Ceilings& c,
                              bool cold) {
  RooflinePoint r;
  r.flops = flops;
  r.bytes = bytes;
  r.seconds = seconds;
  r.bandwidthGBs = cold ? c.memoryGBs : c.cacheGBs;
  double memoryFloor = r.bandwidthGBs > 0 ? bytes / (r.bandwidthGBs * 1e9) : 0;
  double computeFloor = c.peakGflops > 0 ? flops / (c.peakGflops * 1e9) : 0;
  r.floorSeconds = std::max(memoryFloor, computeFloor);
  r.floorBound = computeFloor > memoryFloor ? "compute" : "memory";
  r.arithmeticIntensity = bytes > 0 ? flops / bytes : 0;
  r.ridgePoint = r.bandwidthGBs > 0 ? c.peakGflops / r.bandwidthGBs : 0;
  if (seconds <= 0) return r;
  r.achievedGBs = bytes / seconds / 1e9;
  r.achievedGflops = flops / seconds / 1e9;
  r.fractionOfFloor = r.floorSeconds / seconds;

  double bwShare = r.bandwidthGBs > 0 ? r.achievedGBs / r.bandwidthGBs : 0;
  double flopShare = c.peakGflops > 0 ? r.achievedGflops / c.peakGflops : 0;
  const char* level = cold ? "memory" : "cache";
  // Saturating a ceiling (half of it or more) names the bound; otherwise neither resource is
  // busy, so latency, dependency chains, too little parallelism or overhead limit the kernel.
  if (bwShare >= 0.5 && bwShare >= flopShare) {
    r.bottleneck = Bottleneck::Memory;
    r.explanation = format("Memory-bound: moves %.1f GB/s, %.0f%% of the measured %.1f GB/s ",
                           r.achievedGBs, 100 * bwShare, r.bandwidthGBs) +
                    level + " bandwidth; fewer bytes (fusion, fewer passes) is the way forward.";
  } else if (flopShare >= 0.5) {
    r.bottleneck = Bottleneck::Compute;
    r.explanation = format("Compute-bound: %.1f GFLOP/s, %.0f%% of the measured %.1f GFLOP/s ",
                           r.achievedGflops, 100 * flopShare, c.peakGflops) +
                    c.peakName +
                    "; more FMAs per cycle (vectors, accumulators, blocking) is the way forward.";
  } else {
    r.bottleneck = Bottleneck::Latency;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "Latency-bound: only %.0f%% of %s bandwidth and %.0f%% of %s are used, "
                  "so neither is the limit; more parallelism (threads, independent accumulators, "
                  "wider vectors) or less per-call overhead is the way forward.",
                  100 * bwShare, level, 100 * flopShare, c.peakName.c_str());
    r.explanation = buf;
  }
  return r;
}

nlohmann::json RooflinePoint::toJson() const {
  return {{"flops", flops},
          {"bytes", bytes},
          {"bandwidth_ceiling_gbs", bandwidthGBs},
          {"floor_seconds", floorSeconds},
          {"floor_bound", floorBound},
          {"achieved_gbs", achievedGBs},
          {"achieved_gflops", achievedGflops},
          {"fraction_of_floor", fractionOfFloor},
          {"arithmetic_intensity", arithmeticIntensity},
          {"ridge_point", ridgePoint},
          {"bottleneck", bottleneckName(bottleneck)},
          {"explanation", explanation}};
}

}  // namespace kevo::profile

// CeilingProbe: the micro-benchmarks behind HardwareInfo's measured ceilings (DRAM and L1
// bandwidth, peak fp32 FMA throughput). Internal to hw/: HardwareProbe decides which CPUs to use
// and how large the DRAM working set must be, then calls measureCeilings.
//
// The kernels are chosen at run time (__builtin_cpu_supports), so the numbers do not depend on
// the build's -march, and they are compiled with optimization and without sanitizer
// instrumentation even in Debug/ASan builds, so a debug build does not cache low ceilings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kevo::hw {

struct MeasuredCeilings {
  double dramBandwidthGBs = 0;      // triad, best of regular and non-temporal stores
  double dramReadBandwidthGBs = 0;  // read-only reduction over the same working set
  double cacheBandwidthGBs = 0;     // L1-resident read
  double peakGflops = 0;            // fp32 FMA, one thread per entry of coreCpus
  double peakGflopsSingleCore = 0;  // fp32 FMA, one unpinned thread
  std::string peakIsa;              // avx512f, avx2+fma, avx, sse2 or generic
};

struct CeilingProbeOptions {
  std::vector<int> cpus;      // bandwidth: one pinned thread per logical CPU (-1: unpinned)
  std::vector<int> coreCpus;  // FLOP/s: one pinned thread per physical core
  int64_t dramWorkingSetBytes = int64_t{256} << 20;  // all three triad arrays together
  double secondsPerRun = 0.02;  // each timed run is calibrated to last about this long
  int runs = 7;                 // timed runs per ceiling; the best one counts
};

MeasuredCeilings measureCeilings(const CeilingProbeOptions& options);

}  // namespace kevo::hw

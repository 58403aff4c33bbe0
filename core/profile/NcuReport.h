// What Nsight Compute measured for each kernel of a profiled call (`ncu --csv --page raw`):
// speed of light, DRAM throughput, occupancy, launch resources and the warp stall reasons,
// with a diagnosis in words. Parsed from the CSV ncu writes with --log-file; the metric names
// are Nsight Compute's (2023 on).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kevo::profile {

struct NcuKernelProfile {
  std::string name;
  std::string grid, block;                // "(65536, 1, 1)"
  std::optional<double> durationSeconds;  // gpu__time_duration.sum
  std::optional<double> computeSolPct;    // sm__throughput ... pct_of_peak_sustained_elapsed
  std::optional<double> memorySolPct;     // gpu__compute_memory_throughput ...
  std::optional<double> dramPct;          // gpu__dram_throughput (or dram__throughput) ...
  std::optional<double> dramGBs;          // dram__bytes.sum.per_second
  std::optional<double> achievedOccupancyPct;
  std::optional<double> theoreticalOccupancyPct;
  std::optional<double> registersPerThread;
  std::optional<double> sharedBytesPerBlock;  // static + dynamic
  // Cycles a warp spent stalled per issued instruction, by reason, largest first ("selected"
  // is the issuing itself and is left out).
  std::vector<std::pair<std::string, double>> stalls;
  std::string diagnosis;  // sentences for the user
  nlohmann::json toJson() const;
};

// Throws std::runtime_error naming what is missing when the text holds no ncu CSV table (ncu
// failed: its ==ERROR== / ==PROF== lines are quoted in the message).
std::vector<NcuKernelProfile> parseNcuCsv(const std::string& text);

// What a stall reason means and what usually helps, in one sentence.
std::string explainStall(const std::string& reason);

}  // namespace kevo::profile

#include "profile/NcuReport.h"

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace kevo::profile {

namespace {

// One CSV record: quoted fields may hold commas ("(256, 1, 1)", "1,234.5").
std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

std::optional<double> number(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), ','), text.end());
  if (text.empty() || text == "n/a") return std::nullopt;
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    return used == text.size() ? std::optional<double>(v) : std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The factor from a unit ncu prints to seconds, bytes or bytes per second.
double unitScale(const std::string& unit) {
  static const std::map<std::string, double> scale = {{"ns", 1e-9},
                                                      {"nsecond", 1e-9},
                                                      {"us", 1e-6},
                                                      {"usecond", 1e-6},
                                                      {"ms", 1e-3},
                                                      {"msecond", 1e-3},
                                                      {"s", 1},
                                                      {"second", 1},
                                                      {"byte", 1},
                                                      {"Kbyte", 1e3},
                                                      {"Mbyte", 1e6},
                                                      {"Gbyte", 1e9},
                                                      {"byte/block", 1},
                                                      {"Kbyte/block", 1e3},
                                                      {"byte/s", 1},
                                                      {"Kbyte/s", 1e3},
                                                      {"Mbyte/s", 1e6},
                                                      {"Gbyte/s", 1e9},
                                                      {"Tbyte/s", 1e12},
                                                      {"byte/second", 1},
                                                      {"Kbyte/second", 1e3},
                                                      {"Mbyte/second", 1e6},
                                                      {"Gbyte/second", 1e9},
                                                      {"Tbyte/second", 1e12}};
  auto it = scale.find(unit);
  return it == scale.end() ? 1 : it->second;
}

std::string percent(double v) {
  std::ostringstream s;
  s.precision(v < 10 ? 2 : 3);
  s << v << "%";
  return s.str();
}

std::string diagnose(const NcuKernelProfile& k) {
  std::ostringstream s;
  double mem = k.memorySolPct.value_or(0), sm = k.computeSolPct.value_or(0);
  if (mem >= 60 && mem >= sm) {
    s << "Memory-bound: " << percent(mem) << " of the memory speed of light";
    if (k.dramPct) s << " (DRAM " << percent(*k.dramPct);
    if (k.dramGBs) s << (k.dramPct ? ", " : " (") << int(*k.dramGBs) << " GB/s";
    if (k.dramPct || k.dramGBs) s << ")";
    s << ".";
    if (k.dramPct && *k.dramPct >= 80)
      s << " DRAM is near its peak: moving fewer bytes (fusion, narrower types) is what is left.";
  } else if (sm >= 60) {
    s << "Compute-bound: " << percent(sm) << " of the SM speed of light.";
  } else {
    s << "Latency-bound: neither memory (" << percent(mem) << ") nor compute (" << percent(sm)
      << ") is near its peak.";
  }
  if (k.achievedOccupancyPct && k.theoreticalOccupancyPct) {
    if (*k.theoreticalOccupancyPct < 50) {
      s << " Theoretical occupancy is only " << percent(*k.theoreticalOccupancyPct);
      if (k.registersPerThread) s << " (" << int(*k.registersPerThread) << " registers/thread";
      if (k.sharedBytesPerBlock)
        s << (k.registersPerThread ? ", " : " (") << int(*k.sharedBytesPerBlock)
          << " B shared/block";
      if (k.registersPerThread || k.sharedBytesPerBlock) s << ")";
      s << ".";
    }
    if (*k.achievedOccupancyPct < 0.7 * *k.theoreticalOccupancyPct)
      s << " Achieved occupancy " << percent(*k.achievedOccupancyPct) << " of a theoretical "
        << percent(*k.theoreticalOccupancyPct)
        << ": too few blocks, a tail wave, or uneven work per block.";
  }
  if (!k.stalls.empty())
    s << " Warps mostly stall on " << k.stalls.front().first << ": "
      << explainStall(k.stalls.front().first) << ".";
  return s.str();
}

}  // namespace

std::string explainStall(const std::string& reason) {
  static const std::map<std::string, std::string> why = {
      {"long_scoreboard",
       "waiting for global or local memory (L1TEX) results; more bytes in flight per thread "
       "(wider, independent loads) or more reuse helps"},
      {"short_scoreboard",
       "waiting for shared memory or special-function results; look for bank conflicts"},
      {"mio_throttle", "the shared-memory (MIO) queue is full; fewer, wider shared accesses help"},
      {"lg_throttle", "the global-memory (LSU) queue is full; 16-byte accesses mean fewer of them"},
      {"barrier",
       "waiting at __syncthreads: uneven work between a block's warps, or many barriers"},
      {"membar", "waiting on memory fences"},
      {"math_pipe_throttle", "a math pipe is saturated: the kernel is bound by that unit"},
      {"wait", "fixed-latency dependencies; more independent instructions per thread help"},
      {"not_selected", "ready, but another warp issued: plenty of parallelism, not a problem"},
      {"no_instruction", "instruction fetch: cache misses or branch targets not yet fetched"},
      {"branch_resolving", "resolving branches: divergent or frequent branches"},
      {"dispatch_stall", "the dispatcher could not issue (pipeline conflicts)"},
      {"drain", "stores draining to memory at the warp's exit"},
      {"imc_miss", "constant-cache misses"},
      {"tex_throttle", "the texture/L1TEX queue is full"},
      {"sleeping", "warps asleep (nanosleep, or waiting in a cluster barrier)"},
      {"misc", "miscellaneous reasons"}};
  auto it = why.find(reason);
  return it == why.end() ? "see Nsight Compute's warp state documentation" : it->second;
}

std::vector<NcuKernelProfile> parseNcuCsv(const std::string& text) {
  std::vector<std::string> lines, messages;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("==", 0) == 0)
      messages.push_back(line);
    else if (!line.empty())
      lines.push_back(line);
  }
  size_t header = lines.size();
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i].rfind("\"ID\",", 0) == 0) {
      header = i;
      break;
    }
  if (header + 1 >= lines.size()) {
    std::string said;
    for (const auto& m : messages) said += "\n  " + m;
    throw std::runtime_error(
        "Nsight Compute reported no kernel" +
        (said.empty() ? std::string(" (its output was empty)") : std::string(":") + said));
  }
  std::vector<std::string> names = splitCsv(lines[header]);
  std::vector<std::string> units = splitCsv(lines[header + 1]);
  bool haveUnits = !units.empty() && units[0].empty();
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < names.size(); ++i) column[names[i]] = i;
  static const std::regex stallPerIssue(
      R"(^smsp__average_warps_issue_stalled_(\w+)_per_issue_active\.ratio$)");
  static const std::regex stallLatency(
      R"(^smsp__average_warp_latency_issue_stalled_(\w+)\.ratio$)");

  std::vector<NcuKernelProfile> kernels;
  for (size_t row = header + (haveUnits ? 2 : 1); row < lines.size(); ++row) {
    std::vector<std::string> f = splitCsv(lines[row]);
    if (f.size() != names.size()) continue;
    auto text = [&](const char* name) -> std::string {
      auto it = column.find(name);
      return it == column.end() ? std::string() : f[it->second];
    };
    auto value = [&](std::initializer_list<const char*> candidates) -> std::optional<double> {
      for (const char* name : candidates) {
        auto it = column.find(name);
        if (it == column.end()) continue;
        auto v = number(f[it->second]);
        if (!v) continue;
        return *v * (haveUnits ? unitScale(units[it->second]) : 1);
      }
      return std::nullopt;
    };
    NcuKernelProfile k;
    k.name = text("Kernel Name");
    k.grid = text("Grid Size");
    k.block = text("Block Size");
    k.durationSeconds = value({"gpu__time_duration.sum"});
    k.computeSolPct = value({"sm__throughput.avg.pct_of_peak_sustained_elapsed"});
    k.memorySolPct = value({"gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed"});
    k.dramPct = value({"gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed",
                       "dram__throughput.avg.pct_of_peak_sustained_elapsed"});
    k.dramGBs = value({"dram__bytes.sum.per_second"});
    if (k.dramGBs) *k.dramGBs /= 1e9;
    k.achievedOccupancyPct = value({"sm__warps_active.avg.pct_of_peak_sustained_active"});
    k.theoreticalOccupancyPct = value({"sm__maximum_warps_per_active_cycle_pct"});
    k.registersPerThread = value({"launch__registers_per_thread"});
    auto staticShared = value({"launch__shared_mem_per_block_static"});
    auto dynamicShared = value({"launch__shared_mem_per_block_dynamic"});
    if (staticShared || dynamicShared)
      k.sharedBytesPerBlock = staticShared.value_or(0) + dynamicShared.value_or(0);
    for (const std::regex* pattern : {&stallPerIssue, &stallLatency}) {
      for (size_t i = 0; i < names.size(); ++i) {
        std::smatch m;
        if (!std::regex_match(names[i], m, *pattern) || m[1] == "selected") continue;
        if (auto v = number(f[i]); v && *v > 0) k.stalls.emplace_back(m[1], *v);
      }
      if (!k.stalls.empty()) break;
    }
    std::stable_sort(k.stalls.begin(), k.stalls.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    k.diagnosis = diagnose(k);
    kernels.push_back(std::move(k));
  }
  if (kernels.empty())
    throw std::runtime_error("Nsight Compute's table has a header but no kernel rows");
  return kernels;
}

nlohmann::json NcuKernelProfile::toJson() const {
  auto opt = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json stallList = nlohmann::json::array();
  for (const auto& [reason, cycles] : stalls)
    stallList.push_back({{"reason", reason}, {"cycles_per_issue", cycles}});
  return {{"kernel", name},
          {"grid", grid},
          {"block", block},
          {"duration_seconds", opt(durationSeconds)},
          {"compute_sol_pct", opt(computeSolPct)},
          {"memory_sol_pct", opt(memorySolPct)},
          {"dram_pct", opt(dramPct)},
          {"dram_gbs", opt(dramGBs)},
          {"achieved_occupancy_pct", opt(achievedOccupancyPct)},
          {"theoretical_occupancy_pct", opt(theoreticalOccupancyPct)},
          {"registers_per_thread", opt(registersPerThread)},
          {"shared_bytes_per_block", opt(sharedBytesPerBlock)},
          {"stalls", stallList},
          {"diagnosis", diagnosis}};
}

}  // namespace kevo::profile

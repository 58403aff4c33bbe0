// kevo-cli bench harness: what an evaluation costs beyond the kernel's own time, and how many
// evaluations a minute the harness sustains, for cached and for fresh builds. Method in
// docs/benchmarks.md.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <numeric>
#include <random>

#include "CliSupport.h"
#include "Commands.h"
#include "backend/LaunchPlan.h"
#include "problem/ProblemLibrary.h"

namespace kevo::cli {

namespace {

using eval::medianOf;

// The kernel a bench evaluates as its candidate: on the CPU the reference; on a GPU the naive
// CUDA baseline when it is a launch-plan kernel (an NVRTC build, like the search's candidates),
// else the CUDA reference.
std::string benchSource(const problem::Problem& p, bool cuda) {
  if (!cuda) return readTextFile(p.referenceCpu->source.string());
  if (p.baselineCuda) {
    std::string s = readTextFile(p.baselineCuda->source.string());
    if (backend::parseLaunchPlan(s).isLaunchPlanForm()) return s;
  }
  return p.referenceCuda ? readTextFile(p.referenceCuda->source.string()) : std::string();
}

}  // namespace

int runBenchCommand(const std::vector<std::string>& argv) {
  Args args(argv, {"problem", "evals", "shape-set", "backend"}, {"json"});
  if (args.positional().empty() || args.positional()[0] != "harness")
    throw UsageError("bench needs a target: kevo-cli bench harness");
  int evals = 5;
  if (auto n = args.value("evals")) evals = std::max(1, std::stoi(*n));
  std::string shapeSet = args.value("shape-set").value_or("inference");
  std::vector<std::filesystem::path> dirs;
  for (const auto& p : args.values("problem")) dirs.push_back(problem::resolveProblemDir(p));
  if (dirs.empty()) dirs = problem::bundledProblemDirs();

  hw::HardwareInfo info = machineHardware();
  std::string backendName = args.value("backend").value_or("cpu");
  eval::Evaluator evaluator = makeEvaluatorFor(backendName, info);
  bool cuda = evaluator.isCuda();
  std::mt19937_64 rng(std::random_device{}());
  bool json = args.flag("json");

  std::vector<std::vector<std::string>> rows = {
      {"problem", "fresh eval", "compile", "cached eval", "kernel time", "overhead"}};
  nlohmann::json perProblem = nlohmann::json::array();
  std::vector<double> allOverheads, allCachedWalls, allFreshWalls, allCompiles;
  for (const auto& dir : dirs) {
    problem::Problem p = problem::loadProblem(dir);
    if (!p.findShapeSet(shapeSet)) continue;
    std::string kernel = benchSource(p, cuda);
    if (kernel.empty()) continue;
    // Made unique so that the first build misses the cache.
    std::string source = kernel + "\n// kevo bench nonce " + std::to_string(rng()) + "\n";
    eval::EvalOptions options;
    options.shapeSets = {shapeSet};
    options.role = eval::KernelRole::Candidate;
    auto fresh = evaluator.evaluate(p, source, "bench", options);
    if (fresh.verdict != eval::Verdict::Ok) {
      std::cerr << p.id << ": " << fresh.detail << "\n";
      continue;
    }
    std::vector<double> walls, overheads, kernels;
    std::map<std::string, std::vector<double>> phases;
    for (int i = 0; i < evals; ++i) {
      auto r = evaluator.evaluate(p, source, "bench", options);
      walls.push_back(r.wallSeconds);
      kernels.push_back(r.kernelSeconds);
      overheads.push_back(r.wallSeconds - r.kernelSeconds);
      for (const auto& [name, seconds] : r.phaseSeconds) phases[name].push_back(seconds);
    }
    nlohmann::json phaseMedians = nlohmann::json::object();
    std::string phaseLine;
    for (const char* name : eval::kEvaluationPhases) {
      phaseMedians[name] = medianOf(phases[name]);
      phaseLine += std::string(phaseLine.empty() ? "" : ", ") + name + " " +
                   formatSeconds(phaseMedians[name].get<double>());
    }
    double freshOverhead = fresh.wallSeconds - fresh.kernelSeconds - fresh.build.compileSeconds;
    allOverheads.insert(allOverheads.end(), overheads.begin(), overheads.end());
    allCachedWalls.insert(allCachedWalls.end(), walls.begin(), walls.end());
    allFreshWalls.push_back(fresh.wallSeconds);
    allCompiles.push_back(fresh.build.compileSeconds);
    rows.push_back({p.id, formatSeconds(fresh.wallSeconds),
                    formatSeconds(fresh.build.compileSeconds), formatSeconds(medianOf(walls)),
                    formatSeconds(medianOf(kernels)), formatSeconds(medianOf(overheads))});
    perProblem.push_back({{"problem", p.id},
                          {"shape_set", shapeSet},
                          {"fresh_wall_seconds", fresh.wallSeconds},
                          {"fresh_compile_seconds", fresh.build.compileSeconds},
                          {"fresh_overhead_seconds", freshOverhead},
                          {"cached_wall_seconds_median", medianOf(walls)},
                          {"kernel_seconds_median", medianOf(kernels)},
                          {"overhead_seconds_median", medianOf(overheads)},
                          {"phase_seconds_median", phaseMedians},
                          {"cached_evals", evals}});
    if (!json) std::cerr << "  " << p.id << " (cached, medians): " << phaseLine << "\n";
  }
  double meanCached = allCachedWalls.empty()
                          ? 0
                          : std::accumulate(allCachedWalls.begin(), allCachedWalls.end(), 0.0) /
                                double(allCachedWalls.size());
  double meanFresh = allFreshWalls.empty()
                         ? 0
                         : std::accumulate(allFreshWalls.begin(), allFreshWalls.end(), 0.0) /
                               double(allFreshWalls.size());
  nlohmann::json summary = {
      {"overhead_seconds_median", medianOf(allOverheads)},
      {"overhead_seconds_max",
       allOverheads.empty() ? 0 : *std::max_element(allOverheads.begin(), allOverheads.end())},
      {"cached_evals_per_minute", meanCached > 0 ? 60 / meanCached : 0},
      {"fresh_evals_per_minute", meanFresh > 0 ? 60 / meanFresh : 0},
      {"compile_seconds_median", medianOf(allCompiles)},
      {"target_overhead_seconds", 0.05}};
  if (json) {
    printJson({{"hardware", hw::toJson(info)},
               {"backend", backendName},
               {"shape_set", shapeSet},
               {"summary", summary},
               {"problems", perProblem}});
  } else {
    printTable(rows);
    std::cout << "\noverhead per cached evaluation: median "
              << formatSeconds(medianOf(allOverheads)) << " (target <= 50 ms)\n"
              << "evaluations per minute: " << formatFixed(summary["cached_evals_per_minute"], 0)
              << " cached, " << formatFixed(summary["fresh_evals_per_minute"], 0)
              << " fresh (compile median " << formatSeconds(medianOf(allCompiles)) << ")\n"
              << "overhead = wall time of an evaluation minus the measured time of every kernel "
                 "call in it (reference, candidate, baseline)\n";
  }
  return kExitOk;
}

}  // namespace kevo::cli

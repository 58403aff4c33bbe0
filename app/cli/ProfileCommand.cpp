// kevo-cli profile: one CUDA kernel (a file, or a session's node) evaluated for correctness with
// its worker started under Nsight Compute; what ncu measured for each of its kernels, with a
// diagnosis (docs/cuda-backend.md#profiling).
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CliSupport.h"
#include "Commands.h"
#include "ToolRun.h"
#include "backend/LaunchPlan.h"
#include "eval/EvaluatorSetup.h"
#include "profile/NcuReport.h"
#include "store/NodeProfiles.h"

namespace kevo::cli {

namespace fs = std::filesystem;

namespace {

// The sandbox layers a profiling run leaves out, found by trying each on an H100 with ncu
// 2025.3: Nsight Compute's injected library opens files outside the worker's temp dir (Landlock
// stops it: "Failed to prepare kernel for profiling") and maps new code (the
// no-new-executable-memory filter stops it). The rest stays: user nobody, its own network
// namespace, the seccomp filter, limits, no_new_privs, not dumpable.
const char* const kDefaultRelax = "landlock,exec_memory";

std::string optionalText(const std::optional<double>& v, int decimals, const char* unit) {
  return v ? formatFixed(*v, decimals) + unit : "-";
}

}  // namespace

int runProfileCommand(const std::vector<std::string>& argv) {
  Args args(argv,
            {"problem", "source", "node", "shape-set", "seed", "ncu", "relax", "launches",
             "timeout", "report-out"},
            {"json", "best", "quiet"});
  bool quiet = args.flag("quiet");  // store in the session only (a search's own profile)
  ToolTarget target = resolveToolTarget(args, "profile");
  const problem::Problem& problem = target.problem;
  const std::string& source = target.source;
  const std::string& label = target.label;
  std::string shapeSet =
      args.value("shape-set")
          .value_or(problem.findShapeSet("training") ? "training" : problem.shapeSets.front().name);

  std::vector<std::string> relax = relaxedLayers(args, kDefaultRelax);
  auto ncu = findCudaTool("ncu", args.value("ncu"), "KEVO_NCU");
  if (!ncu)
    throw std::runtime_error(
        "Nsight Compute (ncu) was not found (--ncu PATH, $KEVO_NCU, the CUDA toolkit's bin/, "
        "PATH); without it `kevo-cli eval --backend cuda` still shows ptxas's kernel resources "
        "and the roofline");
  // The first call's launches: every kernel of a launch plan once; a library-form kernel's
  // first launches.
  size_t planLaunches = backend::parseLaunchPlan(source).launches.size();
  int launches = args.value("launches") ? std::stoi(*args.value("launches"))
                                        : int(planLaunches > 0 ? planLaunches : 8);

  char dirTemplate[] = "/tmp/kevo-ncu-XXXXXX";
  if (!mkdtemp(dirTemplate)) throw std::runtime_error("mkdtemp failed for the ncu report");
  fs::path dir = dirTemplate;
  fs::path log = dir / "ncu.csv";

  eval::EvaluatorConfig config = eval::evaluatorConfigFor("cuda", machineHardware());
  config.profilerWrapper = {ncu->string(), "--csv", "--page", "raw", "--log-file", log.string(),
                            "--section", "SpeedOfLight", "--section", "Occupancy", "--section",
                            "LaunchStats", "--section", "WarpStateStats", "--metrics",
                            "dram__bytes.sum.per_second", "--kernel-name-base", "function",
                            // Not the worker's own flush and poison kernels.
                            "--kernel-name", "regex:^(?!kevo_l2_flush$|kevo_fill64$)",
                            "--launch-count", std::to_string(launches)};
  config.sandboxRelax = relax;
  eval::Evaluator evaluator(config);

  eval::EvalOptions options;
  options.shapeSets = {shapeSet};
  options.timing = false;  // correctness only: ncu replays each kernel many times anyway
  options.timeBaseline = false;
  options.role = target.role;
  options.extraFlags = target.flags;
  options.callTimeoutSeconds = 300;
  if (auto t = args.value("timeout")) options.callTimeoutSeconds = std::stod(*t);
  if (auto seed = args.value("seed")) options.seed = std::stoull(*seed);
  if (!args.flag("json") && !quiet)
    std::cerr << "profiling " << label << " on " << problem.id << "/" << shapeSet << " with "
              << ncu->string() << " (the call runs many times over; this takes a while)\n";
  eval::EvaluationResult result = evaluator.evaluate(problem, source, label, options);

  std::string report = fs::exists(log) ? readTextFile(log.string()) : std::string();
  if (auto keep = args.value("report-out")) std::ofstream(*keep) << report;
  std::vector<profile::NcuKernelProfile> kernels;
  std::string profileError;
  try {
    kernels = profile::parseNcuCsv(report);
  } catch (const std::exception& e) {
    profileError = e.what();
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  // A library-form kernel's launches can repeat over the calls: one row per distinct launch.
  std::vector<profile::NcuKernelProfile> distinct;
  for (auto& k : kernels) {
    bool seen = std::any_of(distinct.begin(), distinct.end(), [&](const auto& d) {
      return d.name == k.name && d.grid == k.grid && d.block == k.block;
    });
    if (!seen) distinct.push_back(std::move(k));
  }
  kernels = std::move(distinct);

  nlohmann::json kernelList = nlohmann::json::array();
  for (const auto& k : kernels) kernelList.push_back(k.toJson());
  // A session's node keeps its profile: the workbench's Profile tab shows it.
  if (!target.sessionFile.empty() && profileError.empty()) {
    auto store = store::SessionStore::open(target.sessionFile);
    store::StoredEvaluation e;
    e.problemId = problem.id;
    e.backend = "cuda";
    e.role = store::kProfileRole;
    e.label = label;
    e.source = source;
    e.sourceHash = result.build.key;
    e.verdict = eval::verdictName(result.verdict);
    e.result = {{"tool", "ncu"},           {"shape_set", shapeSet},     {"verdict", e.verdict},
                {"detail", result.detail}, {"sandbox", result.sandbox}, {"kernels", kernelList}};
    store.addEvaluation(e);
  }
  if (quiet) {
    if (!profileError.empty()) throw std::runtime_error(profileError);
  } else if (args.flag("json")) {
    nlohmann::json out = {
        {"problem", problem.id},     {"label", label},
        {"shape_set", shapeSet},     {"verdict", eval::verdictName(result.verdict)},
        {"detail", result.detail},   {"ncu", ncu->string()},
        {"sandbox", result.sandbox}, {"error", profileError},
        {"kernels", kernelList}};
    printJson(out);
  } else {
    std::cout << problem.id << " | " << label << " | " << shapeSet << " | verdict "
              << eval::verdictName(result.verdict)
              << (result.detail.empty() ? "" : ": " + result.detail) << "\n";
    if (!profileError.empty()) std::cout << profileError << "\n";
    for (const auto& k : kernels) {
      std::cout << "\nkernel " << k.name << "  grid " << k.grid << "  block " << k.block << "\n";
      printTable({{"duration", "compute SOL", "memory SOL", "DRAM", "DRAM GB/s", "occupancy",
                   "theoretical", "registers", "shared/block"},
                  {k.durationSeconds ? formatSeconds(*k.durationSeconds) : "-",
                   optionalText(k.computeSolPct, 1, "%"), optionalText(k.memorySolPct, 1, "%"),
                   optionalText(k.dramPct, 1, "%"), optionalText(k.dramGBs, 0, ""),
                   optionalText(k.achievedOccupancyPct, 1, "%"),
                   optionalText(k.theoreticalOccupancyPct, 1, "%"),
                   optionalText(k.registersPerThread, 0, ""),
                   optionalText(k.sharedBytesPerBlock, 0, " B")}});
      std::cout << "top stalls (cycles per issued instruction):";
      for (size_t i = 0; i < k.stalls.size() && i < 4; ++i)
        std::cout << (i ? ", " : " ") << k.stalls[i].first << " "
                  << formatFixed(k.stalls[i].second, 2);
      std::cout << "\n" << k.diagnosis << "\n";
    }
    std::cout << "\n(ncu locks the clocks to base and flushes caches before each replay: its "
                 "durations are not Kevo's timings)\n";
  }
  if (!profileError.empty()) return kExitEnvironment;
  return result.verdict == eval::Verdict::Ok ? kExitOk : kExitVerdict;
}

}  // namespace kevo::cli

// kevo-cli sanitize: compute-sanitizer (memcheck, racecheck, initcheck) on a CUDA kernel, a
// session's node, or a session's finalists: each tool runs the kernel's correctness calls in
// its worker, started under the sanitizer (docs/cuda-backend.md#sanitizing). It is 10-100x
// slower than a plain run, so it is for the kernels a person is about to trust, not for every
// candidate.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CliSupport.h"
#include "Commands.h"
#include "ToolRun.h"
#include "eval/EvaluatorSetup.h"
#include "problem/ProblemLibrary.h"
#include "profile/SanitizerReport.h"
#include "store/NodeProfiles.h"

namespace kevo::cli {

namespace fs = std::filesystem;

namespace {

// As for Nsight Compute (ProfileCommand.cpp): the injected library opens files outside the
// worker's temp dir and maps new code.
const char* const kDefaultRelax = "landlock,exec_memory";

struct SanitizeRun {
  std::string label;
  profile::SanitizerReport report;
  std::string verdict, detail, failure;  // failure: the sanitizer itself did not report
};

SanitizeRun runTool(const fs::path& sanitizer, const std::string& tool, const ToolTarget& t,
                    const std::string& shapeSet, const std::vector<std::string>& relax,
                    const hw::HardwareInfo& cpu, double timeout) {
  char dirTemplate[] = "/tmp/kevo-sanitize-XXXXXX";
  if (!mkdtemp(dirTemplate)) throw std::runtime_error("mkdtemp failed for the sanitizer's log");
  fs::path dir = dirTemplate;
  fs::path log = dir / "sanitizer.log";
  eval::EvaluatorConfig config = eval::evaluatorConfigFor("cuda", cpu);
  // API errors are not reported: the worker checks every driver call itself, and its own
  // probing calls (pinning, module loads with a fallback) may fail by design.
  // Device backtraces only: the host frames are the worker's own.
  config.profilerWrapper = {sanitizer.string(),
                            "--tool",
                            tool,
                            "--log-file",
                            log.string(),
                            "--print-limit",
                            "20",
                            "--report-api-errors",
                            "no",
                            "--show-backtrace",
                            "device"};
  config.sandboxRelax = relax;
  eval::Evaluator evaluator(config);
  eval::EvalOptions options;
  options.shapeSets = {shapeSet};
  options.timing = false;
  options.timeBaseline = false;
  options.role = t.role;
  options.extraFlags = t.flags;
  options.callTimeoutSeconds = timeout;
  auto result = evaluator.evaluate(t.problem, t.source, t.label, options);
  SanitizeRun run;
  run.label = t.label;
  run.verdict = eval::verdictName(result.verdict);
  run.detail = result.detail;
  try {
    run.report = profile::parseSanitizerLog(
        tool, fs::exists(log) ? readTextFile(log.string()) : std::string());
  } catch (const std::exception& e) {
    run.report.tool = tool;
    run.failure = e.what();
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return run;
}

}  // namespace

int runSanitizeCommand(const std::vector<std::string>& argv) {
  Args args(argv,
            {"problem", "source", "node", "finalists", "tool", "shape-set", "sanitizer", "relax",
             "timeout"},
            {"json", "best"});
  std::vector<ToolTarget> targets;
  if (auto k = args.value("finalists")) {
    if (args.positional().empty()) throw UsageError("--finalists needs a session FILE");
    std::string file = args.positional()[0];
    if (!fs::exists(file)) throw InputError(file + ": no such session file");
    auto store = store::SessionStore::open(file, store::OpenMode::ReadOnly);
    search::SearchConfig config = loadConfig(store, file);
    if (config.backend != "cuda")
      throw InputError(file + ": a " + config.backend + " session; sanitize runs on CUDA only");
    search::SearchTree tree = loadTree(store);
    std::vector<const search::SearchNode*> ok;
    for (const auto& [id, n] : tree.nodes())
      if (n.ok()) ok.push_back(&n);
    std::sort(ok.begin(), ok.end(), [](auto* a, auto* b) { return a->score > b->score; });
    ok.resize(std::min(ok.size(), size_t(std::max(1, std::stoi(*k)))));
    if (ok.empty()) throw InputError(file + ": no correct kernel in this session yet");
    problem::Problem problem = problem::loadProblem(problem::resolveProblemDir(config.problem));
    for (const auto* n : ok) {
      ToolTarget t;
      t.problem = problem;
      t.source = n->source;
      t.label = store::profileLabel(n->id);
      t.flags = n->flags;
      t.sessionFile = file;
      t.nodeId = n->id;
      targets.push_back(std::move(t));
    }
  } else {
    targets.push_back(resolveToolTarget(args, "sanitize"));
  }
  std::vector<std::string> tools;
  {
    std::istringstream s(args.value("tool").value_or("memcheck,racecheck,initcheck"));
    for (std::string tool; std::getline(s, tool, ',');) {
      if (tool != "memcheck" && tool != "racecheck" && tool != "initcheck" && tool != "synccheck")
        throw UsageError("--tool: \"" + tool + "\" (memcheck, racecheck, initcheck, synccheck)");
      tools.push_back(tool);
    }
  }
  std::vector<std::string> relax = relaxedLayers(args, kDefaultRelax);
  auto sanitizer = findCudaTool("compute-sanitizer", args.value("sanitizer"), "KEVO_SANITIZER");
  if (!sanitizer)
    throw std::runtime_error(
        "compute-sanitizer was not found (--sanitizer PATH, $KEVO_SANITIZER, the CUDA toolkit's "
        "bin/, PATH)");
  // A call the tool keeps from returning becomes a timeout verdict within two minutes.
  double timeout = args.value("timeout") ? std::stod(*args.value("timeout")) : 120;
  hw::HardwareInfo cpu = machineHardware();
  bool json = args.flag("json");

  std::vector<SanitizeRun> runs;
  for (const auto& t : targets) {
    // The smallest shape set: the tools slow every access down, and bounds errors show at any size.
    std::string shapeSet =
        args.value("shape-set")
            .value_or(t.problem.findShapeSet("inference") ? "inference"
                                                          : t.problem.shapeSets.front().name);
    for (const auto& tool : tools) {
      if (!json) std::cerr << "  " << tool << " on " << t.label << " (" << shapeSet << ")...\n";
      runs.push_back(runTool(*sanitizer, tool, t, shapeSet, relax, cpu, timeout));
    }
  }
  bool allClean = true;
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {{"kernel", "tool", "errors", "verdict", "first"}};
  for (const auto& r : runs) {
    bool clean = r.failure.empty() && r.report.clean();
    allClean = allClean && clean;
    nlohmann::json j = r.report.toJson();
    j["kernel"] = r.label;
    j["verdict"] = r.verdict;
    j["detail"] = r.detail;
    j["failure"] = r.failure;
    out.push_back(j);
    std::string first = !r.failure.empty()        ? r.failure.substr(0, r.failure.find('\n'))
                        : r.report.errors.empty() ? std::string()
                                                  : r.report.errors.front().what;
    rows.push_back({r.label, r.report.tool,
                    r.failure.empty() ? std::to_string(r.report.errorCount) : "?", r.verdict,
                    first});
  }
  if (json) {
    printJson({{"sanitizer", sanitizer->string()}, {"runs", out}, {"clean", allClean}});
  } else {
    printTable(rows);
    for (const auto& r : runs) {
      if (!r.failure.empty())
        std::cout << "\n" << r.label << " / " << r.report.tool << ": " << r.failure << "\n";
      for (const auto& e : r.report.errors) {
        std::cout << "\n" << r.label << " / " << r.report.tool << ": " << e.what << "\n";
        for (const auto& d : e.details) std::cout << "    " << d << "\n";
      }
    }
    std::cout << "\n" << (allClean ? "clean: no errors reported" : "NOT clean") << "\n";
  }
  return allClean ? kExitOk : kExitVerdict;
}

}  // namespace kevo::cli

// kevo-cli eval --problem P --source F
#include <iostream>
#include <sstream>

#include "CliSupport.h"
#include "Commands.h"
#include "backend/ResourceUsage.h"
#include "problem/ProblemLibrary.h"
#include "store/SessionStore.h"

namespace kevo::cli {

void printEvaluation(const eval::EvaluationResult& r) {
  std::cout << r.problemId << " | " << r.role << " " << r.label << " | seed " << r.seed << "\n";
  std::cout << "build: "
            << (r.build.cacheHit ? "cached"
                                 : "compiled in " + formatSeconds(r.build.compileSeconds))
            << " (" << r.build.key.substr(0, 12) << ")\n";
  if (r.build.ok)
    for (const auto& k : backend::parsePtxasResources(r.build.log))
      std::cout << "kernel " << k.describe() << "\n";
  std::cout << "verdict: " << eval::verdictName(r.verdict);
  if (!r.detail.empty()) std::cout << ": " << r.detail;
  std::cout << "\n";
  if (r.verdict == eval::Verdict::CompileError) {
    for (const auto& d : r.build.diagnostics)
      if (d.severity != "note")
        std::cout << "  " << d.file << ":" << d.line << ":" << d.column << ": " << d.severity
                  << ": " << d.message << "\n";
    if (r.build.diagnostics.empty()) std::cout << r.build.log << "\n";
  }
  std::vector<std::vector<std::string>> rows = {{"shape set", "cache", "verdict", "median", "min",
                                                 "spread", "baseline", "speedup", "GB/s", "GFLOP/s",
                                                 "% floor", "bottleneck"}};
  for (const auto& s : r.shapeSets) {
    if (s.timing.reps == 0) {
      rows.push_back({s.name, s.cache, eval::verdictName(s.verdict), "-", "-", "-", "-", "-", "-",
                      "-", "-", "-"});
      continue;
    }
    rows.push_back(
        {s.name, s.cache, eval::verdictName(s.verdict), formatSeconds(s.timing.medianSeconds),
         formatSeconds(s.timing.minSeconds), formatFixed(100 * s.timing.spread, 0) + "%",
         s.baseline ? formatSeconds(s.baseline->medianSeconds) : "-",
         s.speedup > 0 ? formatFixed(s.speedup, 2) + "x" : "-",
         formatFixed(s.roofline.achievedGBs, 1), formatFixed(s.roofline.achievedGflops, 1),
         formatFixed(100 * s.roofline.fractionOfFloor, 1) + "%",
         profile::bottleneckName(s.roofline.bottleneck)});
  }
  if (!r.shapeSets.empty()) printTable(rows);
  for (const auto& s : r.shapeSets) {
    if (s.timing.reps) std::cout << "  " << s.name << ": " << s.roofline.explanation << "\n";
    if (!s.baselineNote.empty()) std::cout << "  " << s.name << ": " << s.baselineNote << "\n";
  }
  // Where the evaluation's time went, in the order it was spent.
  std::string phases;
  for (const char* name : eval::kEvaluationPhases)
    if (auto it = r.phaseSeconds.find(name); it != r.phaseSeconds.end())
      phases += std::string(phases.empty() ? "" : ", ") + name + " " + formatSeconds(it->second);
  std::cout << "evaluation took " << formatSeconds(r.wallSeconds) << " (kernels "
            << formatSeconds(r.kernelSeconds) << (phases.empty() ? "" : "; " + phases) << ")\n";
  if (!r.stderrTail.empty() && r.verdict != eval::Verdict::Ok)
    std::cout << "kernel stderr (last lines):\n" << r.stderrTail << "\n";
}

void recordInSession(const std::string& sessionPath, const eval::EvaluationResult& result,
                     const std::string& source, const std::string& flags,
                     const std::string& backend) {
  auto store = store::SessionStore::openOrCreate(sessionPath);
  store::StoredEvaluation e;
  e.problemId = result.problemId;
  e.backend = backend;
  e.role = result.role;
  e.label = result.label;
  e.source = source;
  e.flags = flags;
  e.sourceHash = result.build.key;
  e.verdict = eval::verdictName(result.verdict);
  e.result = result.toJson();
  store.addEvaluation(std::move(e));
}

int runEvalCommand(const std::vector<std::string>& argv) {
  Args args(argv,
            {"problem", "source", "shape-set", "seed", "flags", "timeout", "session", "backend"},
            {"json", "no-baseline"});
  if (!args.positional().empty())
    throw UsageError("unexpected argument \"" + args.positional()[0] + "\"");
  auto problemArg = args.value("problem");
  auto sourceArg = args.value("source");
  if (!problemArg) throw UsageError("eval needs --problem ID|DIR");
  if (!sourceArg) throw UsageError("eval needs --source FILE (a C++ file exporting kevo_kernel)");
  problem::Problem problem = problem::loadProblem(problem::resolveProblemDir(*problemArg));
  std::string source = readTextFile(*sourceArg);

  eval::EvalOptions options;
  options.shapeSets = args.values("shape-set");
  options.timeBaseline = !args.flag("no-baseline");
  std::string flags = args.value("flags").value_or("");
  options.extraFlags = splitFlags(flags);
  if (auto seed = args.value("seed")) {
    try {
      options.seed = std::stoull(*seed);
    } catch (const std::exception&) {
      throw UsageError("--seed expects a non-negative integer, got \"" + *seed + "\"");
    }
  }
  if (auto t = args.value("timeout")) {
    try {
      options.callTimeoutSeconds = std::stod(*t);
    } catch (const std::exception&) {
      throw UsageError("--timeout expects seconds, got \"" + *t + "\"");
    }
    if (options.callTimeoutSeconds <= 0) throw UsageError("--timeout must be positive");
  }
  // Open the session before the work, so a broken session file costs nothing.
  if (auto session = args.value("session")) store::SessionStore::openOrCreate(*session);

  eval::Evaluator evaluator =
      makeEvaluatorFor(args.value("backend").value_or("cpu"), machineHardware());
  std::string label = std::filesystem::path(*sourceArg).filename().string();
  eval::EvaluationResult result = evaluator.evaluate(problem, source, label, options);
  if (auto session = args.value("session"))
    recordInSession(*session, result, source, flags, evaluator.config().backend);
  if (args.flag("json"))
    printJson(result.toJson());
  else
    printEvaluation(result);
  return result.verdict == eval::Verdict::Ok ? kExitOk : kExitVerdict;
}

}  // namespace kevo::cli

// kevo-cli problems [validate ...]
#include <iostream>

#include "CliSupport.h"
#include "Commands.h"
#include "eval/ProblemValidation.h"
#include "problem/ProblemLibrary.h"

namespace kevo::cli {

namespace {

std::string shapeSummary(const problem::Problem& p, const problem::ShapeSet& s) {
  std::string out = s.name + "(";
  bool first = true;
  for (const auto& [k, v] : s.symbols) {
    out += (first ? "" : ",") + k + "=" + std::to_string(v);
    first = false;
  }
  (void)p;
  return out + ")";
}

int listProblems(const Args& args) {
  nlohmann::json list = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {
      {"id", "category", "tolerance", "baseline", "shape sets", "title"}};
  int broken = 0;
  for (const auto& dir : problem::bundledProblemDirs()) {
    try {
      problem::Problem p = problem::loadProblem(dir);
      std::string tol = p.tolerance.kind == problem::Tolerance::Kind::Bitwise
                            ? "bitwise"
                            : "allclose(" + formatFixed(p.tolerance.atol, 6) + "," +
                                  formatFixed(p.tolerance.rtol, 6) + ")";
      std::string sets;
      nlohmann::json setsJson = nlohmann::json::object();
      for (const auto& s : p.shapeSets) {
        sets += (sets.empty() ? "" : " ") + shapeSummary(p, s);
        setsJson[s.name] = {{"symbols", s.symbols},
                            {"cache", s.cache == problem::CacheMode::Cold ? "cold" : "warm"}};
      }
      std::string baseline = p.baselineCpu ? p.baselineCpu->title : "-";
      rows.push_back({p.id, p.category, tol, baseline, sets, p.title});
      list.push_back({{"id", p.id},
                      {"title", p.title},
                      {"category", p.category},
                      {"dir", p.dir.string()},
                      {"tolerance", tol},
                      {"baseline", baseline},
                      {"shape_sets", setsJson}});
    } catch (const problem::ProblemError& e) {
      ++broken;
      rows.push_back({dir.filename().string(), "BROKEN", "", "", "", e.errors().front()});
      list.push_back({{"id", dir.filename().string()}, {"dir", dir.string()}, {"error", e.what()}});
    }
  }
  if (args.flag("json")) {
    printJson({{"problems_dir", problem::bundledProblemsDir().string()}, {"problems", list}});
  } else {
    printTable(rows);
    std::cout << "\n"
              << rows.size() - 1 << " problems in " << problem::bundledProblemsDir().string()
              << "\n";
  }
  return broken ? kExitInput : kExitOk;
}

int validate(const Args& args) {
  std::vector<std::filesystem::path> dirs;
  if (args.flag("all"))
    for (const auto& d : problem::bundledProblemDirs()) dirs.push_back(d);
  for (size_t i = 1; i < args.positional().size(); ++i)
    dirs.push_back(problem::resolveProblemDir(args.positional()[i]));
  if (dirs.empty()) throw UsageError("validate needs a problem folder or id, or --all");

  bool runKernels = !args.flag("spec-only");
  std::optional<eval::Evaluator> evaluator;
  if (runKernels) evaluator.emplace(makeEvaluator(machineHardware()));
  nlohmann::json reports = nlohmann::json::array();
  bool allPassed = true;
  for (const auto& dir : dirs) {
    eval::Evaluator* ev = evaluator ? &*evaluator : nullptr;
    eval::ValidationReport report;
    if (ev) {
      report = eval::validateProblem(*ev, dir, true);
    } else {
      // Spec only: no evaluator (and no hardware probe) needed.
      try {
        problem::Problem p = problem::loadProblem(dir);
        report.dir = dir;
        report.problemId = p.id;
        report.checks.push_back({"spec", true, "problem.json is valid"});
      } catch (const problem::ProblemError& e) {
        report.dir = dir;
        report.checks.push_back({"spec", false, e.what()});
      }
    }
    allPassed = allPassed && report.passed();
    reports.push_back(report.toJson());
    if (!args.flag("json")) {
      std::cout << (report.passed() ? "PASS " : "FAIL ") << dir.string() << "\n";
      for (const auto& c : report.checks)
        std::cout << "  " << (c.passed ? "ok   " : "FAIL ") << padRight(c.name, 18) << c.detail
                  << "\n";
    }
  }
  if (args.flag("json")) printJson({{"passed", allPassed}, {"reports", reports}});
  return allPassed ? kExitOk : kExitVerdict;
}

}  // namespace

int runProblemsCommand(const std::vector<std::string>& argv) {
  Args args(argv, {}, {"json", "all", "spec-only"});
  if (!args.positional().empty() && args.positional()[0] == "validate") return validate(args);
  if (!args.positional().empty())
    throw UsageError("unknown problems subcommand \"" + args.positional()[0] +
                     "\" (try: validate)");
  return listProblems(args);
}

}  // namespace kevo::cli

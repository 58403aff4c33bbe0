// kevo-cli survey: the main job until the search exists. Evaluates every bundled problem's
// reference and baseline under the full protocol and shows where each stands against the
// roofline of this machine.
#include <iostream>

#include "CliSupport.h"
#include "Commands.h"
#include "problem/ProblemLibrary.h"
#include "store/SessionStore.h"

namespace kevo::cli {

int runSurveyCommand(const std::vector<std::string>& argv) {
  Args args(argv, {"problem", "shape-set", "session", "seed"}, {"json"});
  if (!args.positional().empty())
    throw UsageError("unexpected argument \"" + args.positional()[0] + "\"");
  std::vector<std::filesystem::path> dirs;
  for (const auto& p : args.values("problem")) dirs.push_back(problem::resolveProblemDir(p));
  if (dirs.empty()) dirs = problem::bundledProblemDirs();
  if (auto session = args.value("session")) store::SessionStore::openOrCreate(*session);

  hw::HardwareInfo info = machineHardware();
  eval::Evaluator evaluator = makeEvaluator(info);
  bool json = args.flag("json");
  if (!json)
    std::cout << "Surveying " << dirs.size() << " problems on " << info.cpuModel << " ("
              << formatFixed(info.dramBandwidthGBs, 1) << " GB/s memory, "
              << formatFixed(info.peakGflops, 1) << " GFLOP/s fp32)\n\n";

  std::vector<std::vector<std::string>> rows = {{"problem", "shape set", "reference", "baseline",
                                                 "vs ref", "GB/s", "GFLOP/s", "% floor",
                                                 "bottleneck", "baseline is"}};
  nlohmann::json out = nlohmann::json::array();
  int failures = 0;
  for (const auto& dir : dirs) {
    problem::Problem p = problem::loadProblem(dir);
    eval::EvalOptions options;
    options.shapeSets = args.values("shape-set");
    if (auto seed = args.value("seed")) options.seed = std::stoull(*seed);
    options.timeBaseline = false;
    options.role = eval::KernelRole::Reference;
    auto ref =
        evaluator.evaluate(p, readTextFile(p.referenceCpu->source.string()), "reference", options);
    eval::EvaluationResult base;
    if (p.baselineCpu) {
      options.role = eval::KernelRole::Baseline;
      base =
          evaluator.evaluate(p, readTextFile(p.baselineCpu->source.string()), "baseline", options);
    }
    if (auto session = args.value("session")) {
      recordInSession(*session, ref, readTextFile(p.referenceCpu->source.string()), "");
      if (p.baselineCpu)
        recordInSession(*session, base, readTextFile(p.baselineCpu->source.string()), "");
    }
    bool ok =
        ref.verdict == eval::Verdict::Ok && (!p.baselineCpu || base.verdict == eval::Verdict::Ok);
    if (!ok) ++failures;
    out.push_back({{"problem", p.id},
                   {"reference", ref.toJson()},
                   {"baseline", p.baselineCpu ? base.toJson() : nlohmann::json(nullptr)}});
    for (size_t i = 0; i < ref.shapeSets.size(); ++i) {
      const auto& rs = ref.shapeSets[i];
      const eval::ShapeSetResult* bs = i < base.shapeSets.size() ? &base.shapeSets[i] : nullptr;
      const eval::ShapeSetResult& shown = bs ? *bs : rs;
      std::string vsRef =
          bs && bs->timing.medianSeconds > 0
              ? formatFixed(rs.timing.medianSeconds / bs->timing.medianSeconds, 2) + "x"
              : "-";
      std::string status =
          shown.verdict == eval::Verdict::Ok
              ? profile::bottleneckName(shown.roofline.bottleneck)
              : std::string(eval::verdictName(shown.verdict)) + ": " + shown.detail;
      rows.push_back({p.id, rs.name, formatSeconds(rs.timing.medianSeconds),
                      bs ? formatSeconds(bs->timing.medianSeconds) : "-", vsRef,
                      formatFixed(shown.roofline.achievedGBs, 1),
                      formatFixed(shown.roofline.achievedGflops, 1),
                      formatFixed(100 * shown.roofline.fractionOfFloor, 1) + "%",
                      profile::bottleneckName(shown.roofline.bottleneck),
                      p.baselineCpu ? p.baselineCpu->title : "-"});
      if (shown.verdict != eval::Verdict::Ok) rows.back()[8] = status;
    }
    if (!ok && !json) {
      if (ref.verdict != eval::Verdict::Ok)
        std::cout << p.id << " reference: " << ref.detail << "\n";
      if (base.verdict != eval::Verdict::Ok)
        std::cout << p.id << " baseline: " << base.detail << "\n";
    }
    if (!json) std::cerr << "  " << p.id << " done\n";
  }
  if (json) {
    printJson({{"hardware", hw::toJson(info)}, {"problems", out}, {"failures", failures}});
  } else {
    printTable(rows);
    std::cout
        << "\n% floor = roofline floor time / measured median (100% = at the machine's measured "
           "ceiling).\n";
  }
  return failures ? kExitVerdict : kExitOk;
}

}  // namespace kevo::cli

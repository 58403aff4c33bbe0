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
  Args args(argv, {"problem", "shape-set", "session", "seed", "backend"}, {"json"});
  if (!args.positional().empty())
    throw UsageError("unexpected argument \"" + args.positional()[0] + "\"");
  std::vector<std::filesystem::path> dirs;
  for (const auto& p : args.values("problem")) dirs.push_back(problem::resolveProblemDir(p));
  if (dirs.empty()) dirs = problem::bundledProblemDirs();
  if (auto session = args.value("session")) store::SessionStore::openOrCreate(*session);

  hw::HardwareInfo info = machineHardware();
  std::string backend = args.value("backend").value_or("cpu");
  eval::Evaluator evaluator = makeEvaluatorFor(backend, info);
  bool cuda = backend == "cuda";
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
    // On the GPU the survey times the CUDA kernels (a problem without them is skipped).
    const auto& refFile = cuda ? p.referenceCuda : p.referenceCpu;
    const auto& baseFile = cuda ? p.baselineCuda : p.baselineCpu;
    if (!refFile) continue;
    auto ref = evaluator.evaluate(p, readTextFile(refFile->source.string()), "reference", options);
    eval::EvaluationResult base;
    if (baseFile) {
      options.role = eval::KernelRole::Baseline;
      base = evaluator.evaluate(p, readTextFile(baseFile->source.string()), "baseline", options);
    }
    if (auto session = args.value("session")) {
      recordInSession(*session, ref, readTextFile(refFile->source.string()), "",
                      evaluator.config().backend);
      if (baseFile)
        recordInSession(*session, base, readTextFile(baseFile->source.string()), "",
                        evaluator.config().backend);
    }
    bool ok = ref.verdict == eval::Verdict::Ok && (!baseFile || base.verdict == eval::Verdict::Ok);
    if (!ok) ++failures;
    out.push_back({{"problem", p.id},
                   {"reference", ref.toJson()},
                   {"baseline", baseFile ? base.toJson() : nlohmann::json(nullptr)}});
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
                      baseFile ? baseFile->title : "-"});
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

#include "eval/EvaluationResult.h"

#include <algorithm>

#include "backend/ResourceUsage.h"

namespace kevo::eval {

const char* verdictName(Verdict v) {
  switch (v) {
    case Verdict::Ok:
      return "ok";
    case Verdict::CompileError:
      return "compile_error";
    case Verdict::Crash:
      return "crash";
    case Verdict::Timeout:
      return "timeout";
    case Verdict::WrongAnswer:
      return "wrong_answer";
    case Verdict::Rejected:
      return "rejected";
  }
  return "?";
}

std::optional<Verdict> parseVerdict(const std::string& name) {
  for (Verdict v : {Verdict::Ok, Verdict::CompileError, Verdict::Crash, Verdict::Timeout,
                    Verdict::WrongAnswer, Verdict::Rejected})
    if (name == verdictName(v)) return v;
  return std::nullopt;
}

double medianOf(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

TimingStats summarizeTimes(std::vector<double> seconds) {
  TimingStats t;
  if (seconds.empty()) return t;
  std::sort(seconds.begin(), seconds.end());
  auto at = [&](double q) { return seconds[size_t(q * double(seconds.size() - 1) + 0.5)]; };
  t.reps = int(seconds.size());
  t.minSeconds = seconds.front();
  t.maxSeconds = seconds.back();
  t.medianSeconds = medianOf(seconds);
  t.spread = t.medianSeconds > 0 ? (at(0.9) - at(0.1)) / t.medianSeconds : 0;
  return t;
}

nlohmann::json TimingStats::toJson() const {
  return {{"reps", reps},
          {"median_seconds", medianSeconds},
          {"min_seconds", minSeconds},
          {"max_seconds", maxSeconds},
          {"spread", spread}};
}

nlohmann::json ShapeSetResult::toJson() const {
  nlohmann::json j = {{"name", name},
                      {"cache", cache},
                      {"verdict", verdictName(verdict)},
                      {"detail", detail},
                      {"seeds", seeds},
                      {"rotation_sets", rotationSets},
                      {"calls_checked", callsChecked},
                      {"full_checks", fullChecks},
                      {"speedup", speedup},
                      {"baseline_note", baselineNote}};
  j["mismatch"] = mismatch ? mismatch->toJson() : nlohmann::json(nullptr);
  j["timing"] = timing.reps ? timing.toJson() : nlohmann::json(nullptr);
  j["baseline"] = baseline ? baseline->toJson() : nlohmann::json(nullptr);
  j["roofline"] = timing.reps ? roofline.toJson() : nlohmann::json(nullptr);
  return j;
}

nlohmann::json EvaluationResult::toJson() const {
  nlohmann::json j = {{"problem", problemId},
                      {"role", role},
                      {"label", label},
                      {"verdict", verdictName(verdict)},
                      {"detail", detail},
                      {"seed", seed},
                      {"wall_seconds", wallSeconds},
                      {"kernel_seconds", kernelSeconds},
                      {"phase_seconds", phaseSeconds},
                      {"sandbox", sandbox},
                      {"device", device},
                      {"stdout_tail", stdoutTail},
                      {"stderr_tail", stderrTail}};
  nlohmann::json b = {{"ok", build.ok},
                      {"key", build.key},
                      {"cache_hit", build.cacheHit},
                      {"compile_seconds", build.compileSeconds},
                      {"command", build.command},
                      {"log", build.log}};
  b["diagnostics"] = nlohmann::json::array();
  for (const auto& d : build.diagnostics) b["diagnostics"].push_back(backend::toJson(d));
  if (build.artifact == "cubin" || build.log.find("ptxas info") != std::string::npos) {
    b["kernel_resources"] = nlohmann::json::array();
    for (const auto& k : backend::parsePtxasResources(build.log))
      b["kernel_resources"].push_back(k.toJson());
  }
  j["build"] = b;
  j["shape_sets"] = nlohmann::json::array();
  for (const auto& s : shapeSets) j["shape_sets"].push_back(s.toJson());
  return j;
}

}  // namespace kevo::eval

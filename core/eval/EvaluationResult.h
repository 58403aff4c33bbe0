// What an evaluation found: the verdict (DESIGN's six), per shape set the timings, speedup over
// the baseline timed in the same run, the roofline and the diagnosis, plus the build and the
// seeds that reproduce it. Persisted as JSON in the session (docs/cli.md documents the schema).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "backend/CpuCompiler.h"
#include "eval/OutputCheck.h"
#include "profile/Roofline.h"

namespace kevo::eval {

enum class Verdict { Ok, CompileError, Crash, Timeout, WrongAnswer, Rejected };
const char* verdictName(Verdict v);
std::optional<Verdict> parseVerdict(const std::string& name);

struct TimingStats {
  int reps = 0;
  double medianSeconds = 0, minSeconds = 0, maxSeconds = 0;
  double spread = 0;  // (p90 - p10) / median
  nlohmann::json toJson() const;
};
TimingStats summarizeTimes(std::vector<double> seconds);
// The median (mean of the middle two for an even count); 0 for none.
double medianOf(std::vector<double> values);

struct ShapeSetResult {
  std::string name;
  std::string cache;  // warm or cold
  Verdict verdict = Verdict::Ok;
  std::string detail;
  std::vector<uint64_t> seeds;  // one per rotation set: regenerate the exact inputs
  int rotationSets = 0;
  int callsChecked = 0;  // calls whose outputs were compared (every call)
  int fullChecks = 0;    // of those, compared element by element in full
  std::optional<Mismatch> mismatch;
  TimingStats timing;
  std::optional<TimingStats> baseline;
  std::string baselineNote;  // why there is no baseline time, if there is none
  double speedup = 0;        // baseline median / candidate median (0: unknown)
  profile::RooflinePoint roofline;
  nlohmann::json toJson() const;
};

// The phases of EvaluationResult::phaseSeconds, in the order an evaluation spends them.
inline constexpr const char* kEvaluationPhases[] = {
    "build",           "inputs",           "reference", "candidate_load",
    "candidate_calls", "candidate_checks", "baseline"};

struct EvaluationResult {
  std::string problemId;
  std::string role;  // candidate, baseline, reference, canary
  std::string label;
  Verdict verdict = Verdict::Ok;
  std::string detail;  // one sentence for a failure
  uint64_t seed = 0;
  backend::BuildResult build;
  std::vector<ShapeSetResult> shapeSets;
  nlohmann::json sandbox;
  nlohmann::json device;  // on a GPU: the worker's device report (name, arch, setup_ms, ...)
  std::string stdoutTail, stderrTail;
  double wallSeconds = 0;
  double kernelSeconds = 0;  // measured time of every kernel call in this evaluation
  // Where the wall time went: build, inputs, reference, candidate_load (worker start, sandbox,
  // uploads), candidate_calls (waiting for the worker), candidate_checks (the parent's poison
  // writes and comparisons), baseline; summed over the shape sets.
  std::map<std::string, double> phaseSeconds;
  nlohmann::json toJson() const;
};

}  // namespace kevo::eval

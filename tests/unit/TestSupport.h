// Shared by the test suites: an evaluator on a throw-away build cache, the fixture problem, and
// file helpers. Ceilings are set far above any real machine so the roofline floor never rejects
// a kernel unless a test asks for it.
#pragma once

#include <QTemporaryDir>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "eval/Evaluator.h"
#include "problem/Problem.h"

namespace kevo::test {

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline eval::EvaluatorConfig testEvaluatorConfig(const QTemporaryDir& cache) {
  eval::EvaluatorConfig c;
  c.workerExe = KEVO_WORKER_PATH;
  c.cacheDir = cache.path().toStdString();
  c.ceilings.memoryGBs = 1e6;
  c.ceilings.cacheGBs = 1e6;
  c.ceilings.peakGflops = 1e6;
  c.llcBytes = 32 << 20;
  return c;
}

inline problem::Problem fixtureProblem(const std::string& name = "scale") {
  return problem::loadProblem(std::filesystem::path(KEVO_TEST_FIXTURES_DIR) / "problems" / name);
}

// Fast options: the small shape set, a short timed phase, a short call timeout.
inline eval::EvalOptions quickOptions() {
  eval::EvalOptions o;
  o.shapeSets = {"inference"};
  o.seed = 1234;
  o.callTimeoutSeconds = 2;
  o.minReps = 5;
  o.maxReps = 20;
  o.targetTimedSeconds = 0.01;
  return o;
}

}  // namespace kevo::test

// Evaluates one kernel source against a problem, following DESIGN's protocol: build (cached),
// then per shape set: fresh seeded inputs in a shared arena, the reference run in its own
// worker, the candidate run in a sandboxed worker with poisoned outputs, canaries, input
// comparisons and thread checks around every call, warm-up and timed repetitions on rotated
// buffers with every timed output checked, the baseline timed in the same run, and the
// roofline floor. The CLI, the search and the tests all evaluate through this class.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/CpuCompiler.h"
#include "backend/CudaCompiler.h"
#include "eval/EvaluationResult.h"
#include "problem/Problem.h"
#include "profile/Roofline.h"

namespace kevo::eval {

// The problem itself is broken (its reference does not build or run): no verdict on the
// candidate can be given.
class EvaluationSetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class KernelRole { Candidate, Baseline, Reference, Canary };
const char* roleName(KernelRole r);

struct EvalOptions {
  KernelRole role = KernelRole::Candidate;
  std::vector<std::string> shapeSets;  // empty: every shape set of the problem
  std::optional<uint64_t> seed;        // empty: a fresh random seed (recorded in the result)
  bool timing = true;                  // false: correctness only
  bool timeBaseline = true;            // time the problem's baseline in the same run
  double callTimeoutSeconds = 10;
  std::vector<std::string> extraFlags;  // appended to the compiler's defaults
  int minReps = 5;
  int maxReps = 50;
  double targetTimedSeconds = 0.25;  // stop repeating once this much kernel time is measured
  double impossibleFraction = 0.8;   // a median below this fraction of the floor is rejected
};

struct EvaluatorConfig {
  std::filesystem::path workerExe;
  std::filesystem::path cacheDir;
  profile::Ceilings ceilings;
  int64_t llcBytes = 32 << 20;
  std::string compiler = "g++";
  // "cpu", or "cuda": candidates are CUDA sources (docs/cuda-backend.md) run on GPU 0, the
  // problem's CUDA baseline (and CUDA reference, when it has one) beside them; llcBytes is
  // then the GPU's L2 and the ceilings the GPU's.
  std::string backend = "cpu";
  std::string cudaArch = "sm_90a";
  bool cudaUseNvcc = false;  // nvcc -cubin instead of NVRTC for launch-plan sources
  // A profiling run (kevo-cli profile): the candidate's worker is started under this command
  // line (Nsight Compute's), with these sandbox layers relaxed (Sandbox.h), and given time to
  // let the profiler write its report when it exits. Empty for every other evaluation.
  std::vector<std::string> profilerWrapper;
  std::vector<std::string> sandboxRelax;
};

class Evaluator {
 public:
  explicit Evaluator(EvaluatorConfig config);

  // Never throws for anything the kernel does: that is the verdict. Throws
  // EvaluationSetupError when the problem's reference fails, std::invalid_argument for a bad
  // option (unknown shape set, refused flag).
  EvaluationResult evaluate(const problem::Problem& problem, const std::string& source,
                            const std::string& label, const EvalOptions& options);

  backend::CpuCompiler& compiler() { return compiler_; }
  // Builds with the configured backend's compiler (a CUDA request is named kernel.cu).
  backend::BuildResult build(backend::BuildRequest request);
  bool isCuda() const { return config_.backend == "cuda"; }
  const EvaluatorConfig& config() const { return config_; }

 private:
  EvaluatorConfig config_;
  backend::CpuCompiler compiler_;
  std::optional<backend::CudaCompiler> cudaCompiler_;
};

// The worker beside the running executable (or $KEVO_WORKER).
std::filesystem::path defaultWorkerPath();

}  // namespace kevo::eval

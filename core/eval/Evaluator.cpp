#include "eval/Evaluator.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "backend/LaunchPlan.h"
#include "eval/ArenaLayout.h"
#include "eval/EvaluatorSetup.h"
#include "eval/OutputCheck.h"
#include "eval/SharedArena.h"
#include "eval/WorkerClient.h"
#include "problem/InputGenerator.h"
#include "util/Paths.h"

namespace kevo::eval {

namespace fs = std::filesystem;
using nlohmann::json;
using problem::ConcreteShapes;
using problem::Problem;
using problem::ShapeSet;

const char* roleName(KernelRole r) {
  switch (r) {
    case KernelRole::Candidate:
      return "candidate";
    case KernelRole::Baseline:
      return "baseline";
    case KernelRole::Reference:
      return "reference";
    case KernelRole::Canary:
      return "canary";
  }
  return "?";
}

fs::path defaultWorkerPath() {
  if (const char* env = std::getenv("KEVO_WORKER"); env && *env) return env;
  return util::executableDir() / "kevo-worker";
}

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string signalText(int sig) {
  const char* name = sigabbrev_np(sig);
  std::string s = std::string("SIG") + (name ? name : std::to_string(sig).c_str());
  if (const char* d = strsignal(sig)) s += std::string(" (") + d + ")";
  return s;
}

// The bits of one poisoned element of `t` (in the low bytes for elements under 8 bytes).
uint64_t poisonWord(const problem::ConcreteTensor& t, PoisonPattern pattern) {
  problem::ConcreteTensor one = t;
  one.elements = 1;
  uint64_t word = 0;
  poisonOutput(one, &word, pattern);
  return word;
}

// Adds the time its scope took to a total.
class ScopeTimer {
 public:
  explicit ScopeTimer(double& total) : total_(total), start_(Clock::now()) {}
  ~ScopeTimer() { total_ += secondsSince(start_); }
  ScopeTimer(const ScopeTimer&) = delete;
  ScopeTimer& operator=(const ScopeTimer&) = delete;

 private:
  double& total_;
  Clock::time_point start_;
};

// Why one call (or the load) failed.
struct Failure {
  Verdict verdict;
  std::string detail;
  std::optional<Mismatch> mismatch;
};

Failure fromWorkerFailure(const WorkerFailure& f, double timeout, const std::string& when) {
  switch (f.kind) {
    case WorkerFailure::Kind::Timeout:
      return {Verdict::Timeout,
              "no return within " + std::to_string(int(timeout * 1000)) + " ms " + when +
                  " (its process group was killed: SIGTERM, then SIGKILL)",
              std::nullopt};
    case WorkerFailure::Kind::Crash:
      if (f.signal == SIGXCPU)
        return {Verdict::Timeout, "exceeded the worker's CPU time limit " + when, std::nullopt};
      if (f.signal)
        return {Verdict::Crash, "killed by " + signalText(f.signal) + " " + when, std::nullopt};
      return {Verdict::Crash,
              "the worker exited" +
                  (f.exitCode >= 0 ? " with code " + std::to_string(f.exitCode) : std::string()) +
                  " " + when,
              std::nullopt};
    case WorkerFailure::Kind::Protocol:
      return {Verdict::Rejected,
              "the worker's replies were tampered with " + when + ": " + f.detail, std::nullopt};
    case WorkerFailure::Kind::Start:
      break;
  }
  throw EvaluationSetupError("cannot start kevo-worker: " + f.detail);
}

// One kernel in one worker over one arena, with the parent's checks around every call.
class KernelSession {
 public:
  KernelSession(const EvaluatorConfig& config, const fs::path& library, SharedArena& arena,
                const ArenaLayout& layout, const ConcreteShapes& shapes, const Problem& problem,
                bool threadCheck, double timeout, const json& device = json(),
                bool profiled = false)
      : arena_(arena),
        layout_(layout),
        shapes_(shapes),
        problem_(problem),
        timeout_(timeout),
        worker_(config.workerExe, library, arena.fd(),
                profiled ? config.profilerWrapper : std::vector<std::string>{}) {
    json load = {{"cmd", "load"},
                 {"library", worker_.libraryCopy().string()},
                 {"writable_dir", worker_.workDir().string()},
                 {"arena_bytes", layout.totalBytes},
                 {"guard_pages", layout.guardPages},
                 {"sets", describeSets(shapes, layout)},
                 {"scalars", shapes.scalars},
                 {"thread_check", threadCheck}};
    if (profiled) load["sandbox_relax"] = config.sandboxRelax;
    if (!device.is_null()) {
      load.update(device);
      gpu_ = true;
    }
    auto reply = worker_.request(load, std::max(60.0, timeout));
    if (!reply) {
      failure_ = fromWorkerFailure(*worker_.failure(), 60, "while loading");
      return;
    }
    if (!reply->value("ok", false)) {
      std::string error = reply->value("error", "unknown error");
      Verdict v = reply->value("rejected", false) ? Verdict::Rejected
                  : error.rfind("dlopen", 0) == 0 ||
                          error.find("kevo_kernel") != std::string::npos ||
                          error.find("kevo-launch names kernel") != std::string::npos
                      ? Verdict::CompileError
                      : Verdict::Crash;
      if (gpu_ && (error.find("no NVIDIA driver") != std::string::npos ||
                   error.find("sees no GPU") != std::string::npos))
        throw EvaluationSetupError("the CUDA backend needs a GPU: " + error);
      failure_ = Failure{v, "loading failed: " + error, std::nullopt};
      return;
    }
    sandbox_ = reply->value("sandbox", json());
    device_ = reply->value("device", json());
  }

  const std::optional<Failure>& failure() const { return failure_; }
  const json& sandbox() const { return sandbox_; }
  // The GPU worker's report: device, pinned arena, L2 flush, milliseconds per setup step.
  const json& device() const { return device_; }
  WorkerClient& worker() { return worker_; }
  double kernelSeconds() const { return kernelSeconds_; }

  uint8_t* at(int64_t offset) { return arena_.data() + offset; }

  void poisonSet(int set, PoisonPattern p) {
    for (size_t o = 0; o < shapes_.outputs.size(); ++o) {
      const BufferSlot& s = layout_.outputs[size_t(set)][o];
      poisonOutput(shapes_.outputs[o], at(s.offset), p);
      writeCanary(at(s.offset + s.bytes), s.capacity - s.bytes);
    }
  }

  // Calls the kernel on `set` and checks everything; returns the worker-measured seconds.
  // `expected` null: no output comparison (the reference itself).
  // `pristine` null: the inputs are not compared this call (the timed phase of large shapes
  // compares them once at its end).
  std::optional<double> call(int set, PoisonPattern pattern, bool fullCheck,
                             const std::vector<std::vector<uint8_t>>* expected,
                             const std::vector<std::vector<uint8_t>>* pristine,
                             std::mt19937_64& rng, double* parentSeconds = nullptr,
                             int64_t flushBytes = 0) {
    if (failure_) return std::nullopt;
    // A cold call has the worker flush the caches after the poison writes: otherwise they
    // would leave the output cached and dirty, and a cold shape set would time warm stores.
    json request = {{"cmd", "call"}, {"set", set}, {"flush_bytes", flushBytes}};
    if (gpu_) {
      // The GPU worker writes the poison on the device from its word; the canaries come from
      // the arena.
      json words = json::array();
      for (size_t o = 0; o < shapes_.outputs.size(); ++o) {
        const BufferSlot& s = layout_.outputs[size_t(set)][o];
        writeCanary(at(s.offset + s.bytes), s.capacity - s.bytes);
        words.push_back(poisonWord(shapes_.outputs[o], pattern));
      }
      request["poison"] = words;
    } else {
      ScopeTimer t(checkSeconds_);
      poisonSet(set, pattern);
    }
    // On a GPU the inputs live on the device: they come back to the arena to be compared.
    if (gpu_ && pristine) request["download_inputs"] = true;
    // A sampled check on a GPU fetches only the sampled elements, after the call.
    bool sampleOnDevice = gpu_ && expected && !fullCheck;
    if (sampleOnDevice) request["download_outputs"] = false;
    auto start = Clock::now();
    auto reply = worker_.request(request, timeout_);
    double parent = secondsSince(start);
    if (!reply) {
      failure_ = fromWorkerFailure(*worker_.failure(), timeout_, "during the call");
      return std::nullopt;
    }
    if (!reply->contains("rc") || !reply->contains("ns")) {
      failure_ =
          Failure{Verdict::Rejected, "the worker's reply was not a call result", std::nullopt};
      return std::nullopt;
    }
    double seconds = double(reply->value("ns", int64_t(0))) * 1e-9;
    kernelSeconds_ += seconds;
    // On a GPU the worker also copies outputs and poison around the timed region: that part of
    // the parent's time is not the kernel's.
    parent -= double(reply->value("untimed_ns", int64_t(0))) * 1e-9;
    if (parentSeconds) *parentSeconds = parent;
    int rc = reply->value("rc", 0);
    if (reply->contains("cuda_error")) {
      // A sticky error: this worker's CUDA context is unusable; the next evaluation starts a
      // fresh worker.
      failure_ = Failure{Verdict::Crash,
                         "CUDA error during the call: " + reply->value("cuda_error", std::string()),
                         std::nullopt};
      return std::nullopt;
    }
    if (rc != 0) {
      failure_ =
          Failure{Verdict::Crash, "kevo_kernel returned " + std::to_string(rc), std::nullopt};
      return std::nullopt;
    }
    if (reply->contains("canary")) {
      failure_ = Failure{Verdict::Rejected, reply->value("canary", std::string()), std::nullopt};
      return std::nullopt;
    }
    if (int left = reply->value("leftover_threads", 0); left > 0) {
      failure_ = Failure{Verdict::Rejected,
                         std::to_string(left) +
                             " thread(s) still running after kevo_kernel returned: work finished "
                             "after the call would escape the timer",
                         std::nullopt};
      return std::nullopt;
    }
    // Chosen after the call returned, so the kernel cannot know which elements are looked at:
    // any it skips is found with high probability over the timed calls.
    std::vector<std::vector<int64_t>> indices(shapes_.outputs.size());
    if (expected && !fullCheck)
      for (size_t o = 0; o < shapes_.outputs.size(); ++o) {
        int64_t n = shapes_.outputs[o].elements;
        indices[o] = {0, n - 1};
        std::uniform_int_distribution<int64_t> pick(0, n - 1);
        for (int k = 0; k < 256; ++k) indices[o].push_back(pick(rng));
      }
    if (sampleOnDevice && !fetchSamples(set, indices)) return std::nullopt;
    ScopeTimer checking(checkSeconds_);
    for (size_t o = 0; o < shapes_.outputs.size(); ++o) {
      const BufferSlot& s = layout_.outputs[size_t(set)][o];
      if (!canaryIntact(at(s.offset + s.bytes), s.capacity - s.bytes)) {
        failure_ = Failure{Verdict::Rejected,
                           "wrote past the end of output " + shapes_.outputs[o].name, std::nullopt};
        return std::nullopt;
      }
    }
    if (pristine && !inputsIntact(set, *pristine)) return std::nullopt;
    if (expected) {
      ++callsChecked_;
      if (fullCheck) ++fullChecks_;
      for (size_t o = 0; o < shapes_.outputs.size(); ++o) {
        const auto& t = shapes_.outputs[o];
        auto m = compareOutput(t, at(layout_.outputs[size_t(set)][o].offset), (*expected)[o].data(),
                               problem_.tolerance, pattern, indices[o]);
        if (m) {
          failure_ = Failure{Verdict::WrongAnswer, m->describe(), m};
          return std::nullopt;
        }
      }
    }
    return seconds;
  }

  // The sampled elements of every output, copied from the device into the arena.
  bool fetchSamples(int set, const std::vector<std::vector<int64_t>>& indices) {
    auto reply =
        worker_.request({{"cmd", "sample_outputs"}, {"set", set}, {"indices", indices}}, timeout_);
    if (reply && reply->value("ok", false)) return true;
    failure_ =
        reply ? Failure{reply->contains("cuda_error") ? Verdict::Crash : Verdict::Rejected,
                        "copying the sampled outputs back failed: " + reply->dump(), std::nullopt}
              : fromWorkerFailure(*worker_.failure(), timeout_,
                                  "while copying the sampled outputs back");
    return false;
  }

  // The inputs of `set` byte for byte as generated: a kernel that writes its inputs could make
  // a check computed from them afterwards agree with it.
  bool inputsIntact(int set, const std::vector<std::vector<uint8_t>>& pristine,
                    bool download = false) {
    if (download && gpu_) {
      auto reply = worker_.request({{"cmd", "download_inputs"}, {"set", set}}, timeout_);
      if (!reply || !reply->value("ok", false)) {
        failure_ = reply ? Failure{Verdict::Crash,
                                   "copying the inputs back failed: " + reply->dump(), std::nullopt}
                         : fromWorkerFailure(*worker_.failure(), timeout_,
                                             "while copying the inputs back");
        return false;
      }
    }
    std::optional<ScopeTimer> checking;
    if (download) checking.emplace(checkSeconds_);  // call() times its own checks
    for (size_t i = 0; i < shapes_.inputs.size(); ++i) {
      const BufferSlot& s = layout_.inputs[size_t(set)][i];
      if (std::memcmp(at(s.offset), pristine[i].data(), size_t(s.bytes)) != 0) {
        failure_ = Failure{Verdict::Rejected,
                           "modified input " + shapes_.inputs[i].name +
                               " (inputs are read-only; a kernel that writes them could make a "
                               "later check agree with it)",
                           std::nullopt};
        return false;
      }
    }
    return true;
  }

  // Round-trip time of a request that does nothing: what the parent's clock adds to a call.
  // With `flushBytes`, each ping follows a cache flush, as a cold call's reply does: the
  // worker's and the parent's code then run from cold caches too.
  double pingSeconds(int64_t flushBytes = 0) {
    double best = 1e9;
    for (int i = 0; i < 5; ++i) {
      if (flushBytes > 0 && !gpu_ &&
          !worker_.request({{"cmd", "flush"}, {"bytes", flushBytes}}, timeout_))
        return best;
      auto start = Clock::now();
      if (!worker_.request({{"cmd", "ping"}}, timeout_)) return best;
      best = std::min(best, secondsSince(start));
    }
    return best;
  }

  int callsChecked() const { return callsChecked_; }
  // Time the parent spent writing poison and checking canaries, inputs and outputs.
  double checkSeconds() const { return checkSeconds_; }
  int fullChecks() const { return fullChecks_; }

 private:
  SharedArena& arena_;
  const ArenaLayout& layout_;
  const ConcreteShapes& shapes_;
  const Problem& problem_;
  double timeout_;
  WorkerClient worker_;
  std::optional<Failure> failure_;
  json sandbox_;
  json device_;
  bool gpu_ = false;
  double kernelSeconds_ = 0;
  double checkSeconds_ = 0;
  int callsChecked_ = 0;
  int fullChecks_ = 0;
};

struct TimedRun {
  std::vector<double> workerSeconds;
  std::vector<double> parentSeconds;
  double ping = 0;
};

}  // namespace

Evaluator::Evaluator(EvaluatorConfig config)
    : config_(std::move(config)), compiler_(config_.cacheDir, config_.compiler) {
  if (config_.backend == "cuda")
    cudaCompiler_.emplace(config_.cacheDir, config_.cudaArch, config_.cudaUseNvcc);
  else if (config_.backend != "cpu")
    throw std::invalid_argument("unknown backend \"" + config_.backend + "\" (known: cpu, cuda)");
}

backend::BuildResult Evaluator::build(backend::BuildRequest request) {
  if (!cudaCompiler_) return compiler_.build(request);
  if (request.sourceName == "kernel.cpp") request.sourceName = "kernel.cu";
  return cudaCompiler_->build(request);
}

namespace {

// The JSON the worker's device mode loads with: the artifact and, in launch-plan form, the
// plan resolved for this shape set. Throws backend::LaunchPlanError.
json deviceLoad(const backend::BuildResult& build, const std::string& source,
                const Problem& problem, const ShapeSet& ss, const ConcreteShapes& shapes) {
  json d = {{"device", "cuda"}, {"artifact", build.artifact}};
  if (build.artifact == "cubin") {
    problem::SymbolTable symbols = ss.symbols;
    for (size_t i = 0; i < problem.scalars.size() && i < shapes.scalars.size(); ++i)
      symbols[problem.scalars[i].name] = shapes.scalars[i];
    d["plan"] = backend::resolveLaunchPlan(backend::parseLaunchPlan(source), symbols).toJson();
  }
  return d;
}

}  // namespace

EvaluationResult Evaluator::evaluate(const Problem& problem, const std::string& source,
                                     const std::string& label, const EvalOptions& options) {
  auto wallStart = Clock::now();
  EvaluationResult result;
  result.problemId = problem.id;
  result.role = roleName(options.role);
  result.label = label;
  result.seed = options.seed ? *options.seed
                             : std::random_device{}() * 0x100000001ull ^ std::random_device{}();
  bool trusted = options.role == KernelRole::Baseline || options.role == KernelRole::Reference;

  std::vector<const ShapeSet*> shapeSets;
  if (options.shapeSets.empty()) {
    for (const auto& s : problem.shapeSets) shapeSets.push_back(&s);
  } else {
    for (const auto& name : options.shapeSets) {
      const ShapeSet* s = problem.findShapeSet(name);
      if (!s) {
        std::string known;
        for (const auto& k : problem.shapeSets) known += (known.empty() ? "" : ", ") + k.name;
        throw std::invalid_argument("problem " + problem.id + " has no shape set \"" + name +
                                    "\" (it has: " + known + ")");
      }
      shapeSets.push_back(s);
    }
  }

  // Build: the candidate, then the reference and the baseline (trusted, cached after once).
  backend::BuildRequest request;
  request.source = source;
  request.extraFlags = options.extraFlags;
  // A problem's own baseline or reference evaluated as the kernel under test (kevo-cli survey)
  // links the libraries its spec names for this backend (cuBLAS, OpenBLAS).
  if (trusted) {
    const auto& file = options.role == KernelRole::Baseline
                           ? (isCuda() ? problem.baselineCuda : problem.baselineCpu)
                           : (isCuda() ? problem.referenceCuda : problem.referenceCpu);
    if (file) request.libs = file->libs;
  }
  auto phaseStart = Clock::now();
  // Adds the time since the last mark to `phase`.
  auto mark = [&](const char* phase) {
    auto now = Clock::now();
    result.phaseSeconds[phase] += std::chrono::duration<double>(now - phaseStart).count();
    phaseStart = now;
  };
  result.build = build(request);
  if (!result.build.ok) {
    result.verdict = Verdict::CompileError;
    std::string first = "the compiler failed";
    for (const auto& d : result.build.diagnostics)
      if (d.severity.find("error") != std::string::npos) {
        first = "line " + std::to_string(d.line) + ": " + d.message;
        break;
      }
    result.detail = first;
    result.wallSeconds = secondsSince(wallStart);
    return result;
  }
  // A trusted kernel: its source, and its build by the compiler its file is for (.cu: CUDA).
  struct Trusted {
    std::string source;
    backend::BuildResult build;
    bool onGpu = false;
  };
  auto buildTrusted = [&](const problem::KernelFile& file, const char* what) {
    Trusted t;
    t.source = readFile(file.source);
    t.onGpu = file.source.extension() == ".cu";
    backend::BuildRequest r;
    r.source = t.source;
    r.sourceName = file.source.filename().string();
    r.libs = file.libs;
    t.build = t.onGpu ? cudaCompiler_->build(r) : compiler_.build(r);
    if (!t.build.ok)
      throw EvaluationSetupError(std::string("the ") + what + " of problem " + problem.id + " (" +
                                 file.source.string() + ") does not compile:\n" + t.build.log);
    return t;
  };
  if (!problem.referenceCpu)
    throw EvaluationSetupError("problem " + problem.id + " has no CPU reference");
  // On a GPU the CUDA reference (written for obvious correctness, in double) is used when the
  // problem has one: it is as trustworthy and far faster on large shapes.
  const problem::KernelFile& referenceFile =
      isCuda() && problem.referenceCuda ? *problem.referenceCuda : *problem.referenceCpu;
  Trusted reference = buildTrusted(referenceFile, "reference");
  const std::optional<problem::KernelFile>& baselineFile =
      isCuda() ? problem.baselineCuda : problem.baselineCpu;
  std::optional<Trusted> baseline;
  if (options.timing && options.timeBaseline && baselineFile)
    baseline = buildTrusted(*baselineFile, "baseline");
  auto trustedDevice = [&](const Trusted& t, const ShapeSet& ss, const ConcreteShapes& shapes) {
    if (!t.onGpu) return json();
    try {
      return deviceLoad(t.build, t.source, problem, ss, shapes);
    } catch (const backend::LaunchPlanError& e) {
      throw EvaluationSetupError("the launch plan of " + problem.id + "'s " +
                                 t.build.library.string() + " is wrong: " + e.what());
    }
  };

  mark("build");
  std::mt19937_64 rng(result.seed);
  for (size_t si = 0; si < shapeSets.size(); ++si) {
    const ShapeSet& ss = *shapeSets[si];
    ShapeSetResult r;
    r.name = ss.name;
    r.cache = ss.cache == problem::CacheMode::Cold ? "cold" : "warm";
    ConcreteShapes shapes = problem::resolveShapes(problem, ss);
    int64_t setBytes = shapes.inputBytes() + shapes.outputBytes();
    int sets = 2;
    if (ss.cache == problem::CacheMode::Cold)
      sets = int(std::clamp<int64_t>(
          (2 * config_.llcBytes + setBytes - 1) / std::max<int64_t>(setBytes, 1), 2, 8));
    r.rotationSets = sets;
    ArenaLayout layout = makeArenaLayout(shapes, sets);
    SharedArena arena(layout.totalBytes);

    // Fresh inputs for every rotation set, from recorded seeds.
    std::vector<std::vector<std::vector<uint8_t>>> pristine(static_cast<size_t>(sets));
    for (int k = 0; k < sets; ++k) {
      uint64_t setSeed = problem::deriveSeed(result.seed, si * 64 + size_t(k));
      r.seeds.push_back(setSeed);
      for (size_t i = 0; i < shapes.inputs.size(); ++i) {
        const BufferSlot& s = layout.inputs[size_t(k)][i];
        problem::generateInput(problem.inputs[i], shapes.inputs[i], ss.symbols,
                               problem::deriveSeed(setSeed, i), arena.data() + s.offset);
        pristine[size_t(k)].emplace_back(arena.data() + s.offset,
                                         arena.data() + s.offset + s.bytes);
      }
    }

    mark("inputs");
    // The expected outputs, from the reference in its own worker. They live only here.
    std::vector<std::vector<std::vector<uint8_t>>> expected(static_cast<size_t>(sets));
    {
      KernelSession ref(config_, reference.build.library, arena, layout, shapes, problem, false,
                        std::max(options.callTimeoutSeconds, 60.0),
                        trustedDevice(reference, ss, shapes));
      for (int k = 0; k < sets && !ref.failure(); ++k) {
        if (!ref.call(k, PoisonPattern::A, false, nullptr, &pristine[size_t(k)], rng)) break;
        for (size_t o = 0; o < shapes.outputs.size(); ++o) {
          const BufferSlot& s = layout.outputs[size_t(k)][o];
          expected[size_t(k)].emplace_back(arena.data() + s.offset,
                                           arena.data() + s.offset + s.bytes);
        }
      }
      if (ref.failure())
        throw EvaluationSetupError("the reference of problem " + problem.id +
                                   " failed on shape set " + ss.name + ": " +
                                   ref.failure()->detail + "\n" + ref.worker().stderrTail());
      result.kernelSeconds += ref.kernelSeconds();
    }
    // Nothing of the reference's answers may stay where the candidate can read it.
    for (int k = 0; k < sets; ++k)
      for (size_t o = 0; o < shapes.outputs.size(); ++o) {
        const BufferSlot& s = layout.outputs[size_t(k)][o];
        poisonOutput(shapes.outputs[o], arena.data() + s.offset, PoisonPattern::B);
      }
    mark("reference");

    // Runs one kernel through correctness, warm-up and timed repetitions. `timedOnly`: the
    // baseline timed beside a candidate, whose correctness `kevo-cli survey` establishes; its
    // calls are still checked, by samples.
    auto runKernel = [&](KernelSession& ks, TimedRun& timed, bool timing,
                         bool timedOnly = false) -> bool {
      if (!timedOnly)
        for (int k = 0; k < sets; ++k)
          for (PoisonPattern p : {PoisonPattern::A, PoisonPattern::B})
            if (!ks.call(k, p, true, &expected[size_t(k)], &pristine[size_t(k)], rng)) return false;
      if (!timing) return true;
      for (int k = 0; k < sets; ++k)
        if (!ks.call(k, PoisonPattern::A, false, &expected[size_t(k)], &pristine[size_t(k)], rng))
          return false;
      bool coldSet = ss.cache == problem::CacheMode::Cold;
      timed.ping = ks.pingSeconds(coldSet ? 2 * config_.llcBytes : 0);
      bool smallOutputs = shapes.outputBytes() <= (1 << 20);
      bool smallInputs = shapes.inputBytes() <= (1 << 20);
      // A few timed calls are checked element by element.
      std::set<int> fullChecked = timedOnly ? std::set<int>{} : std::set<int>{1, 3};
      double measured = 0;
      // GPU calls are short and their copies are not: 20 event-timed calls give a stable median.
      int maxReps = isCuda() ? std::min(options.maxReps, 20) : options.maxReps;
      for (int i = 0; i < maxReps; ++i) {
        if (i >= options.minReps && measured >= options.targetTimedSeconds) break;
        int k = i % sets;
        double parent = 0;
        int64_t flushBytes = ss.cache == problem::CacheMode::Cold ? 2 * config_.llcBytes : 0;
        auto t = ks.call(k, i % 2 ? PoisonPattern::B : PoisonPattern::A,
                         smallOutputs || fullChecked.count(i), &expected[size_t(k)],
                         smallInputs ? &pristine[size_t(k)] : nullptr, rng, &parent, flushBytes);
        if (!t) return false;
        timed.workerSeconds.push_back(*t);
        timed.parentSeconds.push_back(parent);
        measured += *t;
      }
      for (int k = 0; k < sets; ++k)
        if (!ks.inputsIntact(k, pristine[size_t(k)], true)) return false;
      return true;
    };

    // The candidate.
    json candidateDevice;
    if (isCuda()) {
      try {
        candidateDevice = deviceLoad(result.build, source, problem, ss, shapes);
      } catch (const backend::LaunchPlanError& e) {
        r.verdict = Verdict::CompileError;
        r.detail = std::string("launch plan: ") + e.what();
        result.verdict = r.verdict;
        result.detail = ss.name + ": " + r.detail;
        result.shapeSets.push_back(std::move(r));
        break;
      }
    }
    TimedRun candidateRun;
    double checkSeconds = 0;
    {
      bool profiled = !config_.profilerWrapper.empty();
      KernelSession cand(config_, result.build.library, arena, layout, shapes, problem, !trusted,
                         options.callTimeoutSeconds, candidateDevice, profiled);
      result.sandbox = cand.sandbox();
      if (cand.device().is_object()) result.device = cand.device();
      mark("candidate_load");
      bool fine = !cand.failure() && runKernel(cand, candidateRun, options.timing);
      result.kernelSeconds += cand.kernelSeconds();
      r.callsChecked = cand.callsChecked();
      r.fullChecks = cand.fullChecks();
      if (!fine) {
        const Failure& f = *cand.failure();
        r.verdict = f.verdict;
        r.detail = f.detail;
        r.mismatch = f.mismatch;
      }
      // A profiler writes its report after the worker exits: it gets a minute for that.
      cand.worker().shutdown(profiled ? 60 : 0.1);
      result.stdoutTail = cand.worker().stdoutTail();
      result.stderrTail = cand.worker().stderrTail();
      checkSeconds = cand.checkSeconds();
    }
    mark("candidate_calls");
    // Of that, the parent's own poison writes and comparisons.
    result.phaseSeconds["candidate_calls"] -= checkSeconds;
    result.phaseSeconds["candidate_checks"] += checkSeconds;

    if (r.verdict == Verdict::Ok && options.timing) {
      r.timing = summarizeTimes(candidateRun.workerSeconds);
      // The worker's clock against the parent's: a kernel that tampers with the worker's timer
      // or its replies claims less time than the parent saw pass on every call. The smallest
      // gap is compared, so a loaded machine that delays some replies is not mistaken for it.
      double gap = 1e300;
      for (size_t i = 0; i < candidateRun.workerSeconds.size(); ++i)
        gap = std::min(
            gap, candidateRun.parentSeconds[i] - candidateRun.workerSeconds[i] - candidateRun.ping);
      bool cold = ss.cache == problem::CacheMode::Cold;
      // bf16 problems are judged against the machine's bf16 rate (tensor cores).
      r.roofline = profile::analyzeRoofline(shapes.flops, shapes.bytes, r.timing.medianSeconds,
                                            ceilingsForProblem(config_.ceilings, problem), cold);
      if (gap > std::max(0.5 * r.timing.medianSeconds, 200e-6)) {
        r.verdict = Verdict::Rejected;
        r.detail = "timer mismatch: on every timed call the parent saw at least " +
                   std::to_string(gap * 1e3) + " ms more pass than the worker reported (median " +
                   std::to_string(r.timing.medianSeconds * 1e3) + " ms per call)";
      } else if (r.roofline.floorSeconds > 0 &&
                 r.timing.medianSeconds < options.impossibleFraction * r.roofline.floorSeconds) {
        r.verdict = Verdict::Rejected;
        std::ostringstream s;
        s.precision(3);
        s << "impossible time: median " << r.timing.medianSeconds * 1e6 << " us is below "
          << options.impossibleFraction * 100 << "% of the physical floor "
          << r.roofline.floorSeconds * 1e6 << " us (" << r.roofline.floorBound
          << " ceiling measured on this machine)";
        r.detail = s.str();
      }
    }

    // The baseline, timed in the same run on the same inputs.
    if (r.verdict == Verdict::Ok && baseline) {
      TimedRun baseRun;
      KernelSession base(config_, baseline->build.library, arena, layout, shapes, problem, false,
                         std::max(options.callTimeoutSeconds, 60.0),
                         trustedDevice(*baseline, ss, shapes));
      bool fine = !base.failure() && runKernel(base, baseRun, true, true);
      result.kernelSeconds += base.kernelSeconds();
      if (fine) {
        r.baseline = summarizeTimes(baseRun.workerSeconds);
        if (r.timing.medianSeconds > 0)
          r.speedup = r.baseline->medianSeconds / r.timing.medianSeconds;
      } else {
        r.baselineNote = "baseline failed: " + base.failure()->detail;
      }
      mark("baseline");
    } else if (options.timing && !baselineFile) {
      r.baselineNote = "the problem has no baseline";
    }

    Verdict v = r.verdict;
    std::string detail = r.detail;
    result.shapeSets.push_back(std::move(r));
    if (v != Verdict::Ok) {
      result.verdict = v;
      result.detail = ss.name + ": " + detail;
      break;
    }
  }
  result.wallSeconds = secondsSince(wallStart);
  return result;
}

}  // namespace kevo::eval

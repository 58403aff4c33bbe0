#include "eval/ProblemValidation.h"

#include <fstream>
#include <sstream>

#include "problem/Problem.h"

namespace kevo::eval {

namespace {

// Shared by every canary: the byte size of a tensor from its descriptor.
constexpr const char* kCanaryPrelude = R"(#include "kevo_abi.h"
#include <cstring>
static size_t kevo_bytes(const kevo_tensor& t) {
  size_t n = (t.dtype == KEVO_F64 || t.dtype == KEVO_I64)   ? 8
             : (t.dtype == KEVO_BF16 || t.dtype == KEVO_F16) ? 2
                                                             : 4;
  for (int d = 0; d < t.ndim; ++d) n *= size_t(t.shape[d]);
  return n;
}
)";

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::vector<CanaryKernel> canaryKernels() {
  std::string prelude = kCanaryPrelude;
  return {
      {"zeros", "writes 0 to every output element",
       prelude +
           R"(extern "C" int kevo_kernel(const kevo_tensor*, int32_t, kevo_tensor* out, int32_t n_out,
                           const kevo_scalar*, int32_t, void*) {
  for (int o = 0; o < n_out; ++o) std::memset(out[o].data, 0, kevo_bytes(out[o]));
  return 0;
}
)"},
      {"copy_input", "copies the first input's bytes into the first output",
       prelude +
           R"(extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t n_out,
                           const kevo_scalar*, int32_t, void*) {
  for (int o = 0; o < n_out; ++o) std::memset(out[o].data, 0, kevo_bytes(out[o]));
  size_t n = kevo_bytes(in[0]) < kevo_bytes(out[0]) ? kevo_bytes(in[0]) : kevo_bytes(out[0]);
  std::memcpy(out[0].data, in[0].data, n);
  return 0;
}
)"},
      {"constant", "writes 1 (or 1.0) to every output element",
       prelude + R"(template <typename T> static void fill(void* p, size_t n, T one = T(1)) {
  for (size_t i = 0; i < n; ++i) static_cast<T*>(p)[i] = one;
}
extern "C" int kevo_kernel(const kevo_tensor*, int32_t, kevo_tensor* out, int32_t n_out,
                           const kevo_scalar*, int32_t, void*) {
  for (int o = 0; o < n_out; ++o) {
    size_t bytes = kevo_bytes(out[o]);
    switch (out[o].dtype) {
      case KEVO_F32: fill<float>(out[o].data, bytes / 4); break;
      case KEVO_F64: fill<double>(out[o].data, bytes / 8); break;
      case KEVO_I32: fill<int32_t>(out[o].data, bytes / 4); break;
      case KEVO_BF16: fill<uint16_t>(out[o].data, bytes / 2, 0x3F80); break;  // 1.0
      default: fill<int64_t>(out[o].data, bytes / 8); break;
    }
  }
  return 0;
}
)"},
      {"untouched", "returns at once, leaving the poisoned outputs as they are",
       prelude + R"(extern "C" int kevo_kernel(const kevo_tensor*, int32_t, kevo_tensor*, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  return 0;
}
)"},
  };
}

bool ValidationReport::passed() const {
  for (const auto& c : checks)
    if (!c.passed) return false;
  return !checks.empty();
}

nlohmann::json ValidationReport::toJson() const {
  nlohmann::json j = {{"dir", dir.string()}, {"problem", problemId}, {"passed", passed()}};
  j["checks"] = nlohmann::json::array();
  for (const auto& c : checks)
    j["checks"].push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
  return j;
}

ValidationReport validateProblem(Evaluator& evaluator, const std::filesystem::path& dir,
                                 bool runKernels) {
  ValidationReport report;
  report.dir = dir;
  problem::Problem p;
  try {
    p = problem::loadProblem(dir);
    report.problemId = p.id;
    report.checks.push_back({"spec", true, "problem.json is valid"});
  } catch (const problem::ProblemError& e) {
    report.checks.push_back({"spec", false, e.what()});
    return report;
  }
  if (!runKernels) return report;

  // Correctness only, on the first shape set (the small one in the bundled library), with a
  // fixed seed so a report can be reproduced.
  EvalOptions options;
  options.timing = false;
  options.seed = 0x6b65766fULL;
  options.shapeSets = {p.shapeSets.front().name};
  options.callTimeoutSeconds = 30;

  auto run = [&](const std::string& name, const std::string& source, KernelRole role, bool mustPass,
                 const std::string& what) {
    options.role = role;
    ValidationCheck c{name, false, {}};
    try {
      EvaluationResult r = evaluator.evaluate(p, source, name, options);
      bool ok = r.verdict == Verdict::Ok;
      c.passed = ok == mustPass;
      if (mustPass) {
        c.detail = ok ? what + " agrees with the reference" : what + " fails: " + r.detail;
      } else {
        c.detail =
            ok ? "the " + what +
                     " canary PASSED: the tolerance or the input distributions "
                     "are too weak to tell it from a correct kernel"
               : "fails as it must (" + std::string(verdictName(r.verdict)) + ": " + r.detail + ")";
      }
    } catch (const std::exception& e) {
      c.detail = e.what();
    }
    report.checks.push_back(c);
  };

  if (p.referenceCpu)
    run("reference", readFile(p.referenceCpu->source), KernelRole::Reference, true,
        "the reference");
  if (p.baselineCpu)
    run("baseline", readFile(p.baselineCpu->source), KernelRole::Baseline, true, "the baseline");
  for (const auto& canary : canaryKernels())
    run("canary:" + canary.name, canary.source, KernelRole::Canary, false, canary.name);
  return report;
}

}  // namespace kevo::eval

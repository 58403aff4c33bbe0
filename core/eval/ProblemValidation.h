// `problems validate`: a problem is usable when its spec loads, its reference and baseline
// build and agree, and every canary kernel (all zeros, a copy of an input, a constant, the
// poison left untouched) fails. A canary that passes means the tolerance or the inputs are too
// weak to tell a wrong kernel from a right one.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/Evaluator.h"

namespace kevo::eval {

struct CanaryKernel {
  std::string name;
  std::string description;
  std::string source;
};

std::vector<CanaryKernel> canaryKernels();

struct ValidationCheck {
  std::string name;  // spec, reference, baseline, canary:zeros, ...
  bool passed = false;
  std::string detail;
};

struct ValidationReport {
  std::filesystem::path dir;
  std::string problemId;
  std::vector<ValidationCheck> checks;
  bool passed() const;
  nlohmann::json toJson() const;
};

// Never throws: everything wrong is a failed check.
ValidationReport validateProblem(Evaluator& evaluator, const std::filesystem::path& dir,
                                 bool runKernels = true);

}  // namespace kevo::eval

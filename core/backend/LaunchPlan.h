// The launch plan of a CUDA source in launch-plan form (docs/cuda-backend.md): its
// `// kevo-launch:` and `// kevo-scratch:` comment lines, parsed once when the source is built,
// then resolved against one shape set's symbols (and the source's integer #defines, which is
// how recipe knobs reach the grid) into the numbers the worker launches with.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "problem/Expression.h"

namespace kevo::backend {

// A launch line or scratch line that cannot be parsed or resolved; the message starts with
// "line N:" so it can be shown as a compile diagnostic.
class LaunchPlanError : public std::runtime_error {
 public:
  LaunchPlanError(int line, const std::string& what)
      : std::runtime_error("line " + std::to_string(line) + ": " + what), line_(line) {}
  int line() const { return line_; }

 private:
  int line_;
};

struct LaunchLine {
  int line = 0;
  std::string kernel;
  std::vector<std::string> grid, block;  // 1 to 3 expressions each
  std::string smem;                      // empty: no dynamic shared memory
};

struct LaunchPlan {
  std::vector<LaunchLine> launches;
  std::string scratch;  // bytes expression; empty: no scratch
  int scratchLine = 0;
  problem::SymbolTable defines;  // every `#define NAME <integer>` of the source
  bool isLaunchPlanForm() const { return !launches.empty(); }
};

struct ResolvedLaunch {
  std::string kernel;
  std::array<int64_t, 3> grid{1, 1, 1}, block{1, 1, 1};
  int64_t smemBytes = 0;
};

struct ResolvedPlan {
  std::vector<ResolvedLaunch> launches;
  int64_t scratchBytes = 0;
  nlohmann::json toJson() const;
};

// Throws LaunchPlanError for a malformed kevo-launch or kevo-scratch line. A source without
// such lines gives an empty plan (library form).
LaunchPlan parseLaunchPlan(const std::string& source);

// Evaluates every expression with the shape symbols plus the source's defines (a define
// shadows nothing: a name in both is an error). Throws LaunchPlanError for an unknown symbol,
// a zero or negative dimension, more than 1024 threads per block, or a grid beyond CUDA's
// limits.
ResolvedPlan resolveLaunchPlan(const LaunchPlan& plan, const problem::SymbolTable& symbols);

}  // namespace kevo::backend

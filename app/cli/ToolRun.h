// What `kevo-cli profile` and `kevo-cli sanitize` share: the kernel a tool runs on (a file for a
// problem, or a session's node), finding the NVIDIA tool, and the sandbox layers a run under it
// may relax.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "CliSupport.h"
#include "eval/Evaluator.h"
#include "problem/Problem.h"

namespace kevo::cli {

struct ToolTarget {
  problem::Problem problem;
  std::string source, label;
  std::vector<std::string> flags;
  std::string sessionFile;  // when the kernel is a session's node
  int64_t nodeId = 0;
  // The problem's own CUDA baseline or reference runs as what it is: trusted, linked with the
  // libraries its spec names (cuBLAS).
  eval::KernelRole role = eval::KernelRole::Candidate;
};

// A session FILE with --node N or --best (a CUDA session), or --problem P --source F. `tool`
// names the command in messages. Throws UsageError / InputError.
ToolTarget resolveToolTarget(const Args& args, const std::string& tool);

// --<option> PATH, $<envVar>, the CUDA toolkit's bin/, then PATH; nullopt when none exists.
std::optional<std::filesystem::path> findCudaTool(const std::string& name,
                                                  const std::optional<std::string>& given,
                                                  const char* envVar);

// The --relax list (comma-separated sandbox layers), checked; `fallback` when not given.
std::vector<std::string> relaxedLayers(const Args& args, const std::string& fallback);

}  // namespace kevo::cli

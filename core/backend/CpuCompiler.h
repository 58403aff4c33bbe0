// The CPU backend's build step: compiles one kernel translation unit into a shared library with
// g++ (or another compiler), behind a content-hash cache keyed by source, flags, compiler
// version and the ABI header. Failed builds are cached too, so a broken candidate costs one
// compile. Only the worker ever loads what this produces.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "backend/CompileDiagnostic.h"

namespace kevo::backend {

struct BuildRequest {
  std::string source;                     // the exact text to compile
  std::string sourceName = "kernel.cpp";  // shown in diagnostics
  std::vector<std::string> extraFlags;    // user or recipe flags, appended to the defaults
  std::vector<std::string> libs;          // library names from a problem spec (e.g. openblas)
};

struct BuildResult {
  bool ok = false;
  std::filesystem::path library;            // the built file (the .so, or the .cubin), when ok
  std::string artifact = "shared_library";  // or "cubin" (CUDA launch-plan form)
  std::string key;                          // content hash (hex)
  bool cacheHit = false;
  double compileSeconds = 0;  // 0 on a cache hit
  std::vector<std::string> command;
  std::vector<CompileDiagnostic> diagnostics;
  std::string log;  // the compiler's output
};

class CpuCompiler {
 public:
  explicit CpuCompiler(std::filesystem::path cacheDir, std::string compiler = "g++");

  // Throws std::invalid_argument for flags that are not allowed (output paths, plugins, ...).
  BuildResult build(const BuildRequest& request);

  const std::string& compilerVersion();
  static std::vector<std::string> defaultFlags();
  // Empty when every flag is acceptable, else why the first bad one is refused.
  static std::string checkFlags(const std::vector<std::string>& flags);

 private:
  std::filesystem::path cacheDir_;
  std::string compiler_;
  std::string version_;
};

}  // namespace kevo::backend

#include "backend/CpuCompiler.h"

#include <chrono>
#include <stdexcept>

#include "backend/BuildCache.h"

#include "problem/Problem.h"
#include "util/Paths.h"
#include "util/Sha256.h"
#include "util/Subprocess.h"

namespace kevo::backend {

namespace fs = std::filesystem;

CpuCompiler::CpuCompiler(fs::path cacheDir, std::string compiler)
    : cacheDir_(std::move(cacheDir)), compiler_(std::move(compiler)) {}

std::vector<std::string> CpuCompiler::defaultFlags() {
  return {"-std=c++20",
          "-O3",
          "-march=native",
          "-fPIC",
          "-shared",
          "-fno-diagnostics-color",
          "-fdiagnostics-plain-output",
          "-Wall",
          "-Wextra"};
}

std::string CpuCompiler::checkFlags(const std::vector<std::string>& flags) {
  // Flags that would write elsewhere, load compiler plugins, swap the toolchain, or link
  // libraries the problem did not declare.
  static const std::vector<std::string> refusedPrefixes = {
      "-o", "-fplugin", "-B",  "-specs",   "-wrapper", "@",
      "-l", "-L",       "-Wl", "-Xlinker", "--sysroot"};
  for (const auto& f : flags)
    for (const auto& p : refusedPrefixes)
      if (f.rfind(p, 0) == 0)
        return "flag \"" + f +
               "\" is not allowed (output paths, plugins, toolchain and "
               "linker options are set by Kevo)";
  return {};
}

const std::string& CpuCompiler::compilerVersion() {
  if (version_.empty()) {
    auto r = util::runSubprocess({compiler_, "--version"}, 30);
    if (!r.started || r.exitCode != 0)
      throw std::runtime_error("compiler \"" + compiler_ +
                               "\" cannot be run: " + (r.error.empty() ? r.output : r.error));
    version_ = r.output.substr(0, r.output.find('\n'));
  }
  return version_;
}

BuildResult CpuCompiler::build(const BuildRequest& request) {
  if (std::string why = checkFlags(request.extraFlags); !why.empty())
    throw std::invalid_argument(why);
  std::vector<std::string> libFlags;
  for (const auto& lib : request.libs) {
    auto flags = problem::libraryFlags(lib);
    if (!flags) throw std::invalid_argument("unknown library \"" + lib + "\"");
    libFlags.insert(libFlags.end(), flags->begin(), flags->end());
  }

  fs::path abiDir = util::abiIncludeDir();
  std::string abiHeader = readTextFile(abiDir / "kevo_abi.h");
  if (abiHeader.empty()) throw std::runtime_error("kevo_abi.h not found in " + abiDir.string());

  std::vector<std::string> flags = defaultFlags();
  flags.insert(flags.end(), request.extraFlags.begin(), request.extraFlags.end());

  std::string keyMaterial = "kevo-cpu-build-v1\n" + compilerVersion() + "\n";
  for (const auto& f : flags) keyMaterial += f + "\n";
  for (const auto& f : libFlags) keyMaterial += f + "\n";
  keyMaterial += request.sourceName + "\n" + abiHeader + "\n" + request.source;

  BuildResult result;
  result.key = util::sha256Hex(keyMaterial);
  BuildCache cache(cacheDir_);
  if (auto hit = cache.find(result.key, "kernel.so")) return *hit;

  fs::path staging = cache.stage(result.key);
  writeTextFile(staging / request.sourceName, request.source);

  result.command = {compiler_};
  result.command.insert(result.command.end(), flags.begin(), flags.end());
  result.command.insert(result.command.end(),
                        {"-I" + abiDir.string(), request.sourceName, "-o", "kernel.so"});
  result.command.insert(result.command.end(), libFlags.begin(), libFlags.end());

  auto start = std::chrono::steady_clock::now();
  auto run = util::runSubprocess(result.command, 120, staging);
  result.compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.log = run.output;
  if (!run.started) {
    fs::remove_all(staging);
    throw std::runtime_error(run.error);
  }
  if (run.timedOut) result.log += "\n[kevo] compiler killed after 120 s\n";
  result.ok = run.exitCode == 0 && !run.timedOut && fs::exists(staging / "kernel.so");
  result.diagnostics = parseGccDiagnostics(run.output);

  cache.commit(staging, result, "kernel.so");
  return result;
}

}  // namespace kevo::backend

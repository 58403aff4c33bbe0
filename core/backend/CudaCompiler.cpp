#include "backend/CudaCompiler.h"

#include <chrono>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "backend/BuildCache.h"
#include "backend/CudaToolkit.h"
#include "backend/LaunchPlan.h"
#include "problem/Problem.h"
#include "util/Paths.h"
#include "util/Sha256.h"
#include "util/Subprocess.h"

namespace kevo::backend {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

CudaToolkit requireToolkit() {
  auto tk = findCudaToolkit();
  if (!tk)
    throw std::runtime_error(
        "no CUDA toolkit: nvcc not found in $KEVO_CUDA_HOME, $CUDA_HOME, $CUDA_PATH, on PATH or "
        "in /usr/local/cuda");
  return *tk;
}

// Asked once per process (builds run on several threads; a static's initialization is
// thread-safe, and a throw leaves it to be tried again).
const std::string& nvccVersion(const CudaToolkit& tk) {
  static const std::string version = [&] {
    auto r = util::runSubprocess({tk.nvcc().string(), "--version"}, 30);
    if (!r.started || r.exitCode != 0)
      throw std::runtime_error("nvcc cannot be run: " + (r.error.empty() ? r.output : r.error));
    size_t at = r.output.rfind("Cuda compilation tools");
    return at == std::string::npos ? r.output : r.output.substr(at);
  }();
  return version;
}

std::string headersMaterial() {
  fs::path abi = util::abiIncludeDir();
  return readTextFile(abi / "kevo_abi.h") + "\n" + readTextFile(abi / "kevo_cuda.h");
}

}  // namespace

std::vector<CompileDiagnostic> parseNvccDiagnostics(const std::string& output) {
  static const std::regex device(
      R"(^(.*?)\((\d+)\): (catastrophic error|error|warning|remark)(?: #[\w-]+)?: (.*)$)");
  static const std::regex ptxas(R"(^ptxas (fatal|error|warning)\s*: (.*)$)");
  std::vector<CompileDiagnostic> out;
  std::istringstream lines(output);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    CompileDiagnostic d;
    if (std::regex_match(line, m, device)) {
      d.file = m[1];
      d.line = std::stoi(m[2]);
      d.severity = m[3] == "catastrophic error" ? "fatal error" : std::string(m[3]);
      d.message = m[4];
    } else if (std::regex_match(line, m, ptxas)) {
      d.file = "ptxas";
      d.severity = m[1] == "warning" ? "warning" : "error";
      d.message = m[2];
    } else {
      continue;
    }
    out.push_back(std::move(d));
  }
  for (auto& d : parseGccDiagnostics(output)) out.push_back(std::move(d));
  return out;
}

CudaCompiler::CudaCompiler(fs::path cacheDir, std::string arch, bool useNvcc)
    : cacheDir_(std::move(cacheDir)), arch_(std::move(arch)), useNvcc_(useNvcc) {
  if (const char* env = std::getenv("KEVO_CUDA_COMPILER"); env && std::string(env) == "nvcc")
    useNvcc_ = true;
  static const std::regex valid(R"(^sm_\d+[af]?$)");
  if (!std::regex_match(arch_, valid))
    throw std::invalid_argument("CUDA architecture \"" + arch_ + "\" is not of the form sm_90a");
}

std::string CudaCompiler::checkFlags(const std::vector<std::string>& flags) {
  // Output paths, other targets, host compilers, linking and code generation that would load
  // or run other programs stay with Kevo; optimization and math flags are the recipe's.
  static const std::vector<std::string> refusedPrefixes = {
      "-o",           "--output",   "-arch",     "--gpu-architecture",
      "-gencode",     "-code",      "-ccbin",    "--compiler",
      "-Xlinker",     "-Xcompiler", "-l",        "-L",
      "--linker",     "-Wl",        "@",         "--options-file",
      "-optf",        "-I",         "--include", "-isystem",
      "--pre-include"};
  for (const auto& f : flags)
    for (const auto& p : refusedPrefixes)
      if (f.rfind(p, 0) == 0 && f != "-lineinfo")
        return "flag \"" + f +
               "\" is not allowed (outputs, targets, include paths, host compiler and linker "
               "options are set by Kevo)";
  return {};
}

std::vector<std::string> CudaCompiler::defaultNvrtcOptions(const std::string& arch) {
  // ptxas's resource report (registers, spills, shared memory) lands in the log: the profile
  // of a kernel when Nsight Compute is not at hand (backend/ResourceUsage.h).
  return {"--gpu-architecture=" + arch, "--std=c++17", "-default-device", "-lineinfo",
          "--ptxas-options=-v"};
}

BuildResult CudaCompiler::build(const BuildRequest& request) {
  if (std::string why = checkFlags(request.extraFlags); !why.empty())
    throw std::invalid_argument(why);
  for (const auto& lib : request.libs)
    if (!problem::libraryFlags(lib)) throw std::invalid_argument("unknown library \"" + lib + "\"");

  LaunchPlan plan;
  try {
    plan = parseLaunchPlan(request.source);
  } catch (const LaunchPlanError& e) {
    BuildResult r;
    r.ok = false;
    r.log = request.sourceName + "(" + std::to_string(e.line()) + "): error: " + e.what();
    r.diagnostics = {{request.sourceName, e.line(), 0, "error", e.what()}};
    return r;
  }
  if (!plan.isLaunchPlanForm()) return buildWithNvcc(request, false);
  if (useNvcc_) return buildWithNvcc(request, true);
  return buildCubinWithNvrtc(request);
}

BuildResult CudaCompiler::buildCubinWithNvrtc(const BuildRequest& request) {
  const Nvrtc& nvrtc = Nvrtc::instance();
  CudaToolkit tk = requireToolkit();
  std::vector<std::string> options = defaultNvrtcOptions(arch_);
  options.push_back("-I" + util::abiIncludeDir().string());
  options.push_back("-I" + tk.includeDir().string());
  options.insert(options.end(), request.extraFlags.begin(), request.extraFlags.end());

  std::string key = "kevo-cuda-nvrtc-v1\n" + nvrtc.version() + "\n";
  for (const auto& o : options) key += o + "\n";
  key += request.sourceName + "\n" + headersMaterial() + "\n" + request.source;

  BuildResult result;
  result.key = util::sha256Hex(key);
  result.artifact = "cubin";
  BuildCache cache(cacheDir_);
  if (auto hit = cache.find(result.key, "kernel.cubin")) return *hit;

  fs::path staging = cache.stage(result.key);
  writeTextFile(staging / request.sourceName, request.source);
  result.command = {"nvrtc " + nvrtc.version()};
  result.command.insert(result.command.end(), options.begin(), options.end());
  result.command.push_back(request.sourceName);

  auto start = Clock::now();
  NvrtcOutput out = nvrtc.compile(request.source, request.sourceName, options);
  result.compileSeconds = secondsSince(start);
  result.ok = out.ok;
  result.log = out.log;
  result.diagnostics = parseNvccDiagnostics(out.log);
  if (out.ok) writeTextFile(staging / "kernel.cubin", out.cubin);
  cache.commit(staging, result, "kernel.cubin");
  return result;
}

BuildResult CudaCompiler::buildWithNvcc(const BuildRequest& request, bool cubin) {
  CudaToolkit tk = requireToolkit();
  std::string artifact = cubin ? "kernel.cubin" : "kernel.so";
  std::vector<std::string> flags = {"-O3", "-std=c++17", "-lineinfo", "--ptxas-options=-v"};
  // -gencode so that an arch-specific target ("a") compiles its own pass only (HOPPER.md).
  std::string num = arch_.substr(3);
  flags.push_back("-gencode=arch=compute_" + num + ",code=sm_" + num);
  if (cubin) {
    flags.push_back("-cubin");
  } else {
    flags.insert(flags.end(), {"-shared", "-Xcompiler", "-fPIC"});
  }
  flags.insert(flags.end(), request.extraFlags.begin(), request.extraFlags.end());
  std::vector<std::string> libFlags;
  // Toolchains that link --as-needed by default would drop a library only a shared object uses.
  // The run path names the toolkit's own lib64, so the worker (whose environment is minimal)
  // loads the cuBLAS this build linked against, not another copy the loader happens to know.
  if (!request.libs.empty())
    libFlags = {"-Xlinker", "--no-as-needed", "-Xlinker", "-rpath=" + (tk.home / "lib64").string()};
  for (const auto& lib : request.libs) {
    auto f = problem::libraryFlags(lib);
    libFlags.insert(libFlags.end(), f->begin(), f->end());
  }

  std::string key = "kevo-cuda-nvcc-v1\n" + nvccVersion(tk) + "\n";
  for (const auto& f : flags) key += f + "\n";
  for (const auto& f : libFlags) key += f + "\n";
  key += request.sourceName + "\n" + headersMaterial() + "\n" + request.source;

  BuildResult result;
  result.key = util::sha256Hex(key);
  result.artifact = cubin ? "cubin" : "shared_library";
  BuildCache cache(cacheDir_);
  if (auto hit = cache.find(result.key, artifact)) return *hit;

  fs::path staging = cache.stage(result.key);
  std::string name = request.sourceName;
  if (name.size() < 3 || name.substr(name.size() - 3) != ".cu") name += ".cu";
  writeTextFile(staging / name, request.source);
  result.command = {tk.nvcc().string()};
  result.command.insert(result.command.end(), flags.begin(), flags.end());
  result.command.insert(result.command.end(),
                        {"-I" + util::abiIncludeDir().string(), name, "-o", artifact});
  result.command.insert(result.command.end(), libFlags.begin(), libFlags.end());

  auto start = Clock::now();
  auto run = util::runSubprocess(result.command, 300, staging);
  result.compileSeconds = secondsSince(start);
  result.log = run.output;
  if (!run.started) {
    fs::remove_all(staging);
    throw std::runtime_error(run.error);
  }
  if (run.timedOut) result.log += "\n[kevo] nvcc killed after 300 s\n";
  result.ok = run.exitCode == 0 && !run.timedOut && fs::exists(staging / artifact);
  result.diagnostics = parseNvccDiagnostics(run.output);
  cache.commit(staging, result, artifact);
  return result;
}

}  // namespace kevo::backend

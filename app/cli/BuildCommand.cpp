// kevo-cli build --source FILE [--backend cpu|cuda] [--arch sm_XX] [--flags "..."] [--json]
// Compiles one kernel the way an evaluation would, without running it: no GPU is needed for a
// CUDA source. Shows the diagnostics, the parsed launch plan and ptxas's resource report.
#include <iostream>

#include "CliSupport.h"
#include "Commands.h"
#include "backend/CpuCompiler.h"
#include "backend/CudaCompiler.h"
#include "backend/LaunchPlan.h"
#include "backend/ResourceUsage.h"
#include "gpu/CudaDriver.h"
#include "util/Paths.h"

namespace kevo::cli {

namespace {

// The arch of GPU 0 when there is one, else Hopper's (what the bundled recipes target).
std::string defaultArch() {
  try {
    return gpu::queryGpuDevice().arch();
  } catch (const std::exception&) {
    return "sm_90a";
  }
}

}  // namespace

int runBuildCommand(const std::vector<std::string>& argv) {
  Args args(argv, {"source", "backend", "arch", "flags"}, {"json"});
  if (!args.positional().empty())
    throw UsageError("unexpected argument \"" + args.positional()[0] + "\"");
  auto sourceArg = args.value("source");
  if (!sourceArg) throw UsageError("build needs --source FILE");
  std::string backend = args.value("backend").value_or("cpu");
  if (backend != "cpu" && backend != "cuda")
    throw UsageError("unknown backend \"" + backend + "\" (known: cpu, cuda)");

  backend::BuildRequest request;
  request.source = readTextFile(*sourceArg);
  request.sourceName = std::filesystem::path(*sourceArg).filename().string();
  request.extraFlags = splitFlags(args.value("flags").value_or(""));
  backend::BuildResult result;
  std::string arch;
  backend::LaunchPlan plan;
  try {
    if (backend == "cuda") {
      arch = args.value("arch").value_or(defaultArch());
      backend::CudaCompiler compiler(util::cacheDir(), arch);
      result = compiler.build(request);
      if (result.ok) plan = backend::parseLaunchPlan(request.source);
    } else {
      backend::CpuCompiler compiler(util::cacheDir());
      result = compiler.build(request);
    }
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }  // a missing toolkit or compiler is a std::runtime_error: exit 4 (environment)
  auto resources = backend::parsePtxasResources(result.log);

  if (args.flag("json")) {
    nlohmann::json j = {{"ok", result.ok},
                        {"backend", backend},
                        {"artifact", result.ok ? result.artifact : ""},
                        {"path", result.ok ? result.library.string() : ""},
                        {"key", result.key},
                        {"cache_hit", result.cacheHit},
                        {"command", result.command},
                        {"log", result.log}};
    if (!arch.empty()) j["arch"] = arch;
    j["diagnostics"] = nlohmann::json::array();
    for (const auto& d : result.diagnostics) j["diagnostics"].push_back(backend::toJson(d));
    j["kernel_resources"] = nlohmann::json::array();
    for (const auto& k : resources) j["kernel_resources"].push_back(k.toJson());
    j["launches"] = nlohmann::json::array();
    for (const auto& l : plan.launches)
      j["launches"].push_back({{"kernel", l.kernel},
                               {"line", l.line},
                               {"grid", l.grid},
                               {"block", l.block},
                               {"smem", l.smem}});
    printJson(j);
    return result.ok ? kExitOk : kExitVerdict;
  }
  std::cout << (result.ok ? "built " : "failed ") << request.sourceName << " ("
            << (backend == "cuda"
                    ? arch + ", " + (result.artifact == "cubin" ? "NVRTC cubin" : "nvcc library")
                    : std::string("g++ shared library"))
            << (result.cacheHit ? ", cached" : ", " + formatSeconds(result.compileSeconds))
            << ")\n";
  for (const auto& d : result.diagnostics)
    std::cout << "  " << d.file << ":" << d.line << ":" << d.column << ": " << d.severity << ": "
              << d.message << "\n";
  if (!result.ok && result.diagnostics.empty()) std::cout << result.log << "\n";
  for (const auto& l : plan.launches) {
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
      return s;
    };
    std::cout << "launch (line " << l.line << "): " << l.kernel << " grid(" << list(l.grid)
              << ") block(" << list(l.block) << ")"
              << (l.smem.empty() ? "" : " smem(" + l.smem + ")") << "\n";
  }
  for (const auto& k : resources) std::cout << "kernel " << k.describe() << "\n";
  if (result.ok) std::cout << "artifact: " << result.library.string() << "\n";
  return result.ok ? kExitOk : kExitVerdict;
}

}  // namespace kevo::cli

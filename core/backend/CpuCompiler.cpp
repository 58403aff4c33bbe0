#include "backend/CpuCompiler.h"

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>

#include "problem/Problem.h"
#include "util/Paths.h"
#include "util/Sha256.h"
#include "util/Subprocess.h"

namespace kevo::backend {

namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string uniqueSuffix() {
  static std::mt19937_64 rng(std::random_device{}());
  return std::to_string(rng());
}

}  // namespace

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
  std::string abiHeader = readFile(abiDir / "kevo_abi.h");
  if (abiHeader.empty()) throw std::runtime_error("kevo_abi.h not found in " + abiDir.string());

  std::vector<std::string> flags = defaultFlags();
  flags.insert(flags.end(), request.extraFlags.begin(), request.extraFlags.end());

  std::string keyMaterial = "kevo-cpu-build-v1\n" + compilerVersion() + "\n";
  for (const auto& f : flags) keyMaterial += f + "\n";
  for (const auto& f : libFlags) keyMaterial += f + "\n";
  keyMaterial += request.sourceName + "\n" + abiHeader + "\n" + request.source;

  BuildResult result;
  result.key = util::sha256Hex(keyMaterial);
  fs::path entry = cacheDir_ / "build" / result.key;
  result.library = entry / "kernel.so";

  // A finished entry has result.json, written last.
  if (fs::exists(entry / "result.json")) {
    try {
      auto j = nlohmann::json::parse(readFile(entry / "result.json"));
      result.ok = j.at("ok").get<bool>();
      result.log = j.value("log", "");
      for (const auto& c : j.value("command", nlohmann::json::array())) result.command.push_back(c);
      for (const auto& d : j.value("diagnostics", nlohmann::json::array()))
        result.diagnostics.push_back(diagnosticFromJson(d));
      if (!result.ok || fs::exists(result.library)) {
        result.cacheHit = true;
        return result;
      }
    } catch (const std::exception&) {
      // A damaged entry is rebuilt below.
    }
  }

  fs::create_directories(cacheDir_ / "build");
  fs::path staging =
      cacheDir_ / "build" / ("tmp-" + result.key.substr(0, 16) + "-" + uniqueSuffix());
  fs::create_directories(staging);
  writeFile(staging / request.sourceName, request.source);

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

  nlohmann::json j = {{"ok", result.ok}, {"log", result.log}, {"command", result.command}};
  j["diagnostics"] = nlohmann::json::array();
  for (const auto& d : result.diagnostics) j["diagnostics"].push_back(toJson(d));
  writeFile(staging / "result.json", j.dump());

  std::error_code ec;
  if (fs::exists(entry) && !fs::exists(entry / "result.json")) fs::remove_all(entry, ec);
  fs::rename(staging, entry, ec);
  if (ec) {
    // Another process finished the same build first: use theirs.
    fs::remove_all(staging);
  }
  return result;
}

}  // namespace kevo::backend

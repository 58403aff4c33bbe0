#include "backend/CudaToolkit.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace kevo::backend {

namespace fs = std::filesystem;

std::optional<CudaToolkit> findCudaToolkit() {
  std::vector<fs::path> candidates;
  for (const char* var : {"KEVO_CUDA_HOME", "CUDA_HOME", "CUDA_PATH"})
    if (const char* v = std::getenv(var); v && *v) candidates.emplace_back(v);
  if (const char* path = std::getenv("PATH")) {
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (!dir.empty() && fs::exists(fs::path(dir) / "nvcc"))
        candidates.push_back(fs::path(dir).parent_path());
  }
  candidates.emplace_back("/usr/local/cuda");
  std::error_code ec;
  for (const auto& c : candidates)
    if (fs::exists(c / "bin" / "nvcc", ec)) return CudaToolkit{fs::weakly_canonical(c, ec)};
  return std::nullopt;
}

// The NVRTC entry points Kevo uses (nvrtc.h's signatures; nvrtcProgram is an opaque pointer).
struct Nvrtc::Api {
  using Program = void*;
  int (*version)(int*, int*) = nullptr;
  int (*createProgram)(Program*, const char*, const char*, int, const char* const*,
                       const char* const*) = nullptr;
  int (*compileProgram)(Program, int, const char* const*) = nullptr;
  int (*getProgramLogSize)(Program, size_t*) = nullptr;
  int (*getProgramLog)(Program, char*) = nullptr;
  int (*getCubinSize)(Program, size_t*) = nullptr;
  int (*getCubin)(Program, char*) = nullptr;
  int (*destroyProgram)(Program*) = nullptr;
  const char* (*errorString)(int) = nullptr;
};

const Nvrtc& Nvrtc::instance() {
  static std::once_flag once;
  static Nvrtc nvrtc;
  static Api api;
  static std::string error;
  std::call_once(once, [] {
    std::vector<std::string> names;
    if (auto tk = findCudaToolkit())
      for (const char* sub : {"lib64", "lib", "targets/x86_64-linux/lib"})
        for (const char* file : {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"})
          names.push_back((tk->home / sub / file).string());
    for (const char* file : {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"})
      names.emplace_back(file);
    void* lib = nullptr;
    for (const auto& n : names)
      if ((lib = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
    if (!lib) {
      error =
          "NVRTC not found (looked for libnvrtc.so in the CUDA toolkit at $KEVO_CUDA_HOME, "
          "$CUDA_HOME, the nvcc on PATH, /usr/local/cuda, and on the library path)";
      return;
    }
    auto sym = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      if (!fn) error += std::string(error.empty() ? "libnvrtc lacks " : ", ") + name;
    };
    sym(api.version, "nvrtcVersion");
    sym(api.createProgram, "nvrtcCreateProgram");
    sym(api.compileProgram, "nvrtcCompileProgram");
    sym(api.getProgramLogSize, "nvrtcGetProgramLogSize");
    sym(api.getProgramLog, "nvrtcGetProgramLog");
    sym(api.getCubinSize, "nvrtcGetCUBINSize");
    sym(api.getCubin, "nvrtcGetCUBIN");
    sym(api.destroyProgram, "nvrtcDestroyProgram");
    sym(api.errorString, "nvrtcGetErrorString");
    nvrtc.api_ = &api;
  });
  if (!error.empty()) throw std::runtime_error(error);
  return nvrtc;
}

std::string Nvrtc::version() const {
  int major = 0, minor = 0;
  api_->version(&major, &minor);
  return std::to_string(major) + "." + std::to_string(minor);
}

NvrtcOutput Nvrtc::compile(const std::string& source, const std::string& name,
                           const std::vector<std::string>& options) const {
  NvrtcOutput out;
  Api::Program prog = nullptr;
  if (int rc = api_->createProgram(&prog, source.c_str(), name.c_str(), 0, nullptr, nullptr)) {
    out.log = std::string("nvrtcCreateProgram: ") + api_->errorString(rc);
    return out;
  }
  std::vector<const char*> opts;
  for (const auto& o : options) opts.push_back(o.c_str());
  int rc = api_->compileProgram(prog, int(opts.size()), opts.data());
  size_t logSize = 0;
  api_->getProgramLogSize(prog, &logSize);
  if (logSize > 1) {
    out.log.resize(logSize);
    api_->getProgramLog(prog, out.log.data());
    out.log.resize(logSize - 1);  // the terminating NUL
  }
  if (rc == 0) {
    size_t size = 0;
    api_->getCubinSize(prog, &size);
    out.cubin.resize(size);
    if (size) api_->getCubin(prog, out.cubin.data());
    out.ok = size > 0;
    if (!out.ok) out.log += "\nNVRTC produced no cubin (is the target a real sm_ architecture?)";
  } else {
    out.log += std::string("\n") + api_->errorString(rc);
  }
  api_->destroyProgram(&prog);
  return out;
}

}  // namespace kevo::backend

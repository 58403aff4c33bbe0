// kevo-worker: the only process that ever loads candidate code. Started by the evaluator with
// a request pipe (fd 3), a reply pipe (fd 4) and the shared arena (fd 5); it sandboxes itself,
// loads one kernel library and calls it on request. A crash, hang or abort here costs one
// verdict: the parent survives it and kills this process group on timeout.
#include <dirent.h>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "CudaRunner.h"
#include "GpuProbe.h"
#include "TensorDescriptor.h"
#include "abi/kevo_abi.h"
#include "eval/Sandbox.h"
#include "eval/WorkerProtocol.h"

namespace {

using nlohmann::json;
using KernelFn = decltype(&kevo_kernel);

struct TensorSet {
  std::vector<kevo_tensor> inputs, outputs;
};

struct WorkerState {
  uint8_t* arena = nullptr;
  std::vector<TensorSet> sets;
  std::vector<kevo_scalar> scalars;
  KernelFn kernel = nullptr;
  bool threadCheck = true;
  DIR* taskDir = nullptr;
  int baselineThreads = 1;
  std::vector<uint8_t> flushBuffer;
  std::unique_ptr<kevo::worker::CudaRunner> gpu;  // device mode
  bool firstCall = true;
};

void reply(const json& j) {
  if (!kevo::eval::writeLine(kevo::eval::kWorkerReplyFd, j.dump())) _exit(3);
}

int countThreads(DIR* dir) {
  rewinddir(dir);
  int n = 0;
  while (dirent* e = readdir(dir))
    if (e->d_name[0] != '.') ++n;
  return n;
}

kevo_tensor makeTensor(uint8_t* arena, const json& d) {
  return kevo::worker::tensorFromDescriptor(arena + d.at("offset").get<int64_t>(), d);
}

json load(WorkerState& s, const json& req) {
  int64_t arenaBytes = req.at("arena_bytes").get<int64_t>();
  void* p = mmap(nullptr, size_t(arenaBytes), PROT_READ | PROT_WRITE, MAP_SHARED,
                 kevo::eval::kWorkerArenaFd, 0);
  if (p == MAP_FAILED)
    return {{"ok", false}, {"error", std::string("mmap arena: ") + strerror(errno)}};
  s.arena = static_cast<uint8_t*>(p);
  long page = sysconf(_SC_PAGESIZE);
  for (const auto& g : req.at("guard_pages"))
    mprotect(s.arena + g.get<int64_t>(), size_t(page), PROT_NONE);
  close(kevo::eval::kWorkerArenaFd);  // the mapping stays; the fd is not needed

  bool device = req.value("device", "cpu") == "cuda";
  json deviceReport;
  if (device) {
    // The driver opens device files and maps memory: all of it before the sandbox.
    s.gpu = std::make_unique<kevo::worker::CudaRunner>();
    try {
      deviceReport = s.gpu->setup(s.arena, arenaBytes, req);
    } catch (const std::exception& e) {
      return {{"ok", false}, {"error", std::string("cuda: ") + e.what()}};
    }
  }

  for (const auto& set : req.at("sets")) {
    TensorSet ts;
    for (const auto& d : set.at("inputs")) ts.inputs.push_back(makeTensor(s.arena, d));
    for (const auto& d : set.at("outputs")) ts.outputs.push_back(makeTensor(s.arena, d));
    s.sets.push_back(std::move(ts));
  }
  for (const auto& v : req.at("scalars")) {
    int64_t i = v.get<int64_t>();
    s.scalars.push_back(kevo_scalar{i, double(i)});
  }
  s.threadCheck = req.value("thread_check", true);
  s.taskDir = opendir("/proc/self/task");

  json sandbox;
  if (req.value("sandbox", true)) {
    kevo::eval::SandboxConfig config;
    config.writableDir = req.at("writable_dir").get<std::string>();
    config.dataLimitBytes = req.value("data_limit_bytes", config.dataLimitBytes);
    config.cpuSeconds = req.value("cpu_seconds", config.cpuSeconds);
    config.gpu = device;
    for (const auto& layer : req.value("sandbox_relax", json::array())) {
      std::string name = layer.get<std::string>();
      if (!kevo::eval::isRelaxableLayer(name))
        return {{"ok", false}, {"error", "sandbox: no layer \"" + name + "\" to relax"}};
      config.relaxed.insert(name);
    }
    try {
      sandbox = kevo::eval::applySandbox(config);
    } catch (const std::exception& e) {
      return {{"ok", false}, {"error", std::string("sandbox: ") + e.what()}};
    }
  } else {
    sandbox = "off (trusted tool run)";
  }

  std::string library = req.at("library").get<std::string>();
  if (device) {
    if (req.value("artifact", "") == "shared_library") {
      try {
        s.gpu->loadLibrary(library);
      } catch (const std::exception& e) {
        return {{"ok", false}, {"error", e.what()}};
      }
    }
  } else {
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) return {{"ok", false}, {"error", std::string("dlopen: ") + dlerror()}};
    s.kernel = reinterpret_cast<KernelFn>(dlsym(handle, "kevo_kernel"));
    if (!s.kernel)
      return {{"ok", false},
              {"error", "the library exports no kevo_kernel (extern \"C\" missing?)"}};
  }
  bool execMemoryRelaxed = false;
  for (const auto& layer : req.value("sandbox_relax", json::array()))
    execMemoryRelaxed = execMemoryRelaxed || layer == "exec_memory";
  if (execMemoryRelaxed) {
    sandbox["exec_memory"] = "relaxed for a profiling run";
  } else if (req.value("sandbox", true)) {
    try {
      kevo::eval::forbidNewExecutableMemory();
      sandbox["exec_memory"] = "ok: no new executable memory after load";
    } catch (const std::exception& e) {
      return {{"ok", false}, {"error", std::string("sandbox: ") + e.what()}};
    }
  }
  s.baselineThreads = s.taskDir ? countThreads(s.taskDir) : 1;
  if (s.threadCheck && !device && s.baselineThreads > 1) {
    // A thread started by a static constructor could finish each call's work after it returns.
    return {{"ok", false},
            {"rejected", true},
            {"error", "the library started " + std::to_string(s.baselineThreads - 1) +
                          " thread(s) when it was loaded; kernels may only use threads they join "
                          "before returning"}};
  }
  return {
      {"ok", true}, {"sandbox", sandbox}, {"threads", s.baselineThreads}, {"device", deviceReport}};
}

void flushCaches(WorkerState& s, size_t bytes) {
  if (s.flushBuffer.size() != bytes) s.flushBuffer.assign(bytes, 1);
  // Write then read every line, evicting the kernel's data from every cache level.
  volatile uint8_t sink = 0;
  for (size_t i = 0; i < bytes; i += 64) s.flushBuffer[i] = uint8_t(s.flushBuffer[i] + 1);
  for (size_t i = 0; i < bytes; i += 64) sink = uint8_t(sink + s.flushBuffer[i]);
  (void)sink;
}

int leftoverThreads(WorkerState& s) {
  if (!s.threadCheck || !s.taskDir) return 0;
  if (s.gpu && s.firstCall) {
    // The CUDA runtime and driver start helper threads at their first use: what is running
    // after the first call is the baseline for the rest.
    s.firstCall = false;
    s.baselineThreads = countThreads(s.taskDir);
    return 0;
  }
  // A joined thread can linger in /proc for a moment after join returns: look again briefly
  // before calling it left running.
  int leftover = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    leftover = countThreads(s.taskDir) - s.baselineThreads;
    if (leftover <= 0) break;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return std::max(leftover, 0);
}

int64_t nanosecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

json call(WorkerState& s, const json& req) {
  if (s.gpu) {
    json r = s.gpu->call(req);
    auto counting = std::chrono::steady_clock::now();
    r["leftover_threads"] = leftoverThreads(s);
    r["untimed_ns"] = r.value("untimed_ns", int64_t(0)) + nanosecondsSince(counting);
    return r;
  }
  size_t set = req.at("set").get<size_t>();
  if (set >= s.sets.size()) return {{"error", "no such set"}};
  // The flush comes after the parent's poison writes, so a cold call starts with nothing of
  // its outputs or inputs in any cache. Its time is reported apart: the parent's clock
  // cross-check compares the rest with the kernel's time.
  auto flushStart = std::chrono::steady_clock::now();
  if (int64_t flush = req.value("flush_bytes", int64_t(0)); flush > 0)
    flushCaches(s, size_t(flush));
  TensorSet& ts = s.sets[set];
  auto t0 = std::chrono::steady_clock::now();
  int rc =
      s.kernel(ts.inputs.data(), int32_t(ts.inputs.size()), ts.outputs.data(),
               int32_t(ts.outputs.size()), s.scalars.data(), int32_t(s.scalars.size()), nullptr);
  auto t1 = std::chrono::steady_clock::now();
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
  // The flush before the clock and the thread count after it are the worker's own time, each
  // measured on its own (not as the rest of the request, which a tampered `ns` would inflate).
  int leftover = leftoverThreads(s);
  int64_t untimed = std::chrono::duration_cast<std::chrono::nanoseconds>(t0 - flushStart).count() +
                    nanosecondsSince(t1);
  return {{"rc", rc}, {"ns", ns}, {"untimed_ns", untimed}, {"leftover_threads", leftover}};
}

json flush(WorkerState& s, const json& req) {
  flushCaches(s, req.at("bytes").get<size_t>());
  return {{"ok", true}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--gpu-probe")
    return kevo::worker::runGpuProbe(argv[2], std::atoi(argv[3]));
  // Only the protocol fds, the arena and the log files survive; anything else inherited by
  // accident is closed before candidate code can see it.
  close_range(kevo::eval::kWorkerArenaFd + 1, ~0U, 0);
  kevo::eval::LineReader requests(kevo::eval::kWorkerRequestFd);
  WorkerState state;
  while (auto line = requests.readLine()) {
    json req;
    try {
      req = json::parse(*line);
    } catch (const std::exception& e) {
      reply({{"ok", false}, {"error", std::string("bad request: ") + e.what()}});
      continue;
    }
    std::string cmd = req.value("cmd", "");
    try {
      if (cmd == "load") {
        json r = load(state, req);
        reply(r);
        if (!r.value("ok", false)) _exit(2);
      } else if (cmd == "call" && (state.kernel || state.gpu)) {
        reply(call(state, req));
      } else if (cmd == "sample_outputs" && state.gpu) {
        reply(state.gpu->sampleOutputs(req));
      } else if (cmd == "download_inputs") {
        reply(state.gpu ? state.gpu->downloadInputs(req) : json{{"ok", true}});
      } else if (cmd == "flush") {
        reply(flush(state, req));
      } else if (cmd == "ping") {
        reply({{"ok", true}});
      } else if (cmd == "exit") {
        break;
      } else {
        reply({{"ok", false}, {"error", "unknown or out-of-order request: " + cmd}});
      }
    } catch (const std::exception& e) {
      reply({{"ok", false}, {"error", std::string("bad request: ") + e.what()}});
    }
  }
  // _exit: no atexit handlers (LeakSanitizer would need ptrace, which the sandbox forbids).
  _exit(0);
}

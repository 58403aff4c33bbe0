#include "CudaRunner.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "TensorDescriptor.h"
#include "gpu/HarnessKernelsPtx.h"

namespace kevo::worker {

using nlohmann::json;
using namespace kevo::gpu;

namespace {

// Device bytes after every output that a write past its end lands on (the arena's canary
// covers only the rest of its last page, which can be nothing).
constexpr int64_t kTailBytes = 64 << 10;
constexpr unsigned kTailWord = 0xC0DEFACEu;

std::string readBinary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

json CudaRunner::setup(uint8_t* arena, int64_t arenaBytes, const json& req) {
  // Milliseconds per step, reported: the worker's start is a large part of an evaluation.
  json setupMs = json::object();
  auto stepStart = std::chrono::steady_clock::now();
  auto step = [&](const char* name) {
    auto now = std::chrono::steady_clock::now();
    setupMs[name] = std::chrono::duration<double, std::milli>(now - stepStart).count();
    stepStart = now;
  };
  d_ = &cudaDriver();
  arena_ = arena;
  GpuDeviceInfo info = queryGpuDevice();
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  d_->check(d_->cuDeviceGet(&dev, 0), "cuDeviceGet");
  // The primary context: the one the CUDA runtime (and cuBLAS) in a library-form kernel uses.
  d_->check(d_->cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
  d_->check(d_->cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
  step("context");
  // Pinned, the copies of 100 MB sets take milliseconds instead of tens of them. Buffer by
  // buffer: the arena's guard pages are PROT_NONE, and a range holding one cannot be pinned.
  (void)arenaBytes;
  pinned_ = true;
  for (const auto& set : req.at("sets"))
    for (const char* kind : {"inputs", "outputs"})
      for (const auto& t : set.at(kind)) {
        size_t capacity = t.at("capacity").get<size_t>();
        if (capacity == 0) continue;
        CUresult r = d_->cuMemHostRegister(arena_ + t.at("offset").get<int64_t>(), capacity, 0);
        if (r != kCudaSuccess && pinError_.empty()) pinError_ = d_->describe(r);
        pinned_ = pinned_ && r == kCudaSuccess;
      }
  step("pin_arena");

  for (const auto& v : req.at("scalars")) {
    int64_t i = v.get<int64_t>();
    scalars_.push_back(kevo_scalar{i, double(i)});
  }
  for (const auto& set : req.at("sets")) {
    DeviceSet s;
    int n = 0;
    for (const auto& t : set.at("inputs")) {
      if (n >= KEVO_CUDA_MAX_TENSORS)
        throw std::runtime_error("more inputs than kevo_cuda_args holds");
      int64_t bytes = t.at("bytes").get<int64_t>();
      CUdeviceptr p = 0;
      d_->check(d_->cuMemAlloc(&p, size_t(std::max<int64_t>(bytes, 256))), "cuMemAlloc (input)");
      int64_t offset = t.at("offset").get<int64_t>();
      d_->check(d_->cuMemcpyHtoD(p, arena_ + offset, size_t(bytes)), "cuMemcpyHtoD (input)");
      s.inputs.push_back(p);
      s.inputOffset.push_back(offset);
      s.inputBytes.push_back(bytes);
      s.args.in[n] = reinterpret_cast<const void*>(p);
      const auto& shape = t.at("shape");
      for (size_t k = 0; k < shape.size() && k < KEVO_CUDA_MAX_DIMS; ++k)
        s.args.in_shape[n][k] = shape[k].get<long long>();
      s.inTensors.push_back(tensorFromDescriptor(reinterpret_cast<void*>(p), t));
      ++n;
    }
    n = 0;
    for (const auto& t : set.at("outputs")) {
      if (n >= KEVO_CUDA_MAX_TENSORS)
        throw std::runtime_error("more outputs than kevo_cuda_args holds");
      int64_t capacity = t.at("capacity").get<int64_t>();
      CUdeviceptr p = 0;
      d_->check(d_->cuMemAlloc(&p, size_t(capacity + kTailBytes)), "cuMemAlloc (output)");
      s.outputs.push_back(p);
      s.outputOffset.push_back(t.at("offset").get<int64_t>());
      s.outputBytes.push_back(t.at("bytes").get<int64_t>());
      s.outputCapacity.push_back(capacity);
      s.outputElementBytes.push_back(t.at("element_bytes").get<int64_t>());
      s.args.out[n] = reinterpret_cast<void*>(p);
      const auto& shape = t.at("shape");
      for (size_t k = 0; k < shape.size() && k < KEVO_CUDA_MAX_DIMS; ++k)
        s.args.out_shape[n][k] = shape[k].get<long long>();
      s.outTensors.push_back(tensorFromDescriptor(reinterpret_cast<void*>(p), t));
      ++n;
    }
    for (size_t k = 0; k < scalars_.size() && k < KEVO_CUDA_MAX_SCALARS; ++k)
      s.args.scalar[k] = scalars_[k].i;
    sets_.push_back(std::move(s));
  }
  step("upload_inputs");

  const json& plan = req.value("plan", json::object());
  scratchBytes_ = plan.value("scratch_bytes", int64_t(0));
  if (scratchBytes_ > 0) {
    d_->check(d_->cuMemAlloc(&scratch_, size_t((scratchBytes_ + 3) / 4 * 4)),
              "cuMemAlloc (scratch)");
    for (auto& s : sets_) {
      s.args.scratch = reinterpret_cast<void*>(scratch_);
      s.args.scratch_bytes = scratchBytes_;
    }
  }
  if (req.value("artifact", "") == "cubin") {
    // The cubin is Kevo's own NVRTC/nvcc output; loading it runs none of the candidate's code.
    std::string image = readBinary(req.at("library").get<std::string>());
    CUmodule module = nullptr;
    d_->check(d_->cuModuleLoadData(&module, image.data()), "cuModuleLoadData");
    for (const auto& l : plan.at("launches")) {
      Launch launch;
      std::string name = l.at("kernel").get<std::string>();
      CUresult r = d_->cuModuleGetFunction(&launch.fn, module, name.c_str());
      if (r != kCudaSuccess)
        throw std::runtime_error("kevo-launch names kernel \"" + name +
                                 "\", which the module does not define as extern \"C\" "
                                 "__global__ (" +
                                 d_->describe(r) + ")");
      for (int k = 0; k < 3; ++k) {
        launch.grid[k] = l.at("grid")[size_t(k)].get<unsigned>();
        launch.block[k] = l.at("block")[size_t(k)].get<unsigned>();
      }
      launch.smem = l.value("smem", 0u);
      if (launch.smem > 48 * 1024) {
        if (int(launch.smem) > info.maxSharedPerBlockOptin)
          throw std::runtime_error("kernel " + name + " asks for " + std::to_string(launch.smem) +
                                   " bytes of shared memory; this GPU allows " +
                                   std::to_string(info.maxSharedPerBlockOptin));
        d_->check(
            d_->cuFuncSetAttribute(launch.fn, kFuncAttrMaxDynamicSharedBytes, int(launch.smem)),
            "cuFuncSetAttribute (dynamic shared memory)");
      }
      launches_.push_back(launch);
    }
  }
  step("load_module");
  loadHarnessKernels(info);
  d_->check(d_->cuEventCreate(&start_, 0), "cuEventCreate");
  d_->check(d_->cuEventCreate(&end_, 0), "cuEventCreate");
  // One round trip through every path the calls use, so the driver has opened and mapped all
  // it needs before the sandbox closes the file system.
  for (auto& s : sets_) fillCanaryTails(s);
  d_->check(d_->cuEventRecord(start_, nullptr), "cuEventRecord");
  d_->check(d_->cuEventRecord(end_, nullptr), "cuEventRecord");
  d_->check(d_->cuCtxSynchronize(), "cuCtxSynchronize");
  step("flush_kernel_and_canaries");
  return {{"device", info.name},
          {"setup_ms", setupMs},
          {"arch", info.arch()},
          {"pinned_arena", pinned_ ? "yes" : "no: " + pinError_},
          {"l2_flush", flushKernel_ ? "read-only kernel" : "memset (leaves dirty lines)"},
          {"launches", launches_.size()}};
}

void CudaRunner::loadLibrary(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw std::runtime_error(std::string("dlopen: ") + dlerror());
  library_ = reinterpret_cast<decltype(&kevo_kernel)>(dlsym(handle, "kevo_kernel"));
  if (!library_)
    throw std::runtime_error("the library exports no kevo_kernel (extern \"C\" missing?)");
}

void CudaRunner::copyInputsBack(const DeviceSet& s) {
  for (size_t i = 0; i < s.inputs.size(); ++i)
    d_->check(d_->cuMemcpyDtoH(arena_ + s.inputOffset[i], s.inputs[i], size_t(s.inputBytes[i])),
              "cuMemcpyDtoH (input)");
}

json CudaRunner::downloadInputs(const json& req) {
  size_t index = req.at("set").get<size_t>();
  if (index >= sets_.size()) return {{"ok", false}, {"error", "no such set"}};
  try {
    copyInputsBack(sets_[index]);
  } catch (const CudaError& e) {
    return {{"ok", false}, {"cuda_error", e.what()}};
  }
  return {{"ok", true}};
}

void CudaRunner::fillCanaryTails(const DeviceSet& s) {
  for (size_t o = 0; o < s.outputs.size(); ++o)
    d_->check(d_->cuMemsetD32(s.outputs[o] + CUdeviceptr(s.outputCapacity[o]), kTailWord,
                              size_t(kTailBytes / 4)),
              "cuMemsetD32 (canary)");
}

std::string CudaRunner::checkCanaryTails(const DeviceSet& s) {
  std::vector<unsigned> tail(size_t(kTailBytes / 4));
  for (size_t o = 0; o < s.outputs.size(); ++o) {
    d_->check(d_->cuMemcpyDtoH(tail.data(), s.outputs[o] + CUdeviceptr(s.outputCapacity[o]),
                               size_t(kTailBytes)),
              "cuMemcpyDtoH (canary)");
    for (unsigned w : tail)
      if (w != kTailWord)
        return "wrote past the end of output " + std::to_string(o) + " on the device";
  }
  return {};
}

json CudaRunner::call(const json& req) {
  size_t index = req.at("set").get<size_t>();
  if (index >= sets_.size()) return {{"error", "no such set"}};
  DeviceSet& s = sets_[index];
  ++callCount_;
  // The host time spent on the copies around the timed region, so that the parent can compare
  // its own clock with the event time (Evaluator's timer cross-check).
  auto callStart = std::chrono::steady_clock::now();
  try {
    // Before the clock: the poisoned outputs and their canaries, garbage in the scratch, and
    // (cold sets) an L2 flush read after them so that none of it is cached. The poison is
    // written afresh from its word each call: a copy kept on the device could be overwritten
    // by a kernel (nothing on a GPU protects one allocation from another in the same context)
    // with the right answers, which later calls would then be handed.
    if (req.contains("poison")) {
      poisonOutputs(s, req.at("poison"));
    } else {
      for (size_t o = 0; o < s.outputs.size(); ++o)
        d_->check(
            d_->cuMemcpyHtoD(s.outputs[o], arena_ + s.outputOffset[o], size_t(s.outputCapacity[o])),
            "cuMemcpyHtoD (poison)");
    }
    fillCanaryTails(s);
    if (scratchBytes_ > 0)
      d_->check(d_->cuMemsetD32(scratch_, 0x7FA5A5A5u ^ (callCount_ * 2654435761u),
                                size_t((scratchBytes_ + 3) / 4)),
                "cuMemsetD32 (scratch)");
    int64_t flushBytes = req.value("flush_bytes", int64_t(0));
    if (flushBytes > 0) flushL2(flushBytes);
    d_->check(d_->cuCtxSynchronize(), "cuCtxSynchronize (before the call)");
  } catch (const CudaError& e) {
    return {{"rc", 1}, {"ns", 0}, {"cuda_error", std::string("harness: ") + e.what()}};
  }

  int rc = 0;
  auto timedStart = std::chrono::steady_clock::now();
  CUresult r = d_->cuEventRecord(start_, nullptr);
  if (library_) {
    rc = library_(s.inTensors.data(), int32_t(s.inTensors.size()), s.outTensors.data(),
                  int32_t(s.outTensors.size()), scalars_.data(), int32_t(scalars_.size()), nullptr);
    // The whole device, not one stream: work moved to another stream is timed too.
    if (r == kCudaSuccess) r = d_->cuCtxSynchronize();
    if (r == kCudaSuccess) r = d_->cuEventRecord(end_, nullptr);
  } else {
    void* params[] = {&s.args};
    for (const auto& l : launches_) {
      if (r != kCudaSuccess) break;
      r = d_->cuLaunchKernel(l.fn, l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1],
                             l.block[2], l.smem, nullptr, params, nullptr);
    }
    if (r == kCudaSuccess) r = d_->cuEventRecord(end_, nullptr);
    if (r == kCudaSuccess) r = d_->cuCtxSynchronize();
  }
  if (r == kCudaSuccess) r = d_->cuEventSynchronize(end_);
  float ms = 0;
  if (r == kCudaSuccess) r = d_->cuEventElapsedTime(&ms, start_, end_);
  auto timedEnd = std::chrono::steady_clock::now();
  if (r != kCudaSuccess)
    return {{"rc", int(r)}, {"ns", 0}, {"cuda_error", d_->describe(r)}, {"sticky", true}};
  if (rc != 0) return {{"rc", rc}, {"ns", int64_t(double(ms) * 1e6)}};

  json reply = {{"rc", 0}, {"ns", int64_t(double(ms) * 1e6)}};
  try {
    // Without the outputs, still the bytes between each output's end and its page end: the
    // parent checks its canary there.
    bool whole = req.value("download_outputs", true);
    for (size_t o = 0; o < s.outputs.size(); ++o) {
      int64_t from = whole ? 0 : s.outputBytes[o];
      if (from < s.outputCapacity[o])
        d_->check(
            d_->cuMemcpyDtoH(arena_ + s.outputOffset[o] + from, s.outputs[o] + CUdeviceptr(from),
                             size_t(s.outputCapacity[o] - from)),
            "cuMemcpyDtoH (output)");
    }
    if (std::string broken = checkCanaryTails(s); !broken.empty()) reply["canary"] = broken;
    if (req.value("download_inputs", false)) copyInputsBack(s);
  } catch (const CudaError& e) {
    return {{"rc", int(e.code())}, {"ns", 0}, {"cuda_error", e.what()}, {"sticky", true}};
  }
  auto ns = [](auto d) { return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(); };
  reply["untimed_ns"] =
      ns(timedStart - callStart) + ns(std::chrono::steady_clock::now() - timedEnd);
  return reply;
}

json CudaRunner::sampleOutputs(const json& req) {
  size_t index = req.at("set").get<size_t>();
  if (index >= sets_.size()) return {{"ok", false}, {"error", "no such set"}};
  const DeviceSet& s = sets_[index];
  const json& perOutput = req.at("indices");
  if (perOutput.size() != s.outputs.size())
    return {{"ok", false}, {"error", "one index list per output expected"}};
  try {
    for (size_t o = 0; o < s.outputs.size(); ++o) {
      int64_t size = s.outputElementBytes[o];
      for (const auto& v : perOutput[o]) {
        int64_t at = v.get<int64_t>() * size;
        if (at < 0 || at + size > s.outputBytes[o])
          return {{"ok", false}, {"error", "index outside output " + std::to_string(o)}};
        d_->check(d_->cuMemcpyDtoH(arena_ + s.outputOffset[o] + at, s.outputs[o] + CUdeviceptr(at),
                                   size_t(size)),
                  "cuMemcpyDtoH (sample)");
      }
    }
  } catch (const CudaError& e) {
    return {{"ok", false}, {"cuda_error", e.what()}};
  }
  return {{"ok", true}};
}

void CudaRunner::loadHarnessKernels(const GpuDeviceInfo& info) {
  harnessGrid_ = unsigned(std::max(info.multiprocessors, 1) * 8);
  CUmodule module = nullptr;
  if (d_->cuModuleLoadData(&module, kHarnessKernelsPtx) != kCudaSuccess) return;
  if (d_->cuModuleGetFunction(&flushKernel_, module, kL2FlushKernelName) != kCudaSuccess)
    flushKernel_ = nullptr;
  if (d_->cuModuleGetFunction(&fillKernel_, module, kFill64KernelName) != kCudaSuccess)
    fillKernel_ = nullptr;
  d_->check(d_->cuMemAlloc(&flushSink_, 4), "cuMemAlloc (L2 flush sink)");
}

void CudaRunner::poisonOutputs(const DeviceSet& s, const json& words) {
  if (words.size() != s.outputs.size())
    throw CudaError("one poison word per output expected", kCudaSuccess);
  for (size_t o = 0; o < s.outputs.size(); ++o) {
    uint64_t word = words[o].get<uint64_t>();
    int64_t size = s.outputElementBytes[o], bytes = s.outputBytes[o];
    CUdeviceptr p = s.outputs[o];
    bool halvesEqual = (word >> 32) == (word & 0xFFFFFFFFu);
    if (size == 2) {
      d_->check(d_->cuMemsetD16(p, static_cast<unsigned short>(word), size_t(bytes / 2)),
                "cuMemsetD16 (poison)");
    } else if (size == 4 || (size == 8 && halvesEqual)) {
      d_->check(d_->cuMemsetD32(p, static_cast<unsigned>(word), size_t(bytes / 4)),
                "cuMemsetD32 (poison)");
    } else if (size == 8 && fillKernel_) {
      unsigned long long n = (unsigned long long)(bytes / 8);
      void* params[] = {&p, &n, &word};
      d_->check(d_->cuLaunchKernel(fillKernel_, harnessGrid_, 1, 1, 256, 1, 1, 0, nullptr, params,
                                   nullptr),
                "cuLaunchKernel (poison)");
    } else {
      // No fill kernel (or an element size Kevo does not have): the arena's poisoned copy.
      d_->check(d_->cuMemcpyHtoD(p, arena_ + s.outputOffset[o], size_t(bytes)),
                "cuMemcpyHtoD (poison)");
    }
    // The canary bytes between the output's end and its page end, as the parent wrote them.
    if (s.outputCapacity[o] > bytes)
      d_->check(d_->cuMemcpyHtoD(p + CUdeviceptr(bytes), arena_ + s.outputOffset[o] + bytes,
                                 size_t(s.outputCapacity[o] - bytes)),
                "cuMemcpyHtoD (canary)");
  }
}

void CudaRunner::flushL2(int64_t bytes) {
  bytes = (bytes + 15) / 16 * 16;
  if (bytes != flushBytes_) {
    if (flush_) d_->check(d_->cuMemFree(flush_), "cuMemFree (L2 flush)");
    d_->check(d_->cuMemAlloc(&flush_, size_t(bytes)), "cuMemAlloc (L2 flush)");
    // Zeros, written once: the kernel's XOR of them never matches its store condition.
    d_->check(d_->cuMemsetD32(flush_, 0, size_t(bytes / 4)), "cuMemsetD32 (L2 flush)");
    flushBytes_ = bytes;
  }
  if (!flushKernel_) {
    d_->check(d_->cuMemsetD32(flush_, callCount_, size_t(bytes / 4)), "cuMemsetD32 (flush)");
    return;
  }
  unsigned long long vectors = (unsigned long long)(bytes / 16);
  void* params[] = {&flush_, &vectors, &flushSink_};
  d_->check(
      d_->cuLaunchKernel(flushKernel_, harnessGrid_, 1, 1, 256, 1, 1, 0, nullptr, params, nullptr),
      "cuLaunchKernel (L2 flush)");
}

}  // namespace kevo::worker

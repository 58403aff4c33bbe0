// The worker's device mode (docs/cuda-backend.md): device buffers for every rotation set,
// uploads, the launch plan or the library's kevo_kernel, CUDA-event timing, and the copies
// back into the shared arena that the parent checks. Everything the driver needs to open or
// map happens in setup(), before the sandbox; candidate code is only loaded after it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "abi/kevo_abi.h"
#include "abi/kevo_cuda.h"
#include "gpu/CudaDriver.h"

namespace kevo::worker {

class CudaRunner {
 public:
  // Context, pinned arena, device buffers and uploads, the cubin (launch-plan form). Throws
  // gpu::CudaError or std::runtime_error.
  nlohmann::json setup(uint8_t* arena, int64_t arenaBytes, const nlohmann::json& req);
  // Library form, after the sandbox: dlopen and find kevo_kernel. Throws std::runtime_error.
  void loadLibrary(const std::string& path);
  // One call on one set: poison the outputs on the device (with "poison": one word per output,
  // else from the arena), refill scratch, flush L2, time, copy
  // back (all of each output, or with "download_outputs": false only the bytes past its end,
  // for the canary checks). Never throws for what the kernel does: a CUDA error is in the reply.
  nlohmann::json call(const nlohmann::json& req);
  // Copies the listed elements of each output (indices per output, chosen by the parent after
  // the call returned) to their places in the arena: a sampled check without moving 100 MB.
  nlohmann::json sampleOutputs(const nlohmann::json& req);
  // Copies a set's device inputs back into the arena, for the parent's pristine comparison.
  nlohmann::json downloadInputs(const nlohmann::json& req);

 private:
  struct DeviceSet {
    std::vector<gpu::CUdeviceptr> inputs, outputs;
    std::vector<int64_t> inputOffset, inputBytes, outputOffset, outputBytes, outputCapacity;
    std::vector<int64_t> outputElementBytes;
    kevo_cuda_args args{};
    std::vector<kevo_tensor> inTensors, outTensors;
  };
  struct Launch {
    gpu::CUfunction fn = nullptr;
    unsigned grid[3] = {1, 1, 1}, block[3] = {1, 1, 1};
    unsigned smem = 0;
  };

  void fillCanaryTails(const DeviceSet& s);
  void loadHarnessKernels(const gpu::GpuDeviceInfo& info);
  void flushL2(int64_t bytes);
  // Every element of each output set to its poison word, the bytes past its end to the arena's
  // canary bytes.
  void poisonOutputs(const DeviceSet& s, const nlohmann::json& words);
  void copyInputsBack(const DeviceSet& s);
  std::string checkCanaryTails(const DeviceSet& s);

  const gpu::CudaDriver* d_ = nullptr;
  uint8_t* arena_ = nullptr;
  std::vector<DeviceSet> sets_;
  std::vector<kevo_scalar> scalars_;
  std::vector<Launch> launches_;
  decltype(&kevo_kernel) library_ = nullptr;
  gpu::CUdeviceptr scratch_ = 0, flush_ = 0, flushSink_ = 0;
  gpu::CUfunction flushKernel_ = nullptr;  // null: the driver refused the PTX; memset instead
  gpu::CUfunction fillKernel_ = nullptr;
  unsigned harnessGrid_ = 1;
  int64_t scratchBytes_ = 0, flushBytes_ = 0;
  gpu::CUevent start_ = nullptr, end_ = nullptr;
  unsigned callCount_ = 0;
  bool pinned_ = false;
  std::string pinError_;  // why a buffer could not be pinned
};

}  // namespace kevo::worker

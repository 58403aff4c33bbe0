#include "gpu/CudaDriver.h"

#include <dlfcn.h>

#include <mutex>

namespace kevo::gpu {

std::string CudaDriver::describe(CUresult r) const {
  const char* name = nullptr;
  const char* text = nullptr;
  if (cuGetErrorName) cuGetErrorName(r, &name);
  if (cuGetErrorString) cuGetErrorString(r, &text);
  std::string s = name ? name : "CUDA error " + std::to_string(r);
  if (text) s += std::string(" (") + text + ")";
  return s;
}

void CudaDriver::check(CUresult r, const char* what) const {
  if (r != kCudaSuccess) throw CudaError(std::string(what) + ": " + describe(r), r);
}

namespace {

template <typename Fn>
void bind(void* lib, Fn& fn, const char* symbol, std::string& missing) {
  fn = reinterpret_cast<Fn>(dlsym(lib, symbol));
  if (!fn) missing += std::string(missing.empty() ? "" : ", ") + symbol;
}

CudaDriver loadDriver() {
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    throw CudaError(std::string("no NVIDIA driver: cannot load libcuda.so.1 (") + dlerror() + ")");
  CudaDriver d;
  std::string missing;
  bind(lib, d.cuInit, "cuInit", missing);
  bind(lib, d.cuDriverGetVersion, "cuDriverGetVersion", missing);
  bind(lib, d.cuDeviceGetCount, "cuDeviceGetCount", missing);
  bind(lib, d.cuDeviceGet, "cuDeviceGet", missing);
  bind(lib, d.cuDeviceGetName, "cuDeviceGetName", missing);
  bind(lib, d.cuDeviceGetAttribute, "cuDeviceGetAttribute", missing);
  bind(lib, d.cuDeviceTotalMem, "cuDeviceTotalMem_v2", missing);
  bind(lib, d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", missing);
  bind(lib, d.cuCtxSetCurrent, "cuCtxSetCurrent", missing);
  bind(lib, d.cuCtxSynchronize, "cuCtxSynchronize", missing);
  bind(lib, d.cuMemAlloc, "cuMemAlloc_v2", missing);
  bind(lib, d.cuMemFree, "cuMemFree_v2", missing);
  bind(lib, d.cuMemHostRegister, "cuMemHostRegister_v2", missing);
  bind(lib, d.cuMemcpyHtoD, "cuMemcpyHtoD_v2", missing);
  bind(lib, d.cuMemcpyDtoH, "cuMemcpyDtoH_v2", missing);
  bind(lib, d.cuMemcpyDtoD, "cuMemcpyDtoD_v2", missing);
  bind(lib, d.cuMemsetD16, "cuMemsetD16_v2", missing);
  bind(lib, d.cuMemsetD32, "cuMemsetD32_v2", missing);
  bind(lib, d.cuModuleLoadData, "cuModuleLoadData", missing);
  bind(lib, d.cuModuleGetFunction, "cuModuleGetFunction", missing);
  bind(lib, d.cuFuncSetAttribute, "cuFuncSetAttribute", missing);
  bind(lib, d.cuLaunchKernel, "cuLaunchKernel", missing);
  bind(lib, d.cuEventCreate, "cuEventCreate", missing);
  bind(lib, d.cuEventRecord, "cuEventRecord", missing);
  bind(lib, d.cuEventSynchronize, "cuEventSynchronize", missing);
  // Drivers before 12.8 have only the unversioned name.
  d.cuEventElapsedTime =
      reinterpret_cast<decltype(d.cuEventElapsedTime)>(dlsym(lib, "cuEventElapsedTime_v2"));
  if (!d.cuEventElapsedTime) bind(lib, d.cuEventElapsedTime, "cuEventElapsedTime", missing);
  bind(lib, d.cuGetErrorName, "cuGetErrorName", missing);
  bind(lib, d.cuGetErrorString, "cuGetErrorString", missing);
  if (!missing.empty()) throw CudaError("libcuda.so.1 is too old: it lacks " + missing);
  d.check(d.cuInit(0), "cuInit");
  return d;
}

}  // namespace

const CudaDriver& cudaDriver() {
  static std::once_flag once;
  static CudaDriver driver;
  static std::string error;
  std::call_once(once, [] {
    try {
      driver = loadDriver();
    } catch (const CudaError& e) {
      error = e.what();
    }
  });
  if (!error.empty()) throw CudaError(error);
  return driver;
}

std::string GpuDeviceInfo::arch() const {
  std::string a = "sm_" + std::to_string(ccMajor) + std::to_string(ccMinor);
  if (ccMajor == 9 && ccMinor == 0) a += "a";
  return a;
}

GpuDeviceInfo queryGpuDevice() {
  const CudaDriver& d = cudaDriver();
  int count = 0;
  d.check(d.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (count < 1) throw CudaError("the NVIDIA driver sees no GPU");
  CUdevice dev = 0;
  d.check(d.cuDeviceGet(&dev, 0), "cuDeviceGet");
  GpuDeviceInfo info;
  char name[256] = {};
  d.check(d.cuDeviceGetName(name, sizeof name, dev), "cuDeviceGetName");
  info.name = name;
  auto attr = [&](int a) {
    int v = 0;
    d.check(d.cuDeviceGetAttribute(&v, a, dev), "cuDeviceGetAttribute");
    return v;
  };
  info.ccMajor = attr(kAttrComputeCapabilityMajor);
  info.ccMinor = attr(kAttrComputeCapabilityMinor);
  info.multiprocessors = attr(kAttrMultiprocessorCount);
  info.l2Bytes = attr(kAttrL2CacheSize);
  info.maxSharedPerBlockOptin = attr(kAttrMaxSharedPerBlockOptin);
  size_t mem = 0;
  d.check(d.cuDeviceTotalMem(&mem, dev), "cuDeviceTotalMem");
  info.memoryBytes = int64_t(mem);
  d.check(d.cuDriverGetVersion(&info.driverVersion), "cuDriverGetVersion");
  return info;
}

}  // namespace kevo::gpu

#include "GpuProbe.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <vector>

#include "abi/kevo_cuda.h"
#include "gpu/CudaDriver.h"

namespace kevo::worker {

using namespace kevo::gpu;

namespace {

// cuBLAS entry points (cublas_api.h), loaded at run time like the driver.
struct Cublas {
  using Handle = void*;
  int (*create)(Handle*) = nullptr;
  int (*sgemm)(Handle, int, int, int, int, int, const float*, const float*, int, const float*, int,
               const float*, float*, int) = nullptr;
  int (*gemmEx)(Handle, int, int, int, int, int, const void*, const void*, int, int, const void*,
                int, int, const void*, void*, int, int, int, int) = nullptr;
};

bool loadCublas(Cublas& c) {
  void* lib = nullptr;
  for (const char* name : {"libcublas.so.13", "libcublas.so.12", "libcublas.so"})
    if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
  if (!lib) return false;
  c.create = reinterpret_cast<decltype(c.create)>(dlsym(lib, "cublasCreate_v2"));
  c.sgemm = reinterpret_cast<decltype(c.sgemm)>(dlsym(lib, "cublasSgemm_v2"));
  c.gemmEx = reinterpret_cast<decltype(c.gemmEx)>(dlsym(lib, "cublasGemmEx"));
  return c.create && c.sgemm && c.gemmEx;
}

// Best of `reps` event-timed runs of `body`, in seconds.
template <typename Body>
double bestSeconds(const CudaDriver& d, int reps, Body body) {
  CUevent a = nullptr, b = nullptr;
  d.check(d.cuEventCreate(&a, 0), "cuEventCreate");
  d.check(d.cuEventCreate(&b, 0), "cuEventCreate");
  body();  // warm-up
  d.check(d.cuCtxSynchronize(), "warm-up");
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    d.check(d.cuEventRecord(a, nullptr), "cuEventRecord");
    body();
    d.check(d.cuEventRecord(b, nullptr), "cuEventRecord");
    d.check(d.cuEventSynchronize(b), "cuEventSynchronize");
    float ms = 0;
    d.check(d.cuEventElapsedTime(&ms, a, b), "cuEventElapsedTime");
    best = std::min(best, double(ms) * 1e-3);
  }
  return best;
}

CUdeviceptr randomBuffer(const CudaDriver& d, size_t bytes, std::mt19937& rng) {
  std::vector<uint16_t> host(bytes / 2);
  // Values in [-1, 1): the same bit patterns read as bf16 halves or as pairs forming floats
  // give finite, varied data (never zeros, which can run faster than real data).
  std::uniform_int_distribution<int> pick(0, 255);
  for (auto& h : host) h = uint16_t(0x3C00 | (pick(rng) << 1) | (pick(rng) & 1) << 15);
  CUdeviceptr p = 0;
  d.check(d.cuMemAlloc(&p, bytes), "cuMemAlloc");
  d.check(d.cuMemcpyHtoD(p, host.data(), bytes), "cuMemcpyHtoD");
  return p;
}

}  // namespace

int runGpuProbe(const char* cubinPath, int blocks) {
  try {
    const CudaDriver& d = cudaDriver();
    CUdevice dev = 0;
    CUcontext ctx = nullptr;
    d.check(d.cuDeviceGet(&dev, 0), "cuDeviceGet");
    d.check(d.cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
    d.check(d.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
    nlohmann::json out;

    // DRAM: 1 GiB copied, read + written.
    size_t big = size_t(1) << 30;
    CUdeviceptr src = 0, dst = 0;
    d.check(d.cuMemAlloc(&src, big), "cuMemAlloc");
    d.check(d.cuMemAlloc(&dst, big), "cuMemAlloc");
    d.check(d.cuMemsetD32(src, 0x3F800000u, big / 4), "cuMemsetD32");
    double t = bestSeconds(d, 10, [&] { d.check(d.cuMemcpyDtoD(dst, src, big), "copy"); });
    out["copy_gbs"] = 2.0 * double(big) / t * 1e-9;
    // L2: 8 MiB copied 50 times per timing, which stays in a 50 MB L2.
    size_t small = size_t(8) << 20;
    t = bestSeconds(d, 10, [&] {
      for (int i = 0; i < 50; ++i) d.check(d.cuMemcpyDtoD(dst, src, small), "copy");
    });
    out["l2_copy_gbs"] = 2.0 * double(small) * 50 / t * 1e-9;

    // FP32 FMA: Kevo's probe kernel.
    std::ifstream in(cubinPath, std::ios::binary);
    std::stringstream image;
    image << in.rdbuf();
    CUmodule module = nullptr;
    CUfunction fn = nullptr;
    d.check(d.cuModuleLoadData(&module, image.str().data()), "cuModuleLoadData");
    d.check(d.cuModuleGetFunction(&fn, module, "fma_rate"), "cuModuleGetFunction");
    kevo_cuda_args args{};
    args.out[0] = reinterpret_cast<void*>(dst);
    void* params[] = {&args};
    t = bestSeconds(d, 10, [&] {
      d.check(d.cuLaunchKernel(fn, unsigned(blocks), 1, 1, 256, 1, 1, 0, nullptr, params, nullptr),
              "cuLaunchKernel");
    });
    out["fp32_gflops"] = double(blocks) * 256 * 4096 * 8 * 2 / t * 1e-9;

    Cublas blas;
    if (loadCublas(blas)) {
      Cublas::Handle h = nullptr;
      if (blas.create(&h) == 0) {
        std::mt19937 rng(7);
        const int n = 4096;
        CUdeviceptr a = randomBuffer(d, size_t(n) * n * 4, rng);
        CUdeviceptr b = randomBuffer(d, size_t(n) * n * 4, rng);
        float one = 1, zero = 0;
        t = bestSeconds(d, 5, [&] {
          blas.sgemm(h, 0, 0, n, n, n, &one, reinterpret_cast<const float*>(a), n,
                     reinterpret_cast<const float*>(b), n, &zero, reinterpret_cast<float*>(dst), n);
        });
        out["sgemm_gflops"] = 2.0 * n * n * double(n) / t * 1e-9;
        const int m = 8192;
        CUdeviceptr ha = randomBuffer(d, size_t(m) * m * 2, rng);
        CUdeviceptr hb = randomBuffer(d, size_t(m) * m * 2, rng);
        constexpr int kBf16 = 14, kF32 = 0, kCompute32F = 68, kGemmDefault = -1;
        t = bestSeconds(d, 5, [&] {
          blas.gemmEx(h, 0, 0, m, m, m, &one, reinterpret_cast<void*>(ha), kBf16, m,
                      reinterpret_cast<void*>(hb), kBf16, m, &zero, reinterpret_cast<void*>(dst),
                      kF32, m, kCompute32F, kGemmDefault);
        });
        out["bf16_gemm_gflops"] = 2.0 * m * m * double(m) / t * 1e-9;
      }
    }
    std::cout << out.dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gpu probe: " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace kevo::worker

#include "hw/CeilingProbe.h"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <numeric>
#include <thread>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#define KEVO_HW_X86 1
#include <immintrin.h>
#endif

// The kernels must run at full speed whatever the build type: the ceilings they measure are
// cached per machine and shared by every build. So they are optimized in Debug builds too
// (GCC's optimize pragma; the intrinsics do the vectorization, -O2 only keeps values in
// registers) and never instrumented by sanitizers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O2")
#endif
#if defined(__GNUC__) || defined(__clang__)
#define KEVO_HW_KERNEL __attribute__((noinline, no_sanitize("address", "undefined")))
#else
#define KEVO_HW_KERNEL
#endif

namespace kevo::hw {
namespace {

using Clock = std::chrono::steady_clock;

// Results of every kernel end up here, so the compiler cannot drop the work.
volatile float g_sink = 0;

// ---------------------------------------------------------------------------------------------
// Kernels. FMA loops: kAccumulators independent chains of acc = acc * a + b (a < 1, so the
// values converge to b / (1 - a) and never overflow or go denormal). Twelve chains hide the FMA
// latency on every current core (latency 4-5 cycles x 2 pipes) and fit the 16 vector registers
// of AVX2 and SSE together with a and b.

constexpr int kAccumulators = 12;

float fmaLoopGeneric(int64_t iters, float a, float b) KEVO_HW_KERNEL;
float fmaLoopGeneric(int64_t iters, float a, float b) {
  constexpr int kLanes = 8;
  float acc[kAccumulators][kLanes];
  for (int k = 0; k < kAccumulators; ++k) {
    for (int l = 0; l < kLanes; ++l) acc[k][l] = 1.0f + 0.01f * static_cast<float>(k + l);
  }
  for (int64_t i = 0; i < iters; ++i) {
    for (int k = 0; k < kAccumulators; ++k) {
      for (int l = 0; l < kLanes; ++l) acc[k][l] = acc[k][l] * a + b;
    }
  }
  float sum = 0;
  for (int k = 0; k < kAccumulators; ++k) {
    for (int l = 0; l < kLanes; ++l) sum += acc[k][l];
  }
  return sum;
}

float readSumGeneric(const float* p, int64_t n, int64_t reps) KEVO_HW_KERNEL;
float readSumGeneric(const float* p, int64_t n, int64_t reps) {
  float acc[16] = {};
  for (int64_t r = 0; r < reps; ++r) {
    for (int64_t i = 0; i < n; i += 16) {
      for (int l = 0; l < 16; ++l) acc[l] += p[i + l];
    }
  }
  return std::accumulate(acc, acc + 16, 0.0f);
}

// DRAM read: three streams at once (as many as the triad), so both see the same prefetch depth.
float readSum3Generic(const float* a, const float* b, const float* c, int64_t n) KEVO_HW_KERNEL;
float readSum3Generic(const float* a, const float* b, const float* c, int64_t n) {
  float acc[3][8] = {};
  for (int64_t i = 0; i < n; i += 8) {
    for (int l = 0; l < 8; ++l) {
      acc[0][l] += a[i + l];
      acc[1][l] += b[i + l];
      acc[2][l] += c[i + l];
    }
  }
  return std::accumulate(&acc[0][0], &acc[0][0] + 24, 0.0f);
}

void triadGeneric(float* a, const float* b, const float* c, float s, int64_t n,
                  bool) KEVO_HW_KERNEL;
void triadGeneric(float* a, const float* b, const float* c, float s, int64_t n, bool) {
  for (int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

#if KEVO_HW_X86

#define KEVO_REPEAT12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx512f"))) KEVO_HW_KERNEL float fmaLoopAvx512(int64_t iters, float a,
                                                                      float b) {
  const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
#define KEVO_INIT(k) __m512 c##k = _mm512_set1_ps(1.0f + 0.01f * (k));
#define KEVO_STEP(k) c##k = _mm512_fmadd_ps(c##k, va, vb);
  KEVO_REPEAT12(KEVO_INIT)
  for (int64_t i = 0; i < iters; ++i) {
    KEVO_REPEAT12(KEVO_STEP)
  }
#undef KEVO_INIT
#undef KEVO_STEP
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                           _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
  alignas(64) float lanes[16];  // not _mm512_reduce_add_ps: GCC 12 warns inside it
  _mm512_store_ps(lanes, s);
  return std::accumulate(lanes, lanes + 16, 0.0f);
}

__attribute__((target("avx2,fma"))) KEVO_HW_KERNEL float fmaLoopAvx2(int64_t iters, float a,
                                                                     float b) {
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
#define KEVO_INIT(k) __m256 c##k = _mm256_set1_ps(1.0f + 0.01f * (k));
#define KEVO_STEP(k) c##k = _mm256_fmadd_ps(c##k, va, vb);
  KEVO_REPEAT12(KEVO_INIT)
  for (int64_t i = 0; i < iters; ++i) {
    KEVO_REPEAT12(KEVO_STEP)
  }
#undef KEVO_INIT
#undef KEVO_STEP
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  return std::accumulate(lanes, lanes + 8, 0.0f);
}

// No FMA: a multiply and an add, two flops, as an FMA would count.
__attribute__((target("avx"))) KEVO_HW_KERNEL float mulAddLoopAvx(int64_t iters, float a, float b) {
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
#define KEVO_INIT(k) __m256 c##k = _mm256_set1_ps(1.0f + 0.01f * (k));
#define KEVO_STEP(k) c##k = _mm256_add_ps(_mm256_mul_ps(c##k, va), vb);
  KEVO_REPEAT12(KEVO_INIT)
  for (int64_t i = 0; i < iters; ++i) {
    KEVO_REPEAT12(KEVO_STEP)
  }
#undef KEVO_INIT
#undef KEVO_STEP
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  return std::accumulate(lanes, lanes + 8, 0.0f);
}

__attribute__((target("sse2"))) KEVO_HW_KERNEL float mulAddLoopSse(int64_t iters, float a,
                                                                   float b) {
  const __m128 va = _mm_set1_ps(a), vb = _mm_set1_ps(b);
#define KEVO_INIT(k) __m128 c##k = _mm_set1_ps(1.0f + 0.01f * (k));
#define KEVO_STEP(k) c##k = _mm_add_ps(_mm_mul_ps(c##k, va), vb);
  KEVO_REPEAT12(KEVO_INIT)
  for (int64_t i = 0; i < iters; ++i) {
    KEVO_REPEAT12(KEVO_STEP)
  }
#undef KEVO_INIT
#undef KEVO_STEP
  __m128 s = _mm_add_ps(_mm_add_ps(_mm_add_ps(c0, c1), _mm_add_ps(c2, c3)),
                        _mm_add_ps(_mm_add_ps(c4, c5), _mm_add_ps(c6, c7)));
  s = _mm_add_ps(s, _mm_add_ps(_mm_add_ps(c8, c9), _mm_add_ps(c10, c11)));
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

#undef KEVO_REPEAT12

// Read kernels: eight independent add chains over 64-byte-aligned data; n is a multiple of
// 8 vectors. Float adds are not reassociated without -ffast-math, so nothing can be skipped.

__attribute__((target("avx512f"))) KEVO_HW_KERNEL float readSumAvx512(const float* p, int64_t n,
                                                                      int64_t reps) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (int64_t r = 0; r < reps; ++r) {
    for (int64_t i = 0; i < n; i += 128) {
      s0 = _mm512_add_ps(s0, _mm512_load_ps(p + i));
      s1 = _mm512_add_ps(s1, _mm512_load_ps(p + i + 16));
      s2 = _mm512_add_ps(s2, _mm512_load_ps(p + i + 32));
      s3 = _mm512_add_ps(s3, _mm512_load_ps(p + i + 48));
      s4 = _mm512_add_ps(s4, _mm512_load_ps(p + i + 64));
      s5 = _mm512_add_ps(s5, _mm512_load_ps(p + i + 80));
      s6 = _mm512_add_ps(s6, _mm512_load_ps(p + i + 96));
      s7 = _mm512_add_ps(s7, _mm512_load_ps(p + i + 112));
    }
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)),
                           _mm512_add_ps(_mm512_add_ps(s4, s5), _mm512_add_ps(s6, s7)));
  alignas(64) float lanes[16];  // not _mm512_reduce_add_ps: GCC 12 warns inside it
  _mm512_store_ps(lanes, s);
  return std::accumulate(lanes, lanes + 16, 0.0f);
}

__attribute__((target("avx"))) KEVO_HW_KERNEL float readSumAvx(const float* p, int64_t n,
                                                               int64_t reps) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (int64_t r = 0; r < reps; ++r) {
    for (int64_t i = 0; i < n; i += 64) {
      s0 = _mm256_add_ps(s0, _mm256_load_ps(p + i));
      s1 = _mm256_add_ps(s1, _mm256_load_ps(p + i + 8));
      s2 = _mm256_add_ps(s2, _mm256_load_ps(p + i + 16));
      s3 = _mm256_add_ps(s3, _mm256_load_ps(p + i + 24));
      s4 = _mm256_add_ps(s4, _mm256_load_ps(p + i + 32));
      s5 = _mm256_add_ps(s5, _mm256_load_ps(p + i + 40));
      s6 = _mm256_add_ps(s6, _mm256_load_ps(p + i + 48));
      s7 = _mm256_add_ps(s7, _mm256_load_ps(p + i + 56));
    }
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                           _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7)));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  return std::accumulate(lanes, lanes + 8, 0.0f);
}

__attribute__((target("sse2"))) KEVO_HW_KERNEL float readSumSse(const float* p, int64_t n,
                                                                int64_t reps) {
  __m128 s0 = _mm_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  for (int64_t r = 0; r < reps; ++r) {
    for (int64_t i = 0; i < n; i += 32) {
      s0 = _mm_add_ps(s0, _mm_load_ps(p + i));
      s1 = _mm_add_ps(s1, _mm_load_ps(p + i + 4));
      s2 = _mm_add_ps(s2, _mm_load_ps(p + i + 8));
      s3 = _mm_add_ps(s3, _mm_load_ps(p + i + 12));
      s4 = _mm_add_ps(s4, _mm_load_ps(p + i + 16));
      s5 = _mm_add_ps(s5, _mm_load_ps(p + i + 20));
      s6 = _mm_add_ps(s6, _mm_load_ps(p + i + 24));
      s7 = _mm_add_ps(s7, _mm_load_ps(p + i + 28));
    }
  }
  __m128 s = _mm_add_ps(_mm_add_ps(_mm_add_ps(s0, s1), _mm_add_ps(s2, s3)),
                        _mm_add_ps(_mm_add_ps(s4, s5), _mm_add_ps(s6, s7)));
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

__attribute__((target("avx"))) KEVO_HW_KERNEL float readSum3Avx(const float* a, const float* b,
                                                                const float* c, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0;
  for (int64_t i = 0; i < n; i += 16) {
    s0 = _mm256_add_ps(s0, _mm256_load_ps(a + i));
    s1 = _mm256_add_ps(s1, _mm256_load_ps(a + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_load_ps(b + i));
    s3 = _mm256_add_ps(s3, _mm256_load_ps(b + i + 8));
    s4 = _mm256_add_ps(s4, _mm256_load_ps(c + i));
    s5 = _mm256_add_ps(s5, _mm256_load_ps(c + i + 8));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                           _mm256_add_ps(s4, s5));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  return std::accumulate(lanes, lanes + 8, 0.0f);
}

__attribute__((target("sse2"))) KEVO_HW_KERNEL float readSum3Sse(const float* a, const float* b,
                                                                 const float* c, int64_t n) {
  __m128 s0 = _mm_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0;
  for (int64_t i = 0; i < n; i += 8) {
    s0 = _mm_add_ps(s0, _mm_load_ps(a + i));
    s1 = _mm_add_ps(s1, _mm_load_ps(a + i + 4));
    s2 = _mm_add_ps(s2, _mm_load_ps(b + i));
    s3 = _mm_add_ps(s3, _mm_load_ps(b + i + 4));
    s4 = _mm_add_ps(s4, _mm_load_ps(c + i));
    s5 = _mm_add_ps(s5, _mm_load_ps(c + i + 4));
  }
  __m128 s = _mm_add_ps(_mm_add_ps(_mm_add_ps(s0, s1), _mm_add_ps(s2, s3)), _mm_add_ps(s4, s5));
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

// Triad a = b + s * c; 256-bit vectors saturate DRAM on every x86 core. `streaming` uses
// non-temporal stores, which skip the read-for-ownership of a.
__attribute__((target("avx"))) KEVO_HW_KERNEL void triadAvx(float* a, const float* b,
                                                            const float* c, float s, int64_t n,
                                                            bool streaming) {
  const __m256 vs = _mm256_set1_ps(s);
  if (streaming) {
    for (int64_t i = 0; i < n; i += 16) {
      _mm256_stream_ps(
          a + i, _mm256_add_ps(_mm256_load_ps(b + i), _mm256_mul_ps(vs, _mm256_load_ps(c + i))));
      _mm256_stream_ps(a + i + 8, _mm256_add_ps(_mm256_load_ps(b + i + 8),
                                                _mm256_mul_ps(vs, _mm256_load_ps(c + i + 8))));
    }
    _mm_sfence();
  } else {
    for (int64_t i = 0; i < n; i += 16) {
      _mm256_store_ps(
          a + i, _mm256_add_ps(_mm256_load_ps(b + i), _mm256_mul_ps(vs, _mm256_load_ps(c + i))));
      _mm256_store_ps(a + i + 8, _mm256_add_ps(_mm256_load_ps(b + i + 8),
                                               _mm256_mul_ps(vs, _mm256_load_ps(c + i + 8))));
    }
  }
}

__attribute__((target("sse2"))) KEVO_HW_KERNEL void triadSse(float* a, const float* b,
                                                             const float* c, float s, int64_t n,
                                                             bool streaming) {
  const __m128 vs = _mm_set1_ps(s);
  if (streaming) {
    for (int64_t i = 0; i < n; i += 4) {
      _mm_stream_ps(a + i, _mm_add_ps(_mm_load_ps(b + i), _mm_mul_ps(vs, _mm_load_ps(c + i))));
    }
    _mm_sfence();
  } else {
    for (int64_t i = 0; i < n; i += 4) {
      _mm_store_ps(a + i, _mm_add_ps(_mm_load_ps(b + i), _mm_mul_ps(vs, _mm_load_ps(c + i))));
    }
  }
}

#endif  // KEVO_HW_X86

// ---------------------------------------------------------------------------------------------
// Runtime dispatch.

struct Kernels {
  std::string fmaName;
  int fmaLanes = 8;  // lanes per vector: flops per iteration = accumulators x lanes x 2
  float (*fmaLoop)(int64_t, float, float) = fmaLoopGeneric;
  float (*readSum)(const float*, int64_t, int64_t) = readSumGeneric;
  float (*readSum3)(const float*, const float*, const float*, int64_t) = readSum3Generic;
  void (*triad)(float*, const float*, const float*, float, int64_t, bool) = triadGeneric;
};

Kernels selectKernels() {
  Kernels k;
  k.fmaName = "generic";
#if KEVO_HW_X86
  __builtin_cpu_init();
  // Every x86-64 CPU has SSE2; 32-bit x86 may not, so check.
  if (__builtin_cpu_supports("sse2")) {
    k.fmaName = "sse2";
    k.fmaLanes = 4;
    k.fmaLoop = mulAddLoopSse;
    k.readSum = readSumSse;
    k.readSum3 = readSum3Sse;
    k.triad = triadSse;
  }
  if (__builtin_cpu_supports("avx")) {
    k.fmaName = "avx";
    k.fmaLanes = 8;
    k.fmaLoop = mulAddLoopAvx;
    k.readSum = readSumAvx;
    k.readSum3 = readSum3Avx;
    k.triad = triadAvx;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    k.fmaName = "avx2+fma";
    k.fmaLanes = 8;
    k.fmaLoop = fmaLoopAvx2;
  }
  if (__builtin_cpu_supports("avx512f")) {
    k.fmaName = "avx512f";
    k.fmaLanes = 16;
    k.fmaLoop = fmaLoopAvx512;
    k.readSum = readSumAvx512;
  }
#endif
  return k;
}

// ---------------------------------------------------------------------------------------------
// A team of threads, each pinned to one CPU, that run a job together. run() returns the wall
// time from the first thread's start to the last thread's end.

class ThreadTeam {
 public:
  explicit ThreadTeam(std::vector<int> cpus)
      : cpus_(std::move(cpus)),
        start_(static_cast<std::ptrdiff_t>(cpus_.size() + 1)),
        done_(static_cast<std::ptrdiff_t>(cpus_.size() + 1)),
        begins_(cpus_.size()),
        ends_(cpus_.size()) {
    threads_.reserve(cpus_.size());
    try {
      for (size_t i = 0; i < cpus_.size(); ++i) threads_.emplace_back([this, i] { loop(i); });
    } catch (...) {  // could not start them all: release the ones that started, then report
      stop_ = true;
      for (size_t i = threads_.size(); i < cpus_.size(); ++i) start_.arrive_and_drop();
      start_.arrive_and_wait();
      for (std::thread& t : threads_) t.join();
      throw;
    }
  }
  ~ThreadTeam() {
    stop_ = true;
    start_.arrive_and_wait();
    for (std::thread& t : threads_) t.join();
  }
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  size_t size() const { return cpus_.size(); }

  double run(const std::function<void(size_t)>& job) {
    job_ = &job;
    start_.arrive_and_wait();
    done_.arrive_and_wait();
    auto first = *std::min_element(begins_.begin(), begins_.end());
    auto last = *std::max_element(ends_.begin(), ends_.end());
    return std::chrono::duration<double>(last - first).count();
  }

 private:
  void loop(size_t index) {
#if defined(__linux__)
    if (cpus_[index] >= 0 && cpus_[index] < CPU_SETSIZE) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpus_[index], &set);
      pthread_setaffinity_np(pthread_self(), sizeof(set), &set);  // best effort
    }
#endif
    for (;;) {
      start_.arrive_and_wait();
      if (stop_) return;
      begins_[index] = Clock::now();
      (*job_)(index);
      ends_[index] = Clock::now();
      done_.arrive_and_wait();
    }
  }

  std::vector<int> cpus_;
  std::barrier<> start_;
  std::barrier<> done_;
  std::vector<Clock::time_point> begins_;
  std::vector<Clock::time_point> ends_;
  std::vector<std::thread> threads_;
  const std::function<void(size_t)>* job_ = nullptr;
  bool stop_ = false;  // written before the start barrier, read after it
};

// job(thread, count) does `count` units of work and returns what it did (flops or bytes).
// The count is calibrated until one run lasts about `seconds`; then the best rate (total work
// over wall time) of `runs` runs is returned. The calibration runs also warm up the clocks.
using Job = std::function<double(size_t thread, int64_t count)>;

double bestRate(ThreadTeam& team, const Job& job, int64_t count, double seconds, int runs) {
  std::vector<double> work(team.size(), 0.0);
  auto once = [&](int64_t n, double& rate) {
    double t = team.run([&](size_t i) { work[i] = job(i, n); });
    double total = std::accumulate(work.begin(), work.end(), 0.0);
    rate = t > 0 ? total / t : 0;
    return t;
  };
  double rate = 0;
  count = std::max<int64_t>(count, 1);
  for (int attempt = 0; attempt < 40; ++attempt) {
    double t = once(count, rate);
    if (t >= seconds / 4) {
      count = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(count) * seconds / t));
      break;
    }
    double grow = std::clamp(seconds / std::max(t, 1e-7) / 2, 2.0, 64.0);
    count = static_cast<int64_t>(static_cast<double>(count) * grow);
  }
  double best = 0;
  for (int r = 0; r < std::max(runs, 1); ++r) {
    once(count, rate);
    best = std::max(best, rate);
  }
  return best;
}

// Page-aligned memory for the DRAM test, backed by huge pages where the kernel allows.
struct BigBuffer {
  explicit BigBuffer(size_t bytes) : size(bytes) {
#if defined(__linux__)
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    madvise(p, bytes, MADV_HUGEPAGE);
    data = static_cast<float*>(p);
#else
    data = static_cast<float*>(std::aligned_alloc(4096, bytes));
#endif
  }
  ~BigBuffer() {
    if (!data) return;
#if defined(__linux__)
    munmap(data, size);
#else
    std::free(data);
#endif
  }
  BigBuffer(const BigBuffer&) = delete;
  BigBuffer& operator=(const BigBuffer&) = delete;
  float* data = nullptr;
  size_t size = 0;
};

double measureDram(const Kernels& k, const CeilingProbeOptions& o, double& readGBs) {
  ThreadTeam team(o.cpus);
  const int64_t threads = static_cast<int64_t>(team.size());
  // Each thread owns a slice of each of the three arrays, a multiple of 4 KiB.
  constexpr int64_t kSliceQuantum = 1024;  // floats
  int64_t perArray = o.dramWorkingSetBytes / 3 / static_cast<int64_t>(sizeof(float));
  int64_t slice = std::max<int64_t>(
      kSliceQuantum, (perArray / threads + kSliceQuantum - 1) / kSliceQuantum * kSliceQuantum);
  int64_t n = slice * threads;
  BigBuffer buffer(static_cast<size_t>(3 * n) * sizeof(float));
  // Not enough memory for the full working set: give up rather than measure a cache.
  if (!buffer.data) return 0;
  float* a = buffer.data;
  float* b = a + n;
  float* c = b + n;

  // First touch by the owning thread, so pages land on its NUMA node.
  team.run([&](size_t i) {
    int64_t off = static_cast<int64_t>(i) * slice;
    std::fill(a + off, a + off + slice, 0.0f);
    std::fill(b + off, b + off + slice, 1.0f);
    std::fill(c + off, c + off + slice, 2.0f);
  });

  std::vector<float> sums(team.size(), 0.0f);
  const double bytesPerPass = static_cast<double>(slice) * 3 * sizeof(float);
  auto triad = [&](bool streaming) {
    return [&, streaming](size_t i, int64_t passes) {
      int64_t off = static_cast<int64_t>(i) * slice;
      for (int64_t p = 0; p < passes; ++p) {
        k.triad(a + off, b + off, c + off, 0.5f, slice, streaming);
      }
      return bytesPerPass * static_cast<double>(passes);
    };
  };
  double regular = bestRate(team, triad(false), 1, o.secondsPerRun, o.runs);
  double streaming = bestRate(team, triad(true), 1, o.secondsPerRun, o.runs);
  readGBs = bestRate(
                team,
                [&](size_t i, int64_t passes) {
                  int64_t off = static_cast<int64_t>(i) * slice;
                  float s = 0;
                  for (int64_t p = 0; p < passes; ++p) {
                    s += k.readSum3(a + off, b + off, c + off, slice);
                  }
                  sums[i] = s;
                  return bytesPerPass * static_cast<double>(passes);
                },
                1, o.secondsPerRun, o.runs) /
            1e9;
  g_sink = g_sink + a[n - 1] + std::accumulate(sums.begin(), sums.end(), 0.0f);
  return std::max(regular, streaming) / 1e9;
}

double measureL1(const Kernels& k, const CeilingProbeOptions& o) {
  ThreadTeam team(o.cpus);
  constexpr int64_t kBytes = int64_t{16} * 1024;  // 16 KiB per thread: L1-resident
  constexpr int64_t kFloats = kBytes / static_cast<int64_t>(sizeof(float));
  std::vector<float*> buffers(team.size(), nullptr);
  for (float*& p : buffers) {
    p = static_cast<float*>(std::aligned_alloc(64, kFloats * sizeof(float)));
    if (!p) {
      for (float* q : buffers) std::free(q);
      return 0;
    }
  }
  std::vector<float> sums(team.size(), 0.0f);
  team.run([&](size_t i) { std::fill(buffers[i], buffers[i] + kFloats, 1.0f / 1024); });
  double rate = bestRate(
      team,
      [&](size_t i, int64_t reps) {
        sums[i] = k.readSum(buffers[i], kFloats, reps);
        return static_cast<double>(reps) * kFloats * sizeof(float);
      },
      256, o.secondsPerRun, o.runs);
  g_sink = g_sink + std::accumulate(sums.begin(), sums.end(), 0.0f);
  for (float* p : buffers) std::free(p);
  return rate / 1e9;
}

double measureFlops(const Kernels& k, const std::vector<int>& cpus, const CeilingProbeOptions& o) {
  ThreadTeam team(cpus);
  // Read through volatiles so the compiler cannot fold the loop.
  volatile float va = 0.999f, vb = 0.001f;
  const float a = va, b = vb;
  std::vector<float> sums(team.size(), 0.0f);
  const double flopsPerIter = kAccumulators * k.fmaLanes * 2.0;
  double rate = bestRate(
      team,
      [&](size_t i, int64_t iters) {
        sums[i] = k.fmaLoop(iters, a, b);
        return flopsPerIter * static_cast<double>(iters);
      },
      1000, o.secondsPerRun, o.runs);
  g_sink = g_sink + std::accumulate(sums.begin(), sums.end(), 0.0f);
  return rate / 1e9;
}

}  // namespace

MeasuredCeilings measureCeilings(const CeilingProbeOptions& options) {
  CeilingProbeOptions o = options;
  if (o.cpus.empty()) {
    o.cpus.assign(std::max(1u, std::thread::hardware_concurrency()), -1);
  }
  if (o.coreCpus.empty()) o.coreCpus = o.cpus;

  const Kernels k = selectKernels();
  MeasuredCeilings m;
  m.peakIsa = k.fmaName;
  // Single core first, while the package is cool and turbo headroom is largest. Unpinned, so the
  // scheduler can run it on whichever core is idle.
  m.peakGflopsSingleCore = measureFlops(k, {-1}, o);
  m.peakGflops = measureFlops(k, o.coreCpus, o);
  m.cacheBandwidthGBs = measureL1(k, o);
  m.dramBandwidthGBs = measureDram(k, o, m.dramReadBandwidthGBs);
  return m;
}

}  // namespace kevo::hw

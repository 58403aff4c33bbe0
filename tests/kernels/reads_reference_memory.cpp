// expect: wrong_answer | expected
// Looks for the answer instead of computing it: scans every readable page of its own process
// for the expected output (the harness must never put it there), and tries to read its
// parent's memory through /proc/<ppid>/mem, ptrace and process_vm_readv (the sandbox must
// refuse). If it finds the answer or gets in, it returns 77..80 and the test fails on the
// verdict; otherwise it writes zeros and must get wrong_answer.
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kevo_abi.h"

// Some readable-looking mappings fault (file mappings past end of file): skip them as an
// attacker would, with a signal handler.
static sigjmp_buf skipRegion;
static void onFault(int) { siglongjmp(skipRegion, 1); }

static bool answerInOwnMemory(const std::vector<float>& truth, const float* y, size_t n) {
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (!maps) return false;
  char line[512];
  const size_t needle = 16 * sizeof(float);
  bool found = false;
  while (!found && std::fgets(line, sizeof line, maps)) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {};
    if (std::sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r') continue;
    if (std::strstr(line, "[vvar]") || std::strstr(line, "[vsyscall]")) continue;
    const char* begin = reinterpret_cast<const char*>(lo);
    const char* end = reinterpret_cast<const char*>(hi);
    const char* truthBegin = reinterpret_cast<const char*>(truth.data());
    const char* truthEnd = truthBegin + truth.size() * sizeof(float);
    const char* yBegin = reinterpret_cast<const char*>(y);
    const char* yEnd = yBegin + n * sizeof(float);
    if (sigsetjmp(skipRegion, 1)) continue;
    for (const char* p = begin; p + needle <= end; p += sizeof(float)) {
      if ((p >= truthBegin && p < truthEnd) || (p >= yBegin && p < yEnd)) continue;
      if (std::memcmp(p, truth.data(), needle) == 0) {
        found = true;
        break;
      }
    }
  }
  std::fclose(maps);
  return found;
}

extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  const float* x = static_cast<const float*>(in[0].data);
  float* y = static_cast<float*>(out[0].data);
  size_t n = size_t(in[0].shape[0] * in[0].shape[1]);
  struct sigaction sa {};
  sa.sa_handler = onFault;
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
  std::vector<float> truth(n);
  for (size_t i = 0; i < n; ++i) truth[i] = 2.0f * x[i] + 1.0f;
  if (answerInOwnMemory(truth, y, n)) return 77;

  pid_t parent = getppid();
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/mem", int(parent));
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    close(fd);
    return 78;
  }
  if (ptrace(PTRACE_ATTACH, parent, nullptr, nullptr) == 0) return 79;
  char buf[16];
  iovec local{buf, sizeof buf}, remote{reinterpret_cast<void*>(0x400000), sizeof buf};
  if (process_vm_readv(parent, &local, 1, &remote, 1, 0) >= 0 || (errno != EPERM && errno != EACCES))
    return 80;

  for (size_t i = 0; i < n; ++i) y[i] = 0.0f;
  return 0;
}

// expect: ok |
// Tries everything a kernel must not be able to do, then computes the right answer. Any
// attempt that succeeds is printed to stderr and the kernel returns 77, which fails the test.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "kevo_abi.h"

extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  int escapes = 0;
  auto escaped = [&](const char* what) {
    std::fprintf(stderr, "escaped: %s\n", what);
    ++escapes;
  };
  pid_t parent = getppid();

  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s >= 0) {
    escaped("socket(AF_INET)");
    close(s);
  }
  pid_t child = fork();
  if (child == 0) _exit(0);
  if (child > 0) {
    escaped("fork");
    waitpid(child, nullptr, 0);
  }
  if (ptrace(PTRACE_ATTACH, parent, nullptr, nullptr) == 0) escaped("ptrace(ATTACH, parent)");
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/mem", int(parent));
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    escaped("open /proc/<ppid>/mem");
    close(fd);
  }
  if (kill(parent, 0) == 0) escaped("kill(parent, 0)");
  fd = open("/tmp/kevo-sandbox-escape-probe", O_CREAT | O_WRONLY, 0644);
  if (fd >= 0) {
    escaped("create a file outside the worker's temp dir");
    close(fd);
    unlink("/tmp/kevo-sandbox-escape-probe");
  }
  char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
  execv("/bin/true", argv);  // returns only if refused
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED && mprotect(page, 4096, PROT_READ | PROT_EXEC) == 0)
    escaped("make memory executable");
  if (getuid() != 0 && setuid(0) == 0) escaped("regain root");

  const float* x = static_cast<const float*>(in[0].data);
  float* y = static_cast<float*>(out[0].data);
  int64_t n = in[0].shape[0] * in[0].shape[1];
  for (int64_t i = 0; i < n; ++i) y[i] = 2.0f * x[i] + 1.0f;
  return escapes ? 77 : 0;
}

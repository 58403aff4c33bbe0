#include "eval/Sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace kevo::eval {
namespace {

// Landlock's ABI, spelled out here so the build does not depend on how new the installed
// kernel headers are; the running kernel's ABI version decides what is used.
constexpr uint64_t kFsExecute = 1ULL << 0, kFsWriteFile = 1ULL << 1, kFsRemoveDir = 1ULL << 4,
                   kFsRemoveFile = 1ULL << 5, kFsMakeChar = 1ULL << 6, kFsMakeDir = 1ULL << 7,
                   kFsMakeReg = 1ULL << 8, kFsMakeSock = 1ULL << 9, kFsMakeFifo = 1ULL << 10,
                   kFsMakeBlock = 1ULL << 11, kFsMakeSym = 1ULL << 12, kFsRefer = 1ULL << 13,
                   kFsTruncate = 1ULL << 14;
constexpr uint64_t kNetBindTcp = 1ULL << 0, kNetConnectTcp = 1ULL << 1;
constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0, kScopeSignal = 1ULL << 1;
constexpr uint32_t kCreateRulesetVersion = 1U << 0;
constexpr int kRulePathBeneath = 1;

struct LandlockRulesetAttr {
  uint64_t handledAccessFs;
  uint64_t handledAccessNet;
  uint64_t scoped;
};
struct __attribute__((packed)) LandlockPathBeneathAttr {
  uint64_t allowedAccess;
  int32_t parentFd;
};

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

std::string isolateNetwork() {
  if (geteuid() == 0) {
    if (unshare(CLONE_NEWNET) == 0) return "ok: own network namespace (no interfaces but lo, down)";
    return "skipped: " + errnoText("unshare(CLONE_NEWNET)");
  }
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)
    return "ok: own user and network namespace (no interfaces but lo, down)";
  return "skipped: " + errnoText("unshare(CLONE_NEWUSER|CLONE_NEWNET)") +
         " (seccomp still refuses sockets)";
}

// Started as root (as on CI and the GPU machines), the worker would keep every capability,
// including ptrace of its parent: become nobody, with no supplementary groups.
std::string dropPrivileges() {
  if (geteuid() != 0) return "skipped: not root (runs as uid " + std::to_string(geteuid()) + ")";
  constexpr uid_t kNobody = 65534;
  if (setgroups(0, nullptr) != 0) throw std::runtime_error(errnoText("setgroups"));
  if (setresgid(kNobody, kNobody, kNobody) != 0) throw std::runtime_error(errnoText("setresgid"));
  if (setresuid(kNobody, kNobody, kNobody) != 0) throw std::runtime_error(errnoText("setresuid"));
  if (setuid(0) == 0) throw std::runtime_error("could regain root after dropping it");
  return "ok: runs as uid 65534 (nobody), no capabilities";
}

void setLimit(int resource, uint64_t value, const char* name) {
  rlimit r{value, value};
  if (setrlimit(resource, &r) != 0) throw std::runtime_error(errnoText(name));
}

std::string applyLimits(const SandboxConfig& c) {
  std::string report = "ok:";
#if defined(__SANITIZE_ADDRESS__)
  report += " data unlimited (AddressSanitizer build: its shadow memory counts as data);";
#else
  if (c.gpu) {
    // The CUDA driver maps host memory for the device as it goes; a data or address-space
    // limit makes it fail with out-of-memory. The GPU's own memory bounds what a kernel takes.
    report += " data unlimited (device mode: the CUDA driver's mappings);";
  } else {
    setLimit(RLIMIT_DATA, c.dataLimitBytes, "setrlimit(RLIMIT_DATA)");
    report += " data " + std::to_string(c.dataLimitBytes >> 20) + " MiB;";
  }
#endif
  setLimit(RLIMIT_CPU, c.cpuSeconds, "setrlimit(RLIMIT_CPU)");
  setLimit(RLIMIT_FSIZE, c.fileSizeBytes, "setrlimit(RLIMIT_FSIZE)");
  setLimit(RLIMIT_CORE, 0, "setrlimit(RLIMIT_CORE)");
  report += " cpu " + std::to_string(c.cpuSeconds) + " s; file size " +
            std::to_string(c.fileSizeBytes >> 20) + " MiB; no core dumps";
  return report;
}

std::string applyLandlock(const std::filesystem::path& writableDir) {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  if (abi < 1) return "skipped: Landlock not offered by this kernel";
  LandlockRulesetAttr attr{};
  attr.handledAccessFs = kFsExecute | kFsWriteFile | kFsRemoveDir | kFsRemoveFile | kFsMakeChar |
                         kFsMakeDir | kFsMakeReg | kFsMakeSock | kFsMakeFifo | kFsMakeBlock |
                         kFsMakeSym;
  if (abi >= 2) attr.handledAccessFs |= kFsRefer;
  if (abi >= 3) attr.handledAccessFs |= kFsTruncate;
  size_t attrSize = sizeof(uint64_t);
  if (abi >= 4) {
    attr.handledAccessNet = kNetBindTcp | kNetConnectTcp;
    attrSize = 2 * sizeof(uint64_t);
  }
  if (abi >= 6) {
    attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
    attrSize = 3 * sizeof(uint64_t);
  }
  int ruleset = int(syscall(SYS_landlock_create_ruleset, &attr, attrSize, 0));
  if (ruleset < 0) throw std::runtime_error(errnoText("landlock_create_ruleset"));
  int dirFd = open(writableDir.c_str(), O_PATH | O_CLOEXEC);
  if (dirFd < 0) {
    close(ruleset);
    throw std::runtime_error(errnoText(("open " + writableDir.string()).c_str()));
  }
  LandlockPathBeneathAttr rule{attr.handledAccessFs & ~kFsExecute, dirFd};
  if (syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &rule, 0) != 0) {
    close(dirFd);
    close(ruleset);
    throw std::runtime_error(errnoText("landlock_add_rule"));
  }
  close(dirFd);
  if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
    close(ruleset);
    throw std::runtime_error(errnoText("landlock_restrict_self"));
  }
  close(ruleset);
  std::string report =
      "ok: ABI " + std::to_string(abi) + ", writes only in " + writableDir.string() + ", no exec";
  if (abi >= 4) report += ", no TCP";
  if (abi >= 6) report += ", no signals or abstract sockets outside the worker";
  return report;
}

void addRule(scmp_filter_ctx ctx, uint32_t action, int syscallNr, unsigned count = 0,
             const scmp_arg_cmp* args = nullptr) {
  int rc = count == 0 ? seccomp_rule_add(ctx, action, syscallNr, 0)
                      : seccomp_rule_add_array(ctx, action, syscallNr, count, args);
  // A syscall this architecture lacks is nothing to forbid.
  if (rc != 0 && rc != -EDOM && rc != -EFAULT)
    throw std::runtime_error("seccomp_rule_add: " + std::string(std::strerror(-rc)));
}

std::string applySeccomp() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) throw std::runtime_error("seccomp_init failed");
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  const int denied[] = {SCMP_SYS(ptrace),
                        SCMP_SYS(process_vm_readv),
                        SCMP_SYS(process_vm_writev),
                        SCMP_SYS(socket),
                        SCMP_SYS(socketpair),
                        SCMP_SYS(connect),
                        SCMP_SYS(bind),
                        SCMP_SYS(listen),
                        SCMP_SYS(accept),
                        SCMP_SYS(accept4),
                        SCMP_SYS(execve),
                        SCMP_SYS(execveat),
                        SCMP_SYS(fork),
                        SCMP_SYS(vfork),
                        SCMP_SYS(mount),
                        SCMP_SYS(umount2),
                        SCMP_SYS(unshare),
                        SCMP_SYS(setns),
                        SCMP_SYS(pivot_root),
                        SCMP_SYS(chroot),
                        SCMP_SYS(bpf),
                        SCMP_SYS(perf_event_open),
                        SCMP_SYS(kexec_load),
                        SCMP_SYS(kexec_file_load),
                        SCMP_SYS(init_module),
                        SCMP_SYS(finit_module),
                        SCMP_SYS(delete_module),
                        SCMP_SYS(reboot),
                        SCMP_SYS(swapon),
                        SCMP_SYS(swapoff),
                        SCMP_SYS(keyctl),
                        SCMP_SYS(add_key),
                        SCMP_SYS(request_key),
                        SCMP_SYS(userfaultfd),
                        SCMP_SYS(io_uring_setup),
                        SCMP_SYS(io_uring_enter),
                        SCMP_SYS(io_uring_register),
                        SCMP_SYS(open_by_handle_at),
                        SCMP_SYS(name_to_handle_at),
                        SCMP_SYS(pidfd_open),
                        SCMP_SYS(pidfd_getfd),
                        SCMP_SYS(kcmp),
                        SCMP_SYS(tkill),
                        SCMP_SYS(rt_sigqueueinfo),
                        SCMP_SYS(rt_tgsigqueueinfo),
                        SCMP_SYS(process_madvise),
                        SCMP_SYS(move_pages),
                        SCMP_SYS(migrate_pages)};
  for (int nr : denied) addRule(ctx, deny, nr);
  // Threads yes, new processes no.
  scmp_arg_cmp noThread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);
  addRule(ctx, deny, SCMP_SYS(clone), 1, &noThread);
  // clone3 passes its flags in memory a filter cannot read: glibc falls back to clone.
  addRule(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3));
  // Signals only to itself (abort() and raise() still work).
  scmp_arg_cmp otherPid = SCMP_A0(SCMP_CMP_NE, uint64_t(getpid()));
  addRule(ctx, deny, SCMP_SYS(kill), 1, &otherPid);
  addRule(ctx, deny, SCMP_SYS(tgkill), 1, &otherPid);
  int rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) throw std::runtime_error("seccomp_load: " + std::string(std::strerror(-rc)));
  return "ok: no ptrace, process_vm_*, sockets, exec, fork, namespaces, mounts, modules, "
         "io_uring, bpf, perf; signals only to itself";
}

}  // namespace

bool isRelaxableLayer(const std::string& layer) {
  return layer == "network" || layer == "user" || layer == "landlock" || layer == "seccomp" ||
         layer == "exec_memory";
}

nlohmann::json applySandbox(const SandboxConfig& config) {
  nlohmann::json report;
  auto relaxed = [&](const char* layer) { return config.relaxed.count(layer) > 0; };
  const char* kRelaxed = "relaxed for a profiling run";
  report["network"] = config.network       ? "skipped: network allowed by configuration"
                      : relaxed("network") ? kRelaxed
                                           : isolateNetwork();
  report["user"] = relaxed("user") ? kRelaxed : dropPrivileges();
  // After the credential change, which clears it: the worker dies with its parent.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
    throw std::runtime_error(errnoText("PR_SET_PDEATHSIG"));
  if (getppid() == 1) throw std::runtime_error("parent already gone");
  // Not dumpable: other workers running as the same user cannot ptrace or read this one.
  prctl(PR_SET_DUMPABLE, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw std::runtime_error(errnoText("PR_SET_NO_NEW_PRIVS"));
  report["no_new_privs"] = "ok";
  report["limits"] = applyLimits(config);
  report["landlock"] = relaxed("landlock") ? kRelaxed : applyLandlock(config.writableDir);
  report["seccomp"] = relaxed("seccomp") ? kRelaxed : applySeccomp();
  return report;
}

void forbidNewExecutableMemory() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) throw std::runtime_error("seccomp_init failed");
  scmp_arg_cmp exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC);
  addRule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mmap), 1, &exec);
  addRule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mprotect), 1, &exec);
  addRule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(pkey_mprotect), 1, &exec);
  int rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) throw std::runtime_error("seccomp_load: " + std::string(std::strerror(-rc)));
}

}  // namespace kevo::eval

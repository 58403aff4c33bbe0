// Confinement the worker applies to itself before it loads candidate code: its own network
// namespace, an unprivileged user (when started as root), no new privileges, resource limits,
// Landlock (writes only in its temp dir, no TCP, no signals or abstract sockets outside), and a
// seccomp filter (no ptrace, no process_vm_*, no sockets, no exec, no fork, no signals to other
// processes, no namespaces or mounts). After the library is loaded, a second filter forbids new
// executable memory, so a candidate cannot patch the worker's code. Each layer reports what it
// did, so a test and the evaluation record can show it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace kevo::eval {

struct SandboxConfig {
  std::filesystem::path writableDir;  // the worker's temp dir: the only place it may write
  uint64_t dataLimitBytes = 8ULL << 30;
  uint64_t cpuSeconds = 900;
  uint64_t fileSizeBytes = 64ULL << 20;
  bool network = false;  // true leaves the network namespace alone (never for candidates)
  bool gpu = false;      // device mode: the driver's mappings are exempt from the data limit
  // Layers left out for a profiling run under Nsight Compute, whose injected library must keep
  // talking to ncu (docs/cuda-backend.md#profiling): any of network, user, landlock, seccomp,
  // exec_memory. Reported as relaxed. Never set for a search's evaluations.
  std::set<std::string> relaxed;
};

// The layers SandboxConfig::relaxed may name.
bool isRelaxableLayer(const std::string& layer);

// Applies every layer it can; returns a report per layer ("ok", "skipped: why"). Throws
// std::runtime_error when a layer that must work fails (no_new_privs, seccomp, rlimits).
nlohmann::json applySandbox(const SandboxConfig& config);

// The filter applied after dlopen: no PROT_EXEC in mmap/mprotect from now on.
void forbidNewExecutableMemory();

}  // namespace kevo::eval

// The parent's handle on one kevo-worker process: spawns it in its own process group with only
// the protocol pipes, the arena and two log files, sends requests with a deadline, and turns
// every way it can die (signal, exit, hang, garbage on the pipe) into a WorkerFailure. On a
// timeout it kills the whole group: SIGTERM, then SIGKILL.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kevo::eval {

struct WorkerFailure {
  enum class Kind { Crash, Timeout, Protocol, Start };
  Kind kind = Kind::Crash;
  int signal = 0;
  int exitCode = -1;
  std::string detail;
};

class WorkerClient {
 public:
  // Copies `library` into a fresh temp dir the worker may write to, and starts the worker;
  // under `wrapper` when given (a profiler's command line, which then runs the worker).
  WorkerClient(const std::filesystem::path& workerExe, const std::filesystem::path& library,
               int arenaFd, const std::vector<std::string>& wrapper = {});
  ~WorkerClient();
  WorkerClient(const WorkerClient&) = delete;
  WorkerClient& operator=(const WorkerClient&) = delete;

  // Sends one request and waits for its reply. On failure the worker is dead afterwards and
  // failure() says how; every later request fails the same way.
  std::optional<nlohmann::json> request(const nlohmann::json& req, double timeoutSeconds);

  const std::optional<WorkerFailure>& failure() const { return failure_; }
  const std::filesystem::path& workDir() const { return workDir_; }
  const std::filesystem::path& libraryCopy() const { return libraryCopy_; }
  // The last bytes the kernel printed (stdout, stderr), read from the log files.
  std::string stdoutTail(size_t bytes = 4096) const;
  std::string stderrTail(size_t bytes = 4096) const;
  // Asks the worker to exit, waits up to `graceSeconds` (a profiler writes its report after the
  // worker exits), then makes sure it has.
  void shutdown(double graceSeconds = 0.1);

 private:
  void fail(WorkerFailure::Kind kind, const std::string& detail);
  void killGroup();
  void reap(bool block);

  pid_t pid_ = -1;
  int requestFd_ = -1;
  int replyFd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string replyBuffer_;
  std::filesystem::path workDir_;
  std::filesystem::path libraryCopy_;
  std::optional<WorkerFailure> failure_;
};

}  // namespace kevo::eval

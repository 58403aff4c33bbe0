#include "eval/WorkerClient.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "eval/WorkerProtocol.h"

namespace kevo::eval {

namespace fs = std::filesystem;

namespace {

std::string tailOf(const fs::path& file, size_t bytes) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return {};
  auto size = size_t(in.tellg());
  size_t start = size > bytes ? size - bytes : 0;
  in.seekg(std::streamoff(start));
  std::string s(size - start, '\0');
  in.read(s.data(), std::streamsize(s.size()));
  return s;
}

}  // namespace

WorkerClient::WorkerClient(const fs::path& workerExe, const fs::path& library, int arenaFd,
                           const std::vector<std::string>& wrapper) {
  // A worker that dies leaves a broken pipe: that is a verdict, not a reason to die with it.
  static const bool sigpipeIgnored = [] { return signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipeIgnored;
  std::error_code tmpError;
  std::string tmpl = (fs::temp_directory_path(tmpError) / "kevo-worker-XXXXXX").string();
  if (tmpError) tmpl = "/tmp/kevo-worker-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    fail(WorkerFailure::Kind::Start, std::string("mkdtemp: ") + std::strerror(errno));
    return;
  }
  workDir_ = tmpl.c_str();
  libraryCopy_ = workDir_ / "kernel.so";
  std::error_code ec;
  fs::copy_file(library, libraryCopy_, ec);
  if (ec) {
    fail(WorkerFailure::Kind::Start, "cannot copy " + library.string() + ": " + ec.message());
    return;
  }
  int outFd =
      open((workDir_ / "stdout.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int errFd =
      open((workDir_ / "stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (geteuid() == 0) {
    // The worker drops to nobody: its temp dir must be its own.
    for (const auto& p : {workDir_, libraryCopy_, workDir_ / "stdout.log", workDir_ / "stderr.log"})
      if (chown(p.c_str(), 65534, 65534) != 0) {
      }
  }
  int toWorker[2], fromWorker[2];
  if (pipe2(toWorker, O_CLOEXEC) != 0 || pipe2(fromWorker, O_CLOEXEC) != 0) {
    fail(WorkerFailure::Kind::Start, std::string("pipe: ") + std::strerror(errno));
    return;
  }
  // The dup2 targets are 1..5: move every source above them first, or one dup2 could overwrite
  // a source a later one still needs.
  auto lift = [](int& fd) {
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 64);
    close(fd);
    fd = high;
  };
  int arena = fcntl(arenaFd, F_DUPFD_CLOEXEC, 64);
  for (int* fd : {&outFd, &errFd, &toWorker[0], &toWorker[1], &fromWorker[0], &fromWorker[1]})
    lift(*fd);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, outFd, 1);
  posix_spawn_file_actions_adddup2(&actions, errFd, 2);
  posix_spawn_file_actions_adddup2(&actions, toWorker[0], kWorkerRequestFd);
  posix_spawn_file_actions_adddup2(&actions, fromWorker[1], kWorkerReplyFd);
  posix_spawn_file_actions_adddup2(&actions, arena, kWorkerArenaFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, kWorkerArenaFd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);

  // A minimal environment: nothing of the parent's (API keys included) reaches candidate code.
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=" + workDir_.string(),
                                  "TMPDIR=" + workDir_.string(), "LC_ALL=C"};
#if defined(__SANITIZE_ADDRESS__)
  env.push_back("ASAN_OPTIONS=detect_leaks=0");
#endif
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = wrapper;
  args.push_back(workerExe.string());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string exe = args.front();
  int rc = posix_spawn(&pid_, exe.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(toWorker[0]);
  close(fromWorker[1]);
  if (outFd >= 0) close(outFd);
  if (errFd >= 0) close(errFd);
  close(arena);
  requestFd_ = toWorker[1];
  replyFd_ = fromWorker[0];
  if (rc != 0) {
    pid_ = -1;
    fail(WorkerFailure::Kind::Start, "cannot start " + exe + ": " + std::strerror(rc));
  }
}

WorkerClient::~WorkerClient() {
  shutdown();
  if (requestFd_ >= 0) close(requestFd_);
  if (replyFd_ >= 0) close(replyFd_);
  std::error_code ec;
  if (!workDir_.empty()) fs::remove_all(workDir_, ec);
}

void WorkerClient::killGroup() {
  if (pid_ <= 0 || reaped_) return;
  kill(-pid_, SIGTERM);
  for (int i = 0; i < 20; ++i) {
    reap(false);
    if (reaped_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(-pid_, SIGKILL);
  reap(true);
}

void WorkerClient::reap(bool block) {
  if (pid_ <= 0 || reaped_) return;
  for (;;) {
    pid_t r = waitpid(pid_, &status_, block ? 0 : WNOHANG);
    if (r < 0 && errno == EINTR) continue;
    if (r == pid_ || (r < 0 && errno == ECHILD)) reaped_ = true;
    return;
  }
}

void WorkerClient::fail(WorkerFailure::Kind kind, const std::string& detail) {
  if (failure_) return;
  WorkerFailure f;
  f.kind = kind;
  f.detail = detail;
  if (kind == WorkerFailure::Kind::Timeout) {
    killGroup();
  } else if (pid_ > 0) {
    // Died or misbehaved: give it a moment to finish dying, then make sure.
    for (int i = 0; i < 100 && !reaped_; ++i) {
      reap(false);
      if (!reaped_) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!reaped_) killGroup();
    if (WIFSIGNALED(status_)) {
      f.signal = WTERMSIG(status_);
      f.kind = WorkerFailure::Kind::Crash;
    } else if (WIFEXITED(status_)) {
      f.exitCode = WEXITSTATUS(status_);
    }
  }
  failure_ = f;
}

std::optional<nlohmann::json> WorkerClient::request(const nlohmann::json& req,
                                                    double timeoutSeconds) {
  if (failure_) return std::nullopt;
  if (!writeLine(requestFd_, req.dump())) {
    fail(WorkerFailure::Kind::Crash, "the worker closed its request pipe");
    return std::nullopt;
  }
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(int64_t(timeoutSeconds * 1e6));
  for (;;) {
    size_t nl = replyBuffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = replyBuffer_.substr(0, nl);
      replyBuffer_.erase(0, nl + 1);
      try {
        return nlohmann::json::parse(line);
      } catch (const std::exception&) {
        fail(WorkerFailure::Kind::Protocol, "the worker sent a malformed reply");
        return std::nullopt;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left < 0) {
      fail(WorkerFailure::Kind::Timeout,
           "no answer within " + std::to_string(timeoutSeconds) + " s");
      return std::nullopt;
    }
    pollfd p{replyFd_, POLLIN, 0};
    int n = poll(&p, 1, int(left) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) continue;
    char buf[65536];
    ssize_t got = read(replyFd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      fail(WorkerFailure::Kind::Crash, "the worker died");
      return std::nullopt;
    }
    replyBuffer_.append(buf, size_t(got));
    if (replyBuffer_.size() > (1u << 20)) {
      fail(WorkerFailure::Kind::Protocol, "the worker flooded its reply pipe");
      return std::nullopt;
    }
  }
}

void WorkerClient::shutdown(double graceSeconds) {
  if (pid_ <= 0 || reaped_) return;
  if (!failure_) writeLine(requestFd_, R"({"cmd":"exit"})");
  for (int i = 0; i < int(graceSeconds * 500) && !reaped_; ++i) {
    reap(false);
    if (!reaped_) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!reaped_) killGroup();
}

std::string WorkerClient::stdoutTail(size_t bytes) const {
  return tailOf(workDir_ / "stdout.log", bytes);
}
std::string WorkerClient::stderrTail(size_t bytes) const {
  return tailOf(workDir_ / "stderr.log", bytes);
}

}  // namespace kevo::eval

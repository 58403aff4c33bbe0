// The parent <-> worker protocol: one JSON object per line. The parent writes requests on the
// worker's fd 3 and reads replies from its fd 4; fd 5 is the shared arena; fds 1 and 2 are log
// files in the worker's temp dir. Requests: load, ping, flush, call, download_inputs, exit (see
// docs/architecture.md). The worker never sees expected outputs.
#pragma once

#include <optional>
#include <string>

namespace kevo::eval {

constexpr int kWorkerRequestFd = 3;
constexpr int kWorkerReplyFd = 4;
constexpr int kWorkerArenaFd = 5;

// Buffered reader of '\n'-terminated lines from a file descriptor.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // A complete line without its '\n'; nullopt on end of file or error.
  std::optional<std::string> readLine();
  // True when a complete line is already buffered.
  bool hasBufferedLine() const;
  // Reads what is available without blocking (the fd must be readable); false on EOF.
  bool fill();

 private:
  int fd_;
  std::string buffer_;
};

// Writes all of `line` plus '\n'; false on error.
bool writeLine(int fd, const std::string& line);

}  // namespace kevo::eval

// Runs a trusted tool (the compiler) with an argument vector, no shell, and captures its output.
// Used by the CPU backend to build candidates; never used to run candidate code.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kevo::util {

struct SubprocessResult {
  bool started = false;   // false: the program could not be executed (error holds why)
  bool timedOut = false;  // killed after the deadline
  int exitCode = -1;      // valid when the program exited normally
  int signal = 0;         // non-zero when it was killed by a signal
  std::string output;     // stdout and stderr, interleaved
  std::string error;
};

SubprocessResult runSubprocess(const std::vector<std::string>& argv, double timeoutSeconds,
                               const std::filesystem::path& workingDir = {});

}  // namespace kevo::util

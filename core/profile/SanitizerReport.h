// What compute-sanitizer (memcheck, racecheck, initcheck) found in one run: the error count of
// its summary and the first errors with where they happened. Parsed from its --log-file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kevo::profile {

struct SanitizerError {
  std::string what;                  // "Invalid __global__ write of size 4 bytes"
  std::vector<std::string> details;  // "at k+0x90 in kernel.cu:12", "by thread (0,0,0) ..."
};

struct SanitizerReport {
  std::string tool;
  int errorCount = 0;
  std::vector<SanitizerError> errors;  // the first few, as printed
  bool clean() const { return errorCount == 0; }
  nlohmann::json toJson() const;
};

// Throws std::runtime_error, quoting the log's last lines, when it has no ERROR SUMMARY (nor
// racecheck's RACECHECK SUMMARY): the sanitizer itself failed.
SanitizerReport parseSanitizerLog(const std::string& tool, const std::string& log);

}  // namespace kevo::profile

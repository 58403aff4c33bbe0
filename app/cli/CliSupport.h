// What every kevo-cli command shares: argument parsing, exit codes, the evaluator built from
// this machine's measured ceilings, and number formatting for the tables.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "eval/Evaluator.h"
#include "hw/HardwareInfo.h"

namespace kevo::cli {

// Documented in docs/cli.md.
enum ExitCode {
  kExitOk = 0,
  kExitVerdict = 1,      // the command ran; what it checked is not ok
  kExitUsage = 2,        // bad command line
  kExitInput = 3,        // a file given is broken: problem spec, source, session
  kExitEnvironment = 4,  // the machine is not fit: no compiler, worker missing, reference broken
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --name value, --flag, and positional arguments; repeated options keep every value.
class Args {
 public:
  Args(std::vector<std::string> argv, const std::vector<std::string>& valueOptions,
       const std::vector<std::string>& flagOptions);
  bool flag(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, bool> flags_;
  std::vector<std::string> positional_;
};

hw::HardwareInfo machineHardware(bool reprobe = false);
eval::Evaluator makeEvaluator(const hw::HardwareInfo& info);
// "cpu": makeEvaluator(info); "cuda": GPU 0 with its probed ceilings (hw/GpuHardware.h).
eval::Evaluator makeEvaluatorFor(const std::string& backend, const hw::HardwareInfo& info);

std::string formatSeconds(double s);  // "12.3 us", "4.56 ms", "1.23 s"
std::string formatFixed(double v, int decimals);
std::string padRight(const std::string& s, size_t width);
std::string padLeft(const std::string& s, size_t width);
// Prints rows as aligned columns; the first row is the header.
void printTable(const std::vector<std::vector<std::string>>& rows);

void printJson(const nlohmann::json& j);
std::string readTextFile(const std::string& path);  // throws InputError naming the file
// "-O2 -ffast-math" -> {"-O2", "-ffast-math"} (the --flags option).
std::vector<std::string> splitFlags(const std::string& flags);

}  // namespace kevo::cli

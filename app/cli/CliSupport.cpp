#include "CliSupport.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "eval/EvaluatorSetup.h"
#include "hw/HardwareProbe.h"
#include "util/Paths.h"

namespace kevo::cli {

Args::Args(std::vector<std::string> argv, const std::vector<std::string>& valueOptions,
           const std::vector<std::string>& flagOptions) {
  auto isIn = [](const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
      if (x == s) return true;
    return false;
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    bool shortOption = a.size() == 2 && a[0] == '-' && a[1] != '-';  // -o
    if ((a.rfind("--", 0) == 0 && a.size() > 2) || shortOption) {
      std::string name = a.substr(shortOption ? 1 : 2);
      std::optional<std::string> inlineValue;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inlineValue = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (isIn(flagOptions, name)) {
        if (inlineValue) throw UsageError("--" + name + " takes no value");
        flags_[name] = true;
      } else if (isIn(valueOptions, name)) {
        if (inlineValue) {
          values_[name].push_back(*inlineValue);
        } else {
          if (i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value");
          values_[name].push_back(argv[++i]);
        }
      } else {
        throw UsageError("unknown option " + a);
      }
    } else {
      positional_.push_back(a);
    }
  }
}

bool Args::flag(const std::string& name) const {
  return flags_.count(name) > 0;
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

hw::HardwareInfo machineHardware(bool reprobe) {
  return hw::loadOrProbeHardware(hw::defaultHardwareCacheDir(), reprobe);
}

eval::Evaluator makeEvaluator(const hw::HardwareInfo& info) {
  return makeEvaluatorFor("cpu", info);
}

eval::Evaluator makeEvaluatorFor(const std::string& backend, const hw::HardwareInfo& info) {
  try {
    return eval::Evaluator(eval::evaluatorConfigFor(backend, info));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }  // no GPU, driver or toolkit: a std::runtime_error, exit 4 (environment)
}

std::vector<std::string> splitFlags(const std::string& flags) {
  std::istringstream s(flags);
  std::vector<std::string> out;
  std::string f;
  while (s >> f) out.push_back(f);
  return out;
}

std::string formatFixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string formatSeconds(double s) {
  if (s <= 0) return "-";
  if (s < 1e-3) return formatFixed(s * 1e6, s < 1e-5 ? 2 : 1) + " us";
  if (s < 1) return formatFixed(s * 1e3, s < 1e-2 ? 2 : 1) + " ms";
  return formatFixed(s, 2) + " s";
}

std::string padRight(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string padLeft(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

void printTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) {
      if (widths.size() <= c) widths.push_back(0);
      widths[c] = std::max(widths[c], row[c].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c)
      line += (c ? "  " : "") + (c + 1 == row.size() ? row[c] : padRight(row[c], widths[c]));
    std::cout << line << "\n";
  }
}

void printJson(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

std::string readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot be read (missing or not permitted)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace kevo::cli

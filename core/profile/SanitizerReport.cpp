#include "profile/SanitizerReport.h"

#include <regex>
#include <sstream>
#include <stdexcept>

namespace kevo::profile {

namespace {

constexpr size_t kErrorsKept = 5;
constexpr size_t kDetailsKept = 4;

}  // namespace

SanitizerReport parseSanitizerLog(const std::string& tool, const std::string& log) {
  // memcheck and initcheck end with an ERROR SUMMARY; racecheck with a RACECHECK SUMMARY.
  static const std::regex summary(R"(ERROR SUMMARY: (\d+) errors?)");
  static const std::regex raceSummary(
      R"(RACECHECK SUMMARY: \d+ hazards? displayed \((\d+) errors?, \d+ warnings?\))");
  SanitizerReport r;
  r.tool = tool;
  bool sawSummary = false;
  std::vector<std::string> tail;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > 8) tail.erase(tail.begin());
    const std::string prefix = "========= ";
    if (line.rfind(prefix, 0) != 0) continue;
    std::string body = line.substr(prefix.size());
    std::smatch m;
    if (std::regex_search(body, m, summary) || std::regex_search(body, m, raceSummary)) {
      r.errorCount = std::stoi(m[1]);
      sawSummary = true;
      continue;
    }
    if (body.empty() || body.find("COMPUTE-SANITIZER") != std::string::npos ||
        body.rfind("Target application", 0) == 0 || body.rfind("LEAK SUMMARY", 0) == 0)
      continue;
    if (body[0] == ' ') {
      size_t start = body.find_first_not_of(' ');
      std::string detail = body.substr(start);
      // The host backtrace lines that follow are the harness's own frames: not kept.
      if (!r.errors.empty() && r.errors.size() <= kErrorsKept &&
          r.errors.back().details.size() < kDetailsKept && detail.rfind("Saved host", 0) != 0 &&
          detail.rfind("Host Frame", 0) != 0 && detail.rfind("#", 0) != 0)
        r.errors.back().details.push_back(detail);
      continue;
    }
    if (r.errors.size() < kErrorsKept + 1) r.errors.push_back({body, {}});
  }
  if (r.errors.size() > kErrorsKept) r.errors.pop_back();
  if (!sawSummary) {
    std::string last;
    for (const auto& l : tail) last += "\n  " + l;
    throw std::runtime_error("compute-sanitizer (" + tool + ") printed no summary" +
                             (last.empty() ? std::string(" (its log is empty)") : ":" + last));
  }
  return r;
}

nlohmann::json SanitizerReport::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : errors) list.push_back({{"what", e.what}, {"details", e.details}});
  return {{"tool", tool}, {"error_count", errorCount}, {"clean", clean()}, {"errors", list}};
}

}  // namespace kevo::profile

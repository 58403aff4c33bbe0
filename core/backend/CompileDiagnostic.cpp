#include "backend/CompileDiagnostic.h"

#include <regex>
#include <sstream>

namespace kevo::backend {

std::vector<CompileDiagnostic> parseGccDiagnostics(const std::string& output) {
  static const std::regex pattern(
      R"(^(.*?):(\d+):(?:(\d+):)?\s*(fatal error|error|warning|note):\s*(.*)$)");
  std::vector<CompileDiagnostic> out;
  std::istringstream lines(output);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (!std::regex_match(line, m, pattern)) continue;
    CompileDiagnostic d;
    d.file = m[1];
    d.line = std::stoi(m[2]);
    d.column = m[3].matched ? std::stoi(m[3]) : 0;
    d.severity = m[4];
    d.message = m[5];
    out.push_back(std::move(d));
  }
  return out;
}

nlohmann::json toJson(const CompileDiagnostic& d) {
  return {{"file", d.file},
          {"line", d.line},
          {"column", d.column},
          {"severity", d.severity},
          {"message", d.message}};
}

CompileDiagnostic diagnosticFromJson(const nlohmann::json& j) {
  CompileDiagnostic d;
  d.file = j.value("file", "");
  d.line = j.value("line", 0);
  d.column = j.value("column", 0);
  d.severity = j.value("severity", "");
  d.message = j.value("message", "");
  return d;
}

}  // namespace kevo::backend

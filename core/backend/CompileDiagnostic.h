// A compiler message as a record the GUI and CLI can point at: file, line, column, severity.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kevo::backend {

struct CompileDiagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string severity;  // error, warning, note, fatal error
  std::string message;
};

// Parses gcc/clang output ("file:line:col: error: message"); lines that are not diagnostics
// (source excerpts, "In function" headers) are skipped.
std::vector<CompileDiagnostic> parseGccDiagnostics(const std::string& output);

nlohmann::json toJson(const CompileDiagnostic& d);
CompileDiagnostic diagnosticFromJson(const nlohmann::json& j);

}  // namespace kevo::backend

#include "backend/LaunchPlan.h"

#include <regex>
#include <sstream>

namespace kevo::backend {

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  size_t b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// Reads `word(...)` at `pos` with balanced parentheses; returns the text inside and moves pos.
std::string readGroup(const std::string& text, size_t& pos, const std::string& word, int line) {
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) ++pos;
  if (text.compare(pos, word.size(), word) != 0)
    throw LaunchPlanError(
        line, "kevo-launch: expected " + word + "(...) at \"" + trim(text.substr(pos)) + "\"");
  pos += word.size();
  while (pos < text.size() && text[pos] == ' ') ++pos;
  if (pos >= text.size() || text[pos] != '(')
    throw LaunchPlanError(line, "kevo-launch: expected '(' after " + word);
  int depth = 0;
  size_t start = pos + 1;
  for (; pos < text.size(); ++pos) {
    if (text[pos] == '(') ++depth;
    if (text[pos] == ')' && --depth == 0) break;
  }
  if (depth != 0) throw LaunchPlanError(line, "kevo-launch: unbalanced parentheses in " + word);
  std::string inside = text.substr(start, pos - start);
  ++pos;
  return inside;
}

// Splits on commas outside parentheses.
std::vector<std::string> splitTopLevel(const std::string& s) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string cur;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(trim(cur));
  return parts;
}

LaunchLine parseLaunchLine(const std::string& rest, int line) {
  static const std::regex name(R"(^\s*([A-Za-z_]\w*)\s+)");
  std::smatch m;
  if (!std::regex_search(rest, m, name))
    throw LaunchPlanError(line, "kevo-launch: expected a kernel name, then grid(...) block(...)");
  LaunchLine l;
  l.line = line;
  l.kernel = m[1];
  size_t pos = size_t(m.length(0));
  l.grid = splitTopLevel(readGroup(rest, pos, "grid", line));
  l.block = splitTopLevel(readGroup(rest, pos, "block", line));
  if (trim(rest.substr(pos)).rfind("smem", 0) == 0)
    l.smem = trim(readGroup(rest, pos, "smem", line));
  if (!trim(rest.substr(pos)).empty())
    throw LaunchPlanError(line, "kevo-launch: unexpected \"" + trim(rest.substr(pos)) +
                                    "\" (a line is: NAME grid(...) block(...) [smem(...)])");
  for (const auto* dims : {&l.grid, &l.block}) {
    if (dims->size() > 3)
      throw LaunchPlanError(line, "kevo-launch: grid and block take 1 to 3 dimensions");
    for (const auto& e : *dims)
      if (e.empty()) throw LaunchPlanError(line, "kevo-launch: an empty dimension");
  }
  // Syntax now, values at resolution: an expression error points at this line at once.
  auto checkSyntax = [&](const std::string& e) {
    try {
      problem::expressionSymbols(e);
    } catch (const problem::ExpressionError& err) {
      throw LaunchPlanError(line, "kevo-launch: \"" + e + "\": " + err.what());
    }
  };
  for (const auto& e : l.grid) checkSyntax(e);
  for (const auto& e : l.block) checkSyntax(e);
  if (!l.smem.empty()) checkSyntax(l.smem);
  return l;
}

}  // namespace

nlohmann::json ResolvedPlan::toJson() const {
  nlohmann::json j = {{"scratch_bytes", scratchBytes}, {"launches", nlohmann::json::array()}};
  for (const auto& l : launches)
    j["launches"].push_back(
        {{"kernel", l.kernel}, {"grid", l.grid}, {"block", l.block}, {"smem", l.smemBytes}});
  return j;
}

LaunchPlan parseLaunchPlan(const std::string& source) {
  static const std::regex define(R"(^\s*#\s*define\s+([A-Za-z_]\w*)\s+(-?\d+)\s*(//.*)?$)");
  LaunchPlan plan;
  std::istringstream in(source);
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    std::smatch m;
    if (std::regex_match(text, m, define)) {
      try {
        plan.defines[m[1]] = std::stoll(m[2]);
      } catch (const std::exception&) {
        // Out of int64 range: not usable in a launch expression anyway.
      }
      continue;
    }
    size_t c = text.find("//");
    if (c == std::string::npos) continue;
    std::string comment = trim(text.substr(c + 2));
    if (comment.rfind("kevo-launch:", 0) == 0) {
      plan.launches.push_back(parseLaunchLine(comment.substr(12), line));
    } else if (comment.rfind("kevo-scratch:", 0) == 0) {
      if (!plan.scratch.empty()) throw LaunchPlanError(line, "a second kevo-scratch line");
      plan.scratch = trim(comment.substr(13));
      plan.scratchLine = line;
      try {
        problem::expressionSymbols(plan.scratch);
      } catch (const problem::ExpressionError& err) {
        throw LaunchPlanError(line, "kevo-scratch: \"" + plan.scratch + "\": " + err.what());
      }
    }
  }
  if (!plan.scratch.empty() && plan.launches.empty())
    throw LaunchPlanError(plan.scratchLine, "kevo-scratch without any kevo-launch line");
  return plan;
}

ResolvedPlan resolveLaunchPlan(const LaunchPlan& plan, const problem::SymbolTable& symbols) {
  problem::SymbolTable all = symbols;
  for (const auto& [name, value] : plan.defines) {
    if (symbols.count(name) && symbols.at(name) != value)
      throw LaunchPlanError(0, "#define " + name + " clashes with the shape symbol " + name);
    all[name] = value;
  }
  auto eval = [&](const std::string& e, int line, const char* what) {
    try {
      return problem::evaluateExpression(e, all);
    } catch (const problem::ExpressionError& err) {
      throw LaunchPlanError(line, std::string(what) + " \"" + e + "\": " + err.what());
    }
  };
  ResolvedPlan r;
  for (const auto& l : plan.launches) {
    ResolvedLaunch rl;
    rl.kernel = l.kernel;
    int64_t threads = 1;
    for (size_t d = 0; d < l.grid.size(); ++d) {
      rl.grid[d] = eval(l.grid[d], l.line, "grid");
      int64_t limit = d == 0 ? (int64_t(1) << 31) - 1 : 65535;
      if (rl.grid[d] < 1 || rl.grid[d] > limit)
        throw LaunchPlanError(l.line, "grid dimension " + std::to_string(d) + " of " + l.kernel +
                                          " is " + std::to_string(rl.grid[d]) + " (must be 1.." +
                                          std::to_string(limit) + ")");
    }
    for (size_t d = 0; d < l.block.size(); ++d) {
      rl.block[d] = eval(l.block[d], l.line, "block");
      if (rl.block[d] < 1)
        throw LaunchPlanError(l.line, "block dimension " + std::to_string(d) + " of " + l.kernel +
                                          " is " + std::to_string(rl.block[d]));
      threads *= rl.block[d];
    }
    if (threads > 1024)
      throw LaunchPlanError(l.line, "block of " + l.kernel + " has " + std::to_string(threads) +
                                        " threads (CUDA allows at most 1024)");
    if (!l.smem.empty()) rl.smemBytes = eval(l.smem, l.line, "smem");
    if (rl.smemBytes < 0) throw LaunchPlanError(l.line, "negative shared memory size");
    r.launches.push_back(rl);
  }
  if (!plan.scratch.empty()) {
    r.scratchBytes = eval(plan.scratch, plan.scratchLine, "kevo-scratch");
    if (r.scratchBytes < 0) throw LaunchPlanError(plan.scratchLine, "negative scratch size");
  }
  return r;
}

}  // namespace kevo::backend

#include "synth/Recipe.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "problem/Expression.h"
#include "util/Paths.h"

namespace kevo::synth {

namespace fs = std::filesystem;
using nlohmann::json;

int Knob::indexOf(int64_t v) const {
  auto it = std::find(values.begin(), values.end(), v);
  return it == values.end() ? -1 : int(it - values.begin());
}

const Knob* Recipe::findKnob(const std::string& n) const {
  for (const auto& k : knobs)
    if (k.name == n) return &k;
  return nullptr;
}

KnobValues Recipe::defaults() const {
  KnobValues v;
  for (const auto& k : knobs) v[k.name] = k.defaultValue;
  return v;
}

bool Recipe::appliesToProblem(const std::string& id) const {
  return std::find(appliesTo.begin(), appliesTo.end(), id) != appliesTo.end();
}

bool Recipe::satisfies(const KnobValues& values) const {
  if (values.size() != knobs.size()) return false;
  for (const auto& k : knobs) {
    auto it = values.find(k.name);
    if (it == values.end() || k.indexOf(it->second) < 0) return false;
  }
  for (const auto& c : constraints)
    if (!evaluateConstraint(c, values)) return false;
  return true;
}

std::string Recipe::describeKnobs(const KnobValues& k) {
  std::string s;
  for (const auto& [name, v] : k) s += (s.empty() ? "" : " ") + name + "=" + std::to_string(v);
  return s;
}

std::string Recipe::materialize(const KnobValues& values) const {
  std::string out = "// Kevo candidate from recipe " + name + ": " + title + "\n";
  out += "// knobs: " + describeKnobs(values) + "\n";
  for (const auto& [n, v] : values) out += "#define " + n + " " + std::to_string(v) + "\n";
  return out + kernelTemplate;
}

RecipeError::RecipeError(std::vector<std::string> errors)
    : std::runtime_error([&] {
        std::string all;
        for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
        return all;
      }()),
      errors_(std::move(errors)) {}

bool evaluateConstraint(const std::string& constraint, const KnobValues& k) {
  static const std::regex op(R"((<=|>=|==|!=|<|>))");
  std::smatch m;
  if (!std::regex_search(constraint, m, op))
    throw std::runtime_error("constraint \"" + constraint +
                             "\" has no comparison (<= < >= > == !=)");
  std::string lhs = m.prefix(), rhs = m.suffix(), o = m[1];
  problem::SymbolTable symbols(k.begin(), k.end());
  int64_t a = problem::evaluateExpression(lhs, symbols);
  int64_t b = problem::evaluateExpression(rhs, symbols);
  if (o == "<=") return a <= b;
  if (o == ">=") return a >= b;
  if (o == "==") return a == b;
  if (o == "!=") return a != b;
  if (o == "<") return a < b;
  return a > b;
}

namespace {

const std::vector<std::string> kKinds = {"vector_width", "unroll",    "accumulators",
                                         "threads",      "chunk",     "tile",
                                         "loop_order",   "algorithm", "prefetch"};

// Whether any combination satisfies every constraint (domains are small: enumerate, capped).
bool satisfiable(const Recipe& r) {
  std::vector<size_t> idx(r.knobs.size(), 0);
  for (int visited = 0; visited < 200000; ++visited) {
    KnobValues v;
    for (size_t i = 0; i < r.knobs.size(); ++i) v[r.knobs[i].name] = r.knobs[i].values[idx[i]];
    bool ok = true;
    for (const auto& c : r.constraints) ok = ok && evaluateConstraint(c, v);
    if (ok) return true;
    size_t i = 0;
    while (i < idx.size() && ++idx[i] == r.knobs[i].values.size()) idx[i++] = 0;
    if (i == idx.size()) return false;
  }
  return true;  // too many to enumerate: assume so
}

}  // namespace

Recipe loadRecipe(const fs::path& dirIn) {
  fs::path dir = fs::absolute(dirIn).lexically_normal();
  std::string file = (dir / "recipe.json").string();
  std::vector<std::string> errors;
  auto error = [&](const std::string& field, const std::string& what) {
    errors.push_back(file + ": " + field + ": " + what);
  };
  std::ifstream in(dir / "recipe.json");
  if (!in) throw RecipeError({file + ": cannot be read"});
  json spec;
  try {
    spec = json::parse(in);
  } catch (const json::parse_error& e) {
    throw RecipeError({file + ": not valid JSON: " + e.what()});
  }
  Recipe r;
  r.dir = dir;
  r.family = dir.parent_path().filename().string();
  auto str = [&](const char* key, bool required) {
    if (!spec.contains(key)) {
      if (required) error(key, "missing (expected a string)");
      return std::string();
    }
    if (!spec[key].is_string()) {
      error(key, "expected a string");
      return std::string();
    }
    return spec[key].get<std::string>();
  };
  r.name = str("name", true);
  if (!r.name.empty() && r.name != dir.filename().string())
    error("name",
          "expected the folder name \"" + dir.filename().string() + "\", got \"" + r.name + "\"");
  r.title = str("title", true);
  r.description = str("description", false);
  if (!spec.contains("applies_to") || !spec["applies_to"].is_array() ||
      spec["applies_to"].empty()) {
    error("applies_to", "expected a non-empty array of problem ids");
  } else {
    for (const auto& a : spec["applies_to"])
      if (a.is_string())
        r.appliesTo.push_back(a);
      else
        error("applies_to", "expected problem id strings");
  }
  if (!spec.contains("knobs") || !spec["knobs"].is_object()) {
    error("knobs", "expected an object: knob name -> {values, default, kind, doc}");
  } else {
    static const std::regex macro("[A-Z][A-Z0-9_]*");
    for (const auto& [name, k] : spec["knobs"].items()) {
      std::string field = "knobs." + name;
      Knob knob;
      knob.name = name;
      if (!std::regex_match(name, macro)) error(field, "expected an upper-case C macro name");
      if (!k.is_object()) {
        error(field, "expected {\"values\": [...], \"default\": v, \"kind\": \"...\"}");
        continue;
      }
      if (!k.contains("values") || !k["values"].is_array() || k["values"].empty()) {
        error(field + ".values", "expected a non-empty array of integers (empty domain)");
      } else {
        for (const auto& v : k["values"])
          if (v.is_number_integer())
            knob.values.push_back(v.get<int64_t>());
          else
            error(field + ".values", "expected integers, got " + v.dump());
      }
      if (!k.contains("default") || !k["default"].is_number_integer())
        error(field + ".default", "expected an integer");
      else if (knob.indexOf(k["default"].get<int64_t>()) < 0)
        error(field + ".default", "expected one of the values, got " + k["default"].dump());
      else
        knob.defaultValue = k["default"].get<int64_t>();
      knob.kind = k.value("kind", "");
      if (std::find(kKinds.begin(), kKinds.end(), knob.kind) == kKinds.end())
        error(field + ".kind",
              "expected one of vector_width, unroll, accumulators, threads, chunk, tile, "
              "loop_order, algorithm, prefetch, got \"" +
                  knob.kind + "\"");
      knob.doc = k.value("doc", "");
      r.knobs.push_back(knob);
    }
  }
  if (spec.contains("constraints")) {
    if (!spec["constraints"].is_array())
      error("constraints", "expected an array of strings");
    else
      for (size_t i = 0; i < spec["constraints"].size(); ++i) {
        const auto& c = spec["constraints"][i];
        std::string field = "constraints[" + std::to_string(i) + "]";
        if (!c.is_string()) {
          error(field, "expected a string like \"VEC * ACC <= 64\"");
          continue;
        }
        try {
          for (const auto& part : {std::string(c)}) {
            static const std::regex op(R"((<=|>=|==|!=|<|>))");
            std::smatch m;
            if (!std::regex_search(part, m, op))
              throw std::runtime_error("no comparison (<= < >= > == !=)");
            for (const auto& side : {std::string(m.prefix()), std::string(m.suffix())})
              for (const auto& sym : problem::expressionSymbols(side))
                if (!r.findKnob(sym)) throw std::runtime_error("unknown knob '" + sym + "'");
          }
          r.constraints.push_back(c);
        } catch (const std::exception& e) {
          error(field, std::string(e.what()) + " in \"" + c.get<std::string>() + "\"");
        }
      }
  }
  if (spec.contains("flags")) {
    if (!spec["flags"].is_array())
      error("flags", "expected an array of strings");
    else
      for (const auto& f : spec["flags"])
        r.flags.push_back(f.is_string() ? f.get<std::string>() : f.dump());
  }
  // CPU recipes hold kernel.cpp, CUDA recipes kernel.cu (docs/cuda-backend.md).
  fs::path kernelFile = fs::exists(dir / "kernel.cu") ? dir / "kernel.cu" : dir / "kernel.cpp";
  std::ifstream kernel(kernelFile);
  if (!kernel) {
    errors.push_back((dir / "kernel.cpp").string() +
                     ": missing (every recipe has a kernel.cpp, or a kernel.cu for CUDA)");
  } else {
    std::ostringstream s;
    s << kernel.rdbuf();
    r.kernelTemplate = s.str();
  }
  if (errors.empty() && !satisfiable(r))
    error("constraints", "no combination of knob values satisfies every constraint");
  if (!errors.empty()) throw RecipeError(errors);
  return r;
}

std::vector<const Recipe*> RecipeLibrary::forProblem(const std::string& problemId) const {
  std::vector<const Recipe*> out;
  for (const auto& r : recipes)
    if (r.appliesToProblem(problemId)) out.push_back(&r);
  return out;
}

const Recipe* RecipeLibrary::find(const std::string& name) const {
  for (const auto& r : recipes)
    if (r.name == name) return &r;
  return nullptr;
}

RecipeLibrary loadRecipeLibrary(const fs::path& root) {
  RecipeLibrary lib;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& family : fs::directory_iterator(root, ec))
    if (family.is_directory())
      for (const auto& d : fs::directory_iterator(family.path(), ec))
        if (fs::exists(d.path() / "recipe.json")) dirs.push_back(d.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    try {
      lib.recipes.push_back(loadRecipe(d));
    } catch (const RecipeError& e) {
      for (const auto& m : e.errors()) lib.errors.push_back(m);
    }
  }
  return lib;
}

fs::path defaultRecipeRoot(const std::string& backend) {
  if (const char* env = std::getenv("KEVO_RECIPES_DIR"); env && *env) return env;
  return util::dataDir() / "knowledge" / "recipes" / backend;
}

}  // namespace kevo::synth

// A recipe: a kernel template parametrized by knobs (C macros) plus recipe.json (domains,
// constraints, the problems it solves, what each knob does). The rules synthesizer moves
// through knob space; materialize() writes the #defines so the stored source is exactly what
// ran. Format: knowledge/recipes/README.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace kevo::synth {

using KnobValues = std::map<std::string, int64_t>;

struct Knob {
  std::string name;
  std::vector<int64_t> values;
  int64_t defaultValue = 0;
  std::string kind;  // vector_width, unroll, accumulators, threads, chunk, tile, loop_order,
                     // algorithm, prefetch
  std::string doc;
  int indexOf(int64_t v) const;  // -1 when not in the domain
};

struct Recipe {
  std::filesystem::path dir;
  std::string name, title, family, description;
  std::vector<std::string> appliesTo;
  std::vector<Knob> knobs;
  std::vector<std::string> constraints;
  std::vector<std::string> flags;
  std::string kernelTemplate;

  const Knob* findKnob(const std::string& name) const;
  KnobValues defaults() const;
  bool appliesToProblem(const std::string& id) const;
  // Every knob present, every value in its domain, every constraint true.
  bool satisfies(const KnobValues& k) const;
  std::string materialize(const KnobValues& k) const;
  static std::string describeKnobs(const KnobValues& k);  // "ACC=2 VEC=16"
};

class RecipeError : public std::runtime_error {
 public:
  explicit RecipeError(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

// Loads dir/recipe.json and dir/kernel.cpp; throws RecipeError listing every problem with file
// and field (unknown knob in a constraint, empty domain, default outside the domain,
// constraints no combination satisfies, ...).
Recipe loadRecipe(const std::filesystem::path& dir);

struct RecipeLibrary {
  std::vector<Recipe> recipes;
  std::vector<std::string> errors;  // broken recipes are reported, not fatal to the others
  std::vector<const Recipe*> forProblem(const std::string& problemId) const;
  const Recipe* find(const std::string& name) const;
};

// Every <root>/<family>/<recipe>/recipe.json under root (e.g. knowledge/recipes/cpu).
RecipeLibrary loadRecipeLibrary(const std::filesystem::path& root);
// knowledge/recipes/<backend> ($KEVO_RECIPES_DIR overrides it).
std::filesystem::path defaultRecipeRoot(const std::string& backend = "cpu");

// Evaluates "lhs OP rhs" over the knob values; throws std::runtime_error on bad syntax.
bool evaluateConstraint(const std::string& constraint, const KnobValues& k);

}  // namespace kevo::synth

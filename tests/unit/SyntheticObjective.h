// A known landscape for testing search policies without a compiler: two synthetic recipes, a
// score that peaks at one knob setting, a diagnosis that points at the knob furthest from its
// optimum (as a real roofline would point at the real bottleneck), and a region that crashes.
#pragma once

#include <cmath>

#include "search/NodeEvaluator.h"
#include "synth/Recipe.h"

namespace kevo::test {

inline synth::Knob knob(const std::string& name, int n, const std::string& kind) {
  synth::Knob k;
  k.name = name;
  for (int i = 0; i < n; ++i) k.values.push_back(i);
  k.defaultValue = 0;
  k.kind = kind;
  return k;
}

inline std::vector<synth::Recipe> syntheticRecipes() {
  synth::Recipe a;
  a.name = "synth_a";
  a.title = "the recipe with the global optimum";
  a.appliesTo = {"synthetic"};
  a.knobs = {knob("A", 8, "vector_width"), knob("B", 8, "threads"), knob("C", 8, "unroll"),
             knob("D", 8, "tile")};
  a.kernelTemplate = "// synthetic\n";
  synth::Recipe b;
  b.name = "synth_b";
  b.title = "a weaker recipe";
  b.appliesTo = {"synthetic"};
  b.knobs = {knob("A", 4, "vector_width"), knob("B", 4, "threads")};
  b.kernelTemplate = "// synthetic\n";
  return {a, b};
}

constexpr double kSyntheticOptimum = 2.0;

class SyntheticEvaluator : public search::NodeEvaluator {
 public:
  search::NodeOutcome evaluate(const search::SearchNode& n) override {
    ++evaluations;
    search::NodeOutcome o;
    if (n.recipe.empty()) {  // a user edit
      o.verdict = "ok";
      o.score = 0.5;
      o.bottleneck = "latency-bound";
      return o;
    }
    const auto& k = n.knobs;
    if (n.recipe == "synth_a") {
      if (k.at("B") == 0 && k.at("C") == 7) {
        o.verdict = "crash";
        o.detail = "killed by SIGSEGV";
        return o;
      }
      const int opt[4] = {5, 6, 2, 7};
      const char* names[4] = {"A", "B", "C", "D"};
      const char* diagnosis[4] = {"memory-bound", "latency-bound", "compute-bound", "memory-bound"};
      double err = 0, worst = -1;
      for (int i = 0; i < 4; ++i) {
        double d = double(k.at(names[i]) - opt[i]);
        err += d * d;
        if (std::fabs(d) > worst) {
          worst = std::fabs(d);
          o.bottleneck = diagnosis[i];
        }
      }
      o.verdict = "ok";
      o.score = kSyntheticOptimum - 0.05 * err;
    } else {
      double d = double(k.at("A") - 3) * (k.at("A") - 3) + double(k.at("B") - 1) * (k.at("B") - 1);
      o.verdict = "ok";
      o.score = 1.0 - 0.1 * d;
      o.bottleneck = k.at("A") != 3 ? "memory-bound" : "latency-bound";
    }
    return o;
  }
  int evaluations = 0;
};

}  // namespace kevo::test

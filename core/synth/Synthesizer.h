// The synthesizer interface: propose(context) -> candidate. The context is what a memory
// operator selected from the tree plus the diagnosis and the user's hint; every node records
// the exact context it was made from, so a person can see why it exists.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "synth/Recipe.h"

namespace kevo::synth {

// A prior node as the synthesizer sees it.
struct PriorNode {
  int64_t id = 0;
  std::string recipe;
  KnobValues knobs;
  bool ok = false;
  double score = 0;  // mean log speedup over the baseline
  std::string verdict;
  std::string bottleneck;  // memory-bound, compute-bound, latency-bound
  std::string change;
  nlohmann::json toJson() const;
};

struct SynthesisContext {
  std::string problemId;
  std::string memoryOperator;              // inherit, siblings, combined, fresh
  std::optional<PriorNode> parent;         // the node being expanded (none: a new root)
  std::vector<PriorNode> prior;            // what the operator selected, ranked as it documents
  std::string diagnosis;                   // the parent's bottleneck, or its failed verdict
  std::string hint;                        // from the user, may name knobs ("THREADS=2") or kinds
  std::vector<std::string> recipesInTree;  // recipe names that already have nodes
  nlohmann::json toJson() const;
};

struct CandidateProposal {
  std::string recipe;
  KnobValues knobs;
  std::string source;  // materialized: exactly what will be built
  std::vector<std::string> flags;
  std::string change;  // "VEC 8 -> 16", "recipe softmax_online (defaults)"
  std::string reason;  // "memory-bound: wider vectors move the same bytes in fewer instructions"
  std::string key;     // identity for duplicate detection
};

class Synthesizer {
 public:
  virtual ~Synthesizer() = default;
  virtual std::string name() const = 0;
  // `attempt` > 0 asks for a different proposal (the previous one duplicated a node).
  virtual std::optional<CandidateProposal> propose(const SynthesisContext& context,
                                                   std::mt19937_64& rng, int attempt) = 0;
};

}  // namespace kevo::synth

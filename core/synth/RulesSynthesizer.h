// The offline `rules` synthesizer: moves through the knob space of the problem's recipes, with
// the move chosen from the diagnosis (memory-bound: wider vectors, fewer passes, blocking;
// compute-bound: unrolling, accumulators; latency-bound: threads, chunking) and the memory
// operator's selection. Meanings, as documented in docs/search.md:
//   inherit   continue along the knob direction that improved the ancestors; otherwise step the
//             knob the diagnosis points at
//   siblings  move toward what separates the best sibling from the parent
//   combined  crossover: each knob from the parent or from the best related node
//   fresh     a recipe not yet tried (its defaults), or a random restart of a recipe
#pragma once

#include "synth/Synthesizer.h"

namespace kevo::synth {

class RulesSynthesizer : public Synthesizer {
 public:
  RulesSynthesizer(std::vector<Recipe> recipes);  // the recipes that apply to the problem
  std::string name() const override { return "rules"; }
  std::optional<CandidateProposal> propose(const SynthesisContext& context, std::mt19937_64& rng,
                                           int attempt) override;
  const std::vector<Recipe>& recipes() const { return recipes_; }

  // Knob kinds worth changing for a diagnosis, most promising first.
  static std::vector<std::string> preferredKinds(const std::string& diagnosis);

 private:
  const Recipe* find(const std::string& name) const;
  std::optional<CandidateProposal> fresh(const SynthesisContext& c, std::mt19937_64& rng,
                                         int attempt);
  std::optional<CandidateProposal> inherit(const SynthesisContext& c, std::mt19937_64& rng,
                                           int attempt);
  std::optional<CandidateProposal> siblings(const SynthesisContext& c, std::mt19937_64& rng,
                                            int attempt);
  std::optional<CandidateProposal> combined(const SynthesisContext& c, std::mt19937_64& rng,
                                            int attempt);
  // One step of one knob chosen from the diagnosis (and hint); a different knob per attempt.
  std::optional<CandidateProposal> stepFromDiagnosis(const Recipe& r, const KnobValues& base,
                                                     const SynthesisContext& c,
                                                     std::mt19937_64& rng, int attempt);
  CandidateProposal finish(const Recipe& r, const KnobValues& k, std::string change,
                           std::string reason) const;
  std::vector<Recipe> recipes_;
};

}  // namespace kevo::synth

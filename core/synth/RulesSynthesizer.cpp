#include "synth/RulesSynthesizer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>

namespace kevo::synth {

nlohmann::json PriorNode::toJson() const {
  return {{"id", id},       {"recipe", recipe},   {"knobs", knobs},           {"ok", ok},
          {"score", score}, {"verdict", verdict}, {"bottleneck", bottleneck}, {"change", change}};
}

nlohmann::json SynthesisContext::toJson() const {
  nlohmann::json j = {{"problem", problemId},
                      {"memory_operator", memoryOperator},
                      {"diagnosis", diagnosis},
                      {"hint", hint},
                      {"recipes_in_tree", recipesInTree}};
  j["parent"] = parent ? parent->toJson() : nlohmann::json(nullptr);
  j["prior"] = nlohmann::json::array();
  for (const auto& p : prior) j["prior"].push_back(p.toJson());
  return j;
}

namespace {

std::string percent(double score) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.0f%%", (std::exp(score) - 1) * 100);
  return buf;
}

// Knob values the hint names ("THREADS=2"), and knob kinds its words point at.
KnobValues hintedValues(const std::string& hint) {
  KnobValues out;
  static const std::regex pair(R"(([A-Z][A-Z0-9_]*)\s*=\s*(-?\d+))");
  for (auto it = std::sregex_iterator(hint.begin(), hint.end(), pair); it != std::sregex_iterator();
       ++it)
    out[(*it)[1]] = std::stoll((*it)[2]);
  return out;
}

std::vector<std::string> hintedKinds(std::string hint) {
  std::transform(hint.begin(), hint.end(), hint.begin(), ::tolower);
  static const std::vector<std::pair<std::string, std::string>> words = {
      {"thread", "threads"},       {"parallel", "threads"},  {"vector", "vector_width"},
      {"simd", "vector_width"},    {"wide", "vector_width"}, {"unroll", "unroll"},
      {"accumul", "accumulators"}, {"tile", "tile"},         {"block", "tile"},
      {"chunk", "chunk"},          {"prefetch", "prefetch"}, {"algorithm", "algorithm"},
      {"pass", "algorithm"},       {"order", "loop_order"}};
  std::vector<std::string> kinds;
  for (const auto& [w, k] : words)
    if (hint.find(w) != std::string::npos &&
        std::find(kinds.begin(), kinds.end(), k) == kinds.end())
      kinds.push_back(k);
  return kinds;
}

std::string describeChange(const KnobValues& from, const KnobValues& to) {
  std::string s;
  for (const auto& [k, v] : to) {
    auto it = from.find(k);
    if (it == from.end() || it->second != v)
      s += (s.empty() ? "" : ", ") + k + " " +
           (it == from.end() ? "?" : std::to_string(it->second)) + " -> " + std::to_string(v);
  }
  return s.empty() ? "no change" : s;
}

}  // namespace

RulesSynthesizer::RulesSynthesizer(std::vector<Recipe> recipes) : recipes_(std::move(recipes)) {
  std::sort(recipes_.begin(), recipes_.end(),
            [](const Recipe& a, const Recipe& b) { return a.name < b.name; });
}

const Recipe* RulesSynthesizer::find(const std::string& name) const {
  for (const auto& r : recipes_)
    if (r.name == name) return &r;
  return nullptr;
}

std::vector<std::string> RulesSynthesizer::preferredKinds(const std::string& diagnosis) {
  if (diagnosis == "memory-bound")
    return {"vector_width", "algorithm", "tile", "prefetch", "chunk", "threads"};
  if (diagnosis == "compute-bound")
    return {"unroll", "accumulators", "vector_width", "tile", "threads"};
  if (diagnosis == "latency-bound")
    return {"threads", "accumulators", "unroll", "vector_width", "chunk", "algorithm"};
  return {};
}

CandidateProposal RulesSynthesizer::finish(const Recipe& r, const KnobValues& k, std::string change,
                                           std::string reason) const {
  CandidateProposal p;
  p.recipe = r.name;
  p.knobs = k;
  p.source = r.materialize(k);
  p.flags = r.flags;
  p.change = std::move(change);
  p.reason = std::move(reason);
  p.key = r.name + "|" + Recipe::describeKnobs(k);
  return p;
}

std::optional<CandidateProposal> RulesSynthesizer::propose(const SynthesisContext& c,
                                                           std::mt19937_64& rng, int attempt) {
  if (recipes_.empty()) return std::nullopt;
  const Recipe* parentRecipe = c.parent ? find(c.parent->recipe) : nullptr;
  // A hint that names knob values is followed literally when it can be.
  if (parentRecipe && attempt == 0) {
    KnobValues forced = hintedValues(c.hint);
    KnobValues k = c.parent->knobs;
    bool applied = false;
    for (const auto& [name, v] : forced)
      if (parentRecipe->findKnob(name)) {
        k[name] = v;
        applied = true;
      }
    if (applied && k != c.parent->knobs && parentRecipe->satisfies(k))
      return finish(*parentRecipe, k, describeChange(c.parent->knobs, k),
                    "hint: \"" + c.hint + "\"");
  }
  if (!c.parent || !parentRecipe || c.memoryOperator == "fresh") return fresh(c, rng, attempt);
  if (!c.parent->ok) {
    // Fix mode: the parent failed. Go back to the best working relative of the same recipe
    // (or the recipe's defaults) and change something else.
    KnobValues base = parentRecipe->defaults();
    std::string from = "the recipe's defaults";
    for (const auto& p : c.prior)
      if (p.ok && p.recipe == parentRecipe->name) {
        base = p.knobs;
        from = "node " + std::to_string(p.id);
        break;
      }
    auto step = stepFromDiagnosis(*parentRecipe, base, c, rng, attempt + 1);
    if (step)
      step->reason = "fix mode: node " + std::to_string(c.parent->id) + " failed (" +
                     c.parent->verdict + "); back to " + from + ", then " + step->reason;
    return step;
  }
  if (c.memoryOperator == "inherit") return inherit(c, rng, attempt);
  if (c.memoryOperator == "siblings") return siblings(c, rng, attempt);
  if (c.memoryOperator == "combined") return combined(c, rng, attempt);
  return stepFromDiagnosis(*parentRecipe, c.parent->knobs, c, rng, attempt);
}

std::optional<CandidateProposal> RulesSynthesizer::fresh(const SynthesisContext& c,
                                                         std::mt19937_64& rng, int attempt) {
  std::vector<const Recipe*> untried;
  for (const auto& r : recipes_)
    if (std::find(c.recipesInTree.begin(), c.recipesInTree.end(), r.name) == c.recipesInTree.end())
      untried.push_back(&r);
  if (attempt < int(untried.size())) {
    const Recipe& r = *untried[size_t(attempt)];
    return finish(r, r.defaults(), "recipe " + r.name + " (defaults)",
                  "fresh: a recipe not tried yet (" + r.title + ")");
  }
  // Random restart, preferring a recipe other than the parent's.
  std::vector<const Recipe*> pool;
  for (const auto& r : recipes_)
    if (!c.parent || r.name != c.parent->recipe || recipes_.size() == 1) pool.push_back(&r);
  const Recipe& r = *pool[rng() % pool.size()];
  for (int tries = 0; tries < 200; ++tries) {
    KnobValues k;
    for (const auto& knob : r.knobs) k[knob.name] = knob.values[rng() % knob.values.size()];
    if (r.satisfies(k))
      return finish(r, k, "recipe " + r.name + " at " + Recipe::describeKnobs(k),
                    "fresh: random restart of " + r.name + " to escape a local optimum");
  }
  return std::nullopt;
}

std::optional<CandidateProposal> RulesSynthesizer::stepFromDiagnosis(const Recipe& r,
                                                                     const KnobValues& base,
                                                                     const SynthesisContext& c,
                                                                     std::mt19937_64& rng,
                                                                     int attempt) {
  std::vector<std::string> kinds = hintedKinds(c.hint);
  for (const auto& k : preferredKinds(c.diagnosis))
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
  auto rank = [&](const Knob& k) {
    auto it = std::find(kinds.begin(), kinds.end(), k.kind);
    return it == kinds.end() ? int(kinds.size()) : int(it - kinds.begin());
  };
  std::vector<const Knob*> knobs;
  for (const auto& k : r.knobs)
    if (k.values.size() > 1) knobs.push_back(&k);
  std::shuffle(knobs.begin(), knobs.end(), rng);
  std::stable_sort(knobs.begin(), knobs.end(),
                   [&](const Knob* a, const Knob* b) { return rank(*a) < rank(*b); });
  struct Move {
    const Knob* knob;
    int64_t value;
  };
  std::vector<Move> moves;
  for (const Knob* k : knobs) {
    auto it = base.find(k->name);
    int idx = it == base.end() ? -1 : k->indexOf(it->second);
    if (idx < 0) idx = k->indexOf(k->defaultValue);
    // More of what the diagnosis asks for first (wider, more threads, more unrolling).
    bool upFirst = rank(*k) < int(kinds.size()) || rng() % 2;
    for (int dir : upFirst ? std::vector<int>{1, -1} : std::vector<int>{-1, 1}) {
      int j = idx + dir;
      if (j < 0 || j >= int(k->values.size())) continue;
      KnobValues next = base;
      next[k->name] = k->values[size_t(j)];
      if (r.satisfies(next)) moves.push_back({k, k->values[size_t(j)]});
    }
  }
  if (moves.empty()) return std::nullopt;
  KnobValues next = base;
  const Move& m = moves[size_t(attempt) % moves.size()];
  next[m.knob->name] = m.value;
  if (attempt >= int(moves.size())) {
    // Every single step was tried (the caller saw duplicates): two knobs at once.
    for (int tries = 0; tries < 16; ++tries) {
      const Move& other = moves[rng() % moves.size()];
      if (other.knob == m.knob) continue;
      KnobValues two = next;
      two[other.knob->name] = other.value;
      if (r.satisfies(two)) {
        next = two;
        break;
      }
    }
  }
  std::string why = c.diagnosis.empty() ? "explore" : c.diagnosis;
  std::string reason = why + ": change " + m.knob->kind + " (" + m.knob->name +
                       (m.knob->doc.empty() ? "" : ": " + m.knob->doc) + ")";
  if (!c.hint.empty()) reason += "; hint \"" + c.hint + "\"";
  return finish(r, next, describeChange(base, next), reason);
}

std::optional<CandidateProposal> RulesSynthesizer::inherit(const SynthesisContext& c,
                                                           std::mt19937_64& rng, int attempt) {
  const Recipe& r = *find(c.parent->recipe);
  // prior = the ancestor chain, parent first.
  if (attempt == 0 && c.prior.size() >= 2) {
    const PriorNode& p = c.prior[0];
    const PriorNode& gp = c.prior[1];
    if (p.ok && gp.ok && p.recipe == gp.recipe && p.score > gp.score) {
      std::vector<std::string> changed;
      for (const auto& [k, v] : p.knobs)
        if (gp.knobs.count(k) && gp.knobs.at(k) != v) changed.push_back(k);
      if (changed.size() == 1) {
        const Knob* knob = r.findKnob(changed[0]);
        int from = knob->indexOf(gp.knobs.at(changed[0])),
            to = knob->indexOf(p.knobs.at(changed[0]));
        int next = to + (to > from ? 1 : -1);
        if (next >= 0 && next < int(knob->values.size())) {
          KnobValues k = p.knobs;
          k[knob->name] = knob->values[size_t(next)];
          if (r.satisfies(k))
            return finish(r, k, describeChange(p.knobs, k),
                          "inherit: " + knob->name + " " + std::to_string(gp.knobs.at(knob->name)) +
                              " -> " + std::to_string(p.knobs.at(knob->name)) + " gained " +
                              percent(p.score - gp.score) + " (node " + std::to_string(gp.id) +
                              " -> " + std::to_string(p.id) + "): keep going");
        }
      }
    }
  }
  auto step = stepFromDiagnosis(r, c.parent->knobs, c, rng, attempt);
  if (step) step->reason = "inherit: " + step->reason;
  return step;
}

std::optional<CandidateProposal> RulesSynthesizer::siblings(const SynthesisContext& c,
                                                            std::mt19937_64& rng, int attempt) {
  const PriorNode& p = *c.parent;
  // prior = the parent's children, best first.
  std::vector<const PriorNode*> better;
  for (const auto& s : c.prior)
    if (s.ok && s.score > p.score) better.push_back(&s);
  if (attempt == 0 && !better.empty()) {
    const PriorNode& best = *better[0];
    const Recipe* r = find(best.recipe);
    if (r && best.recipe == p.recipe) {
      KnobValues k = best.knobs;
      std::string how;
      if (better.size() >= 2 && better[1]->recipe == p.recipe) {
        // Two children improved by different changes: make both.
        for (const auto& [name, v] : better[1]->knobs)
          if (p.knobs.count(name) && p.knobs.at(name) != v &&
              best.knobs.at(name) == p.knobs.at(name))
            k[name] = v;
        how = "combine the changes of the two best children (" + std::to_string(best.id) + ", " +
              std::to_string(better[1]->id) + ")";
      }
      if (k == best.knobs) {
        // Push the knob that set the best child apart one step further.
        for (const auto& [name, v] : best.knobs)
          if (p.knobs.count(name) && p.knobs.at(name) != v) {
            const Knob* knob = r->findKnob(name);
            int from = knob->indexOf(p.knobs.at(name)), to = knob->indexOf(v);
            int next = to + (to > from ? 1 : -1);
            if (next >= 0 && next < int(knob->values.size())) k[name] = knob->values[size_t(next)];
            how = "push " + name + " further, the change that set node " + std::to_string(best.id) +
                  " apart (" + percent(best.score - p.score) + ")";
            break;
          }
      }
      if (k != best.knobs && k != p.knobs && r->satisfies(k))
        return finish(*r, k, describeChange(p.knobs, k), "siblings: " + how);
    }
    if (r && best.recipe != p.recipe) {
      auto step = stepFromDiagnosis(*r, best.knobs, c, rng, 0);
      if (step)
        step->reason = "siblings: node " + std::to_string(best.id) + " (recipe " + best.recipe +
                       ") beat the parent; build on it: " + step->reason;
      return step;
    }
  }
  // No child beat the parent: change a knob none of them touched.
  const Recipe& r = *find(p.recipe);
  std::vector<std::string> tried;
  for (const auto& s : c.prior)
    for (const auto& [name, v] : s.knobs)
      if (p.knobs.count(name) && p.knobs.at(name) != v) tried.push_back(name);
  for (int a = attempt; a < attempt + 16; ++a) {
    auto step = stepFromDiagnosis(r, p.knobs, c, rng, a);
    if (!step) return std::nullopt;
    bool fresh = true;
    for (const auto& t : tried)
      if (step->change.rfind(t + " ", 0) == 0) fresh = false;
    if (fresh || a == attempt + 15) {
      step->reason =
          "siblings: no child beat the parent; try a knob they left alone: " + step->reason;
      return step;
    }
  }
  return std::nullopt;
}

std::optional<CandidateProposal> RulesSynthesizer::combined(const SynthesisContext& c,
                                                            std::mt19937_64& rng, int attempt) {
  const PriorNode& p = *c.parent;
  const Recipe& r = *find(p.recipe);
  // prior = ancestors and siblings, best first: the best other node of the same recipe.
  const PriorNode* partner = nullptr;
  for (const auto& q : c.prior)
    if (q.ok && q.recipe == p.recipe && q.knobs != p.knobs) {
      partner = &q;
      break;
    }
  if (partner) {
    std::vector<std::string> differ;
    for (const auto& [name, v] : p.knobs)
      if (partner->knobs.count(name) && partner->knobs.at(name) != v) differ.push_back(name);
    for (int tries = 0; tries < 32 && differ.size() >= 2; ++tries) {
      KnobValues k = p.knobs;
      for (const auto& name : differ)
        if (rng() % 2) k[name] = partner->knobs.at(name);
      if (k != p.knobs && k != partner->knobs && r.satisfies(k) && tries >= attempt)
        return finish(r, k, describeChange(p.knobs, k),
                      "combined: crossover of node " + std::to_string(p.id) + " (" +
                          percent(p.score) + ") and node " + std::to_string(partner->id) + " (" +
                          percent(partner->score) + ")");
    }
  }
  auto step = stepFromDiagnosis(r, p.knobs, c, rng, attempt);
  if (step) step->reason = "combined: nothing to cross with; " + step->reason;
  return step;
}

}  // namespace kevo::synth

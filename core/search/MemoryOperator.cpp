#include "search/MemoryOperator.h"

#include <algorithm>
#include <set>

namespace kevo::search {

const std::vector<std::string>& memoryOperators() {
  static const std::vector<std::string> ops = {"inherit", "siblings", "combined", "fresh"};
  return ops;
}

bool isMemoryOperator(const std::string& op) {
  const auto& ops = memoryOperators();
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

synth::PriorNode priorView(const SearchNode& n) {
  synth::PriorNode p;
  p.id = n.id;
  p.recipe = n.recipe;
  p.knobs = n.knobs;
  p.ok = n.ok();
  p.score = n.score;
  p.verdict = n.verdict;
  p.bottleneck = n.bottleneck;
  p.change = n.change;
  return p;
}

synth::SynthesisContext buildContext(const SearchTree& tree, int64_t parentId,
                                     const std::string& op, const std::string& problemId,
                                     const std::string& hint) {
  synth::SynthesisContext c;
  c.problemId = problemId;
  c.memoryOperator = op;
  c.hint = hint;
  std::set<std::string> recipes;
  for (const auto& [id, n] : tree.nodes())
    if (!n.recipe.empty()) recipes.insert(n.recipe);
  c.recipesInTree.assign(recipes.begin(), recipes.end());
  if (parentId <= 0 || !tree.contains(parentId)) return c;

  const SearchNode& parent = tree.at(parentId);
  c.parent = priorView(parent);
  c.diagnosis = parent.ok() ? parent.bottleneck : parent.verdict;
  auto byScore = [](std::vector<synth::PriorNode> v) {
    std::stable_sort(v.begin(), v.end(), [](const synth::PriorNode& a, const synth::PriorNode& b) {
      if (a.ok != b.ok) return a.ok;
      return a.score > b.score;
    });
    return v;
  };
  std::vector<synth::PriorNode> lineage = {c.parent.value()};
  for (int64_t a : tree.ancestors(parentId)) {
    if (lineage.size() >= 8) break;
    lineage.push_back(priorView(tree.at(a)));
  }
  std::vector<synth::PriorNode> children;
  for (int64_t ch : tree.children(parentId))
    if (tree.at(ch).status != NodeStatus::Pending && tree.at(ch).status != NodeStatus::Lost)
      children.push_back(priorView(tree.at(ch)));
  children = byScore(children);

  if (op == "inherit") {
    c.prior = lineage;
  } else if (op == "siblings") {
    c.prior = children;
  } else if (op == "combined") {
    std::vector<synth::PriorNode> both = lineage;
    both.insert(both.end(), children.begin(), children.end());
    c.prior = byScore(both);
  }
  // fresh: no prior nodes.
  return c;
}

}  // namespace kevo::search

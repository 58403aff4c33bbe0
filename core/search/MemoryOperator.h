// Memory operators: what a new node is built from. Each turns the tree into the synthesizer's
// context for expanding one node, and the node records it.
//   inherit   the ancestor chain, parent first (what changed along the way and what it did)
//   siblings  the parent's existing children, best first (what set the best apart)
//   combined  both: ancestors and children, best first (crossover)
//   fresh     nothing from the tree: the problem and the recipes only (escape a local optimum)
#pragma once

#include <string>
#include <vector>

#include "search/SearchTree.h"
#include "synth/Synthesizer.h"

namespace kevo::search {

const std::vector<std::string>& memoryOperators();  // inherit, siblings, combined, fresh
bool isMemoryOperator(const std::string& op);

synth::PriorNode priorView(const SearchNode& n);

// The context for a child of `parentId` (-1: a new root) under `op`.
synth::SynthesisContext buildContext(const SearchTree& tree, int64_t parentId,
                                     const std::string& op, const std::string& problemId,
                                     const std::string& hint);

}  // namespace kevo::search

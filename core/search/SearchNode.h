// One node of the search tree: a candidate kernel, how it was made (recipe, knobs, memory
// operator, the exact context it was given) and what its evaluation found. Value type: the
// engine publishes copies, never pointers into live state.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "synth/Recipe.h"

namespace kevo::search {

enum class NodeStatus { Pending, Evaluated, Pruned, Lost };
const char* nodeStatusName(NodeStatus s);
NodeStatus parseNodeStatus(const std::string& s);

struct SearchNode {
  int64_t id = 0;
  int64_t parentId = -1;  // -1: a root (a recipe's starting point or a user's kernel)
  int depth = 0;
  int island = 0;      // evolve policy
  std::string recipe;  // empty for a user-edited source
  synth::KnobValues knobs;
  std::string memoryOperator;  // inherit, siblings, combined, fresh, root, user
  std::string change;          // what changed, e.g. "VEC 8 -> 16"
  std::string reason;          // why, e.g. "memory-bound (34% of bandwidth): wider vectors"
  nlohmann::json context;      // the synthesizer's exact input (prior nodes, diagnosis, hint)
  std::string source;          // the materialized source that was built
  std::string sourceKey;       // hash of recipe+knobs or of the source: duplicate detection
  std::vector<std::string> flags;
  NodeStatus status = NodeStatus::Pending;
  std::string verdict;  // ok, compile_error, ... (empty while pending)
  std::string detail;
  double score = 0;        // mean log speedup over the baseline across shape sets
  nlohmann::json summary;  // per shape set: speedup, fraction of floor, bottleneck
  std::string bottleneck;  // of the worst shape set: drives the next transformation
  bool pinned = false;
  bool userMade = false;
  int64_t evaluationId = 0;  // row in the session's evaluations table
  std::string createdAt;

  bool ok() const { return status == NodeStatus::Evaluated && verdict == "ok"; }
  nlohmann::json toJson() const;
  static SearchNode fromJson(const nlohmann::json& j);
};

}  // namespace kevo::search

// Search policies: which node to expand next. They read the tree and keep their own statistics
// (rebuilt from the tree on resume); they never evaluate anything.
//   mcts    UCT with progressive widening; reward = the node's score (mean log speedup), a
//           failure scores -1; backpropagated to every ancestor and the virtual root (visits,
//           sum and max: selection uses the max, the best kernel found below a node)
//   evolve  islands, tournament selection inside an island, periodic migration of the best
//   greedy  best-first: the best working node that still has room for children
//   random  a uniformly random working node (or a new root), random memory operator: the
//           baseline every other policy must beat
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "search/SearchTree.h"

namespace kevo::search {

// The reward policies learn from: the score of a working node, -1 for a failure.
double nodeReward(const SearchNode& n);

// Nodes a policy may expand: evaluated ok, not pruned.
bool isExpandable(const SearchTree& tree, const SearchNode& n);

struct Selection {
  int64_t parent = -1;  // -1: start a new root
  int island = -1;      // evolve: the island the child joins (-1: the parent's)
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string name() const = 0;
  virtual Selection select(const SearchTree& tree, std::mt19937_64& rng) = 0;
  virtual void observe(const SearchTree& tree, int64_t nodeId) = 0;  // a node was evaluated
  // A memory operator the policy insists on (random does); empty lets the schedule decide.
  virtual std::string preferredOperator(std::mt19937_64&) { return {}; }
  virtual nlohmann::json nodeStats(int64_t) const { return nullptr; }
  virtual void setParams(const nlohmann::json&) {}
  virtual nlohmann::json params() const { return nlohmann::json::object(); }
};

// name: mcts, evolve, greedy, random. Throws std::invalid_argument for another name.
std::unique_ptr<Policy> makePolicy(const std::string& name, const nlohmann::json& params = {});
const std::vector<std::string>& policyNames();

}  // namespace kevo::search

// The search tree: nodes by id, children in creation order, the ranking the policies and the
// memory operators read. Owned by the search loop; everything else sees copies.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "search/SearchNode.h"

namespace kevo::search {

class SearchTree {
 public:
  int64_t add(SearchNode node);  // assigns the id (next in sequence) unless node.id is set
  SearchNode& at(int64_t id);
  const SearchNode& at(int64_t id) const;
  bool contains(int64_t id) const { return nodes_.count(id) > 0; }
  size_t size() const { return nodes_.size(); }
  const std::map<int64_t, SearchNode>& nodes() const { return nodes_; }

  std::vector<int64_t> roots() const;
  const std::vector<int64_t>& children(int64_t id) const;
  std::vector<int64_t> ancestors(int64_t id) const;  // parent first
  std::vector<int64_t> siblings(int64_t id) const;   // parent's other children
  std::vector<int64_t> subtree(int64_t id) const;    // id and every descendant
  bool isPruned(int64_t id) const;                   // it or an ancestor was pruned

  std::optional<int64_t> best() const;  // highest score among ok nodes (lowest id on ties)
  std::vector<int64_t> pathTo(int64_t id) const;  // root first
  bool hasSourceKey(const std::string& key) const { return keys_.count(key) > 0; }
  int evaluatedCount() const;  // nodes that cost an evaluation

 private:
  std::map<int64_t, SearchNode> nodes_;
  std::map<int64_t, std::vector<int64_t>> children_;
  std::set<std::string> keys_;
  int64_t nextId_ = 1;
};

}  // namespace kevo::search

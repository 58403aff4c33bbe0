#include "search/SearchTree.h"

#include <algorithm>
#include <stdexcept>

namespace kevo::search {

int64_t SearchTree::add(SearchNode node) {
  if (node.id <= 0) node.id = nextId_;
  nextId_ = std::max(nextId_, node.id + 1);
  if (node.parentId > 0 && contains(node.parentId)) node.depth = at(node.parentId).depth + 1;
  children_[node.parentId].push_back(node.id);
  if (!node.sourceKey.empty()) keys_.insert(node.sourceKey);
  int64_t id = node.id;
  nodes_[id] = std::move(node);
  return id;
}

SearchNode& SearchTree::at(int64_t id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) throw std::out_of_range("no node " + std::to_string(id));
  return it->second;
}

const SearchNode& SearchTree::at(int64_t id) const {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) throw std::out_of_range("no node " + std::to_string(id));
  return it->second;
}

std::vector<int64_t> SearchTree::roots() const {
  return children(-1);
}

const std::vector<int64_t>& SearchTree::children(int64_t id) const {
  static const std::vector<int64_t> none;
  auto it = children_.find(id);
  return it == children_.end() ? none : it->second;
}

std::vector<int64_t> SearchTree::ancestors(int64_t id) const {
  std::vector<int64_t> out;
  int64_t p = at(id).parentId;
  while (p > 0 && contains(p)) {
    out.push_back(p);
    p = at(p).parentId;
  }
  return out;
}

std::vector<int64_t> SearchTree::siblings(int64_t id) const {
  std::vector<int64_t> out;
  for (int64_t c : children(at(id).parentId))
    if (c != id) out.push_back(c);
  return out;
}

std::vector<int64_t> SearchTree::subtree(int64_t id) const {
  std::vector<int64_t> out = {id};
  for (size_t i = 0; i < out.size(); ++i)
    for (int64_t c : children(out[i])) out.push_back(c);
  return out;
}

bool SearchTree::isPruned(int64_t id) const {
  for (int64_t n = id; n > 0 && contains(n); n = at(n).parentId)
    if (at(n).status == NodeStatus::Pruned) return true;
  return false;
}

std::optional<int64_t> SearchTree::best() const {
  std::optional<int64_t> best;
  for (const auto& [id, n] : nodes_)
    if (n.ok() && (!best || n.score > at(*best).score)) best = id;
  return best;
}

std::vector<int64_t> SearchTree::pathTo(int64_t id) const {
  std::vector<int64_t> path = ancestors(id);
  std::reverse(path.begin(), path.end());
  path.push_back(id);
  return path;
}

int SearchTree::evaluatedCount() const {
  int n = 0;
  for (const auto& [id, node] : nodes_)
    if (!node.verdict.empty()) ++n;
  return n;
}

}  // namespace kevo::search

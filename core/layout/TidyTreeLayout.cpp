#include "TidyTreeLayout.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace kevo::layout {

namespace {
constexpr double kDistance = 1.0;  // minimum separation of neighbours at the same depth
}

void TidyTreeLayout::clear() {
  ids_.clear();
  parent_.clear();
  collapsed_.clear();
  index_.clear();
  orphans_.clear();
  order_.clear();
  childStart_.clear();
  childList_.clear();
  x_.clear();
  depth_.clear();
  anchor_.clear();
  subtree_.clear();
  width_ = 0;
  maxDepth_ = 0;
  dirty_ = false;
}

void TidyTreeLayout::reserve(size_t n) {
  ids_.reserve(n);
  parent_.reserve(n);
  collapsed_.reserve(n);
  index_.reserve(n);
}

int TidyTreeLayout::indexOf(int64_t id) const {
  auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
}

int TidyTreeLayout::addNode(int64_t id, int64_t parentId) {
  if (int existing = indexOf(id); existing >= 0) return existing;
  const int idx = int(ids_.size());
  int parent = parentId >= 0 ? indexOf(parentId) : -1;
  ids_.push_back(id);
  parent_.push_back(parent);
  collapsed_.push_back(0);
  index_.emplace(id, idx);
  if (parent < 0 && parentId >= 0 && parentId != id) orphans_.emplace(parentId, idx);
  // Adopt the nodes that were waiting for this one, unless that would close a cycle.
  auto [first, last] = orphans_.equal_range(id);
  for (auto it = first; it != last;) {
    const int child = it->second;
    bool cycle = false;
    for (int a = idx; a >= 0; a = parent_[size_t(a)])
      if (a == child) {
        cycle = true;
        break;
      }
    if (!cycle) parent_[size_t(child)] = idx;
    it = orphans_.erase(it);
  }
  dirty_ = true;
  return idx;
}

void TidyTreeLayout::setCollapsed(int index, bool collapsed) {
  if (index < 0 || size_t(index) >= ids_.size()) return;
  if ((collapsed_[size_t(index)] != 0) == collapsed) return;
  collapsed_[size_t(index)] = collapsed ? 1 : 0;
  dirty_ = true;
}

std::span<const int> TidyTreeLayout::children(int index) const {
  if (size_t(index) + 1 >= childStart_.size()) return {};
  const int* base = childList_.data();
  return {base + childStart_[size_t(index)], base + childStart_[size_t(index) + 1]};
}

double TidyTreeLayout::angle(int index) const {
  return 2 * std::numbers::pi * x_[size_t(index)] / (width_ + kDistance);
}

double TidyTreeLayout::radius(int index) const {
  const int d = depth_[size_t(anchor_[size_t(index)])];
  return double(d) + (roots().size() > 1 ? 1.0 : 0.0);
}

// A node the layout treats as a leaf: no children, or collapsed.
bool TidyTreeLayout::layoutLeaf(int v) const {
  if (size_t(v) < ids_.size() && collapsed_[size_t(v)]) return true;
  return childStart_[size_t(v)] == childStart_[size_t(v) + 1];
}

// The paper's NEXTLEFT / NEXTRIGHT: the next node on the left (right) contour of a subtree,
// a thread when the contour continues in another subtree.
int TidyTreeLayout::nextLeft(int v) const {
  return layoutLeaf(v) ? walk_[size_t(v)].thread : childList_[size_t(childStart_[size_t(v)])];
}

int TidyTreeLayout::nextRight(int v) const {
  return layoutLeaf(v) ? walk_[size_t(v)].thread
                       : childList_[size_t(childStart_[size_t(v) + 1] - 1)];
}

void TidyTreeLayout::moveSubtree(int wm, int wp, double shift) {
  const double subtrees = walk_[size_t(wp)].number - walk_[size_t(wm)].number;
  walk_[size_t(wp)].change -= shift / subtrees;
  walk_[size_t(wp)].shift += shift;
  walk_[size_t(wm)].change += shift / subtrees;
  walk_[size_t(wp)].prelim += shift;
  walk_[size_t(wp)].mod += shift;
}

void TidyTreeLayout::executeShifts(int v) {
  double shift = 0, change = 0;
  auto kids = children(v);
  for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
    const size_t w = size_t(*it);
    walk_[w].prelim += shift;
    walk_[w].mod += shift;
    change += walk_[w].change;
    shift += walk_[w].shift + change;
  }
}

// Places the subtree of v against the forest of its left siblings: walks the right contour of
// that forest and the left contour of v's subtree level by level, pushes v right where they
// come closer than the distance (spreading the push over the smaller subtrees in between via
// moveSubtree/executeShifts), and threads the shallower contour onto the deeper one.
int TidyTreeLayout::apportion(int v, int defaultAncestor) {
  const int n = int(ids_.size());
  const int parent = parent_[size_t(v)] < 0 ? n : parent_[size_t(v)];
  const int number = walk_[size_t(v)].number;
  if (number == 1) return defaultAncestor;
  auto siblings = children(parent);
  int vip = v, vop = v;
  int vim = siblings[size_t(number - 2)];  // left sibling
  int vom = siblings[0];                   // leftmost sibling
  double sip = walk_[size_t(vip)].mod, sop = walk_[size_t(vop)].mod;
  double sim = walk_[size_t(vim)].mod, som = walk_[size_t(vom)].mod;
  auto siblingOfV = [&](int a) {
    return (parent_[size_t(a)] < 0 ? n : parent_[size_t(a)]) == parent;
  };
  while (nextRight(vim) >= 0 && nextLeft(vip) >= 0) {
    vim = nextRight(vim);
    vip = nextLeft(vip);
    vom = nextLeft(vom);
    vop = nextRight(vop);
    walk_[size_t(vop)].ancestor = v;
    const double shift =
        (walk_[size_t(vim)].prelim + sim) - (walk_[size_t(vip)].prelim + sip) + kDistance;
    if (shift > 0) {
      const int a = walk_[size_t(vim)].ancestor;
      moveSubtree(siblingOfV(a) ? a : defaultAncestor, v, shift);
      sip += shift;
      sop += shift;
    }
    sim += walk_[size_t(vim)].mod;
    sip += walk_[size_t(vip)].mod;
    som += walk_[size_t(vom)].mod;
    sop += walk_[size_t(vop)].mod;
  }
  if (nextRight(vim) >= 0 && nextRight(vop) < 0) {
    walk_[size_t(vop)].thread = nextRight(vim);
    walk_[size_t(vop)].mod += sim - sop;
  }
  if (nextLeft(vip) >= 0 && nextLeft(vom) < 0) {
    walk_[size_t(vom)].thread = nextLeft(vip);
    walk_[size_t(vom)].mod += sip - som;
    defaultAncestor = v;
  }
  return defaultAncestor;
}

void TidyTreeLayout::layout() {
  const size_t n = ids_.size();
  const size_t total = n + 1;  // index n: the virtual root above all roots
  auto parentOf = [&](size_t i) { return parent_[i] < 0 ? n : size_t(parent_[i]); };

  // Children in compressed rows, in index (= insertion) order.
  childStart_.assign(total + 1, 0);
  for (size_t i = 0; i < n; ++i) ++childStart_[parentOf(i) + 1];
  for (size_t i = 0; i < total; ++i) childStart_[i + 1] += childStart_[i];
  childList_.resize(n);
  cursor_.assign(childStart_.begin(), childStart_.end() - 1);
  for (size_t i = 0; i < n; ++i) childList_[size_t(cursor_[parentOf(i)]++)] = int(i);

  // Breadth-first order, depth, and which collapsed ancestor (if any) hides each node.
  order_.clear();
  order_.reserve(n);
  depth_.resize(total);
  anchor_.resize(total);
  subtree_.assign(total, 1);
  walk_.assign(total, Walk{});
  anchor_[n] = int(n);
  depth_[n] = -1;
  for (int r : children(int(n))) order_.push_back(r);
  for (size_t head = 0; head < order_.size(); ++head) {
    const size_t v = size_t(order_[head]);
    const size_t p = parentOf(v);
    depth_[v] = depth_[p] + 1;
    if (anchor_[p] != int(p))
      anchor_[v] = anchor_[p];
    else
      anchor_[v] = (p < n && collapsed_[p]) ? int(p) : int(v);
    for (int c : children(int(v))) order_.push_back(c);
  }
  for (size_t k = order_.size(); k-- > 0;) {
    const size_t v = size_t(order_[k]);
    subtree_[parentOf(v)] += subtree_[v];
  }

  // Walker/BJL state for the visible nodes.
  for (size_t v = 0; v < total; ++v) {
    walk_[v].ancestor = int(v);
    auto kids = children(int(v));
    for (size_t k = 0; k < kids.size(); ++k) walk_[size_t(kids[k])].number = int(k) + 1;
  }

  // FIRSTWALK, bottom-up without recursion (search trees are deep chains): a node is handled
  // after all its descendants. The part of FIRSTWALK(w) that reads w's left sibling (its
  // preliminary x) runs in the parent's loop, just before APPORTION(w), as in the recursion.
  auto firstWalk = [&](int v) {
    if (layoutLeaf(v)) return;
    auto kids = children(v);
    int defaultAncestor = kids[0];
    for (size_t k = 0; k < kids.size(); ++k) {
      const int w = kids[k];
      const bool leaf = layoutLeaf(w);
      if (k == 0) {
        walk_[size_t(w)].prelim = leaf ? 0 : walk_[size_t(w)].mid;
      } else {
        walk_[size_t(w)].prelim = walk_[size_t(kids[k - 1])].prelim + kDistance;
        if (!leaf) walk_[size_t(w)].mod = walk_[size_t(w)].prelim - walk_[size_t(w)].mid;
      }
      defaultAncestor = apportion(w, defaultAncestor);
    }
    executeShifts(v);
    walk_[size_t(v)].mid =
        (walk_[size_t(kids.front())].prelim + walk_[size_t(kids.back())].prelim) / 2;
  };
  for (size_t k = order_.size(); k-- > 0;) {
    const int v = order_[k];
    if (anchor_[size_t(v)] == v) firstWalk(v);
  }
  firstWalk(int(n));

  // SECONDWALK, top-down: x = preliminary x + the modifiers of all ancestors.
  x_.resize(total);
  // modSum reuses the spent shift field: the sum of the modifiers of a node and its ancestors.
  auto modSum = [&](size_t v) -> double& { return walk_[v].shift; };
  modSum(n) = walk_[n].mod;
  double minX = 0, maxX = 0;
  bool any = false;
  maxDepth_ = 0;
  for (int vi : order_) {
    const size_t v = size_t(vi);
    const size_t p = parentOf(v);
    if (anchor_[v] != vi) {
      x_[v] = x_[size_t(anchor_[v])];
      continue;
    }
    x_[v] = walk_[v].prelim + modSum(p);
    modSum(v) = modSum(p) + walk_[v].mod;
    if (!any || x_[v] < minX) minX = x_[v];
    if (!any || x_[v] > maxX) maxX = x_[v];
    maxDepth_ = std::max(maxDepth_, depth_[v]);
    any = true;
  }
  for (size_t v = 0; v < n; ++v) x_[v] -= minX;
  width_ = any ? maxX - minX : 0;
  dirty_ = false;
}

std::vector<TreePlacement> layoutTree(const std::vector<TreeNodeInput>& nodes,
                                      const std::vector<int64_t>& collapsed) {
  TidyTreeLayout t;
  t.reserve(nodes.size());
  for (const auto& node : nodes) t.addNode(node.id, node.parentId);
  for (int64_t id : collapsed) t.setCollapsed(t.indexOf(id), true);
  t.layout();
  std::vector<TreePlacement> out;
  out.reserve(nodes.size());
  for (const auto& node : nodes) {
    const int i = t.indexOf(node.id);
    out.push_back({node.id, t.x(i), t.depth(i), t.isVisible(i), t.angle(i), t.radius(i)});
  }
  return out;
}

}  // namespace kevo::layout

// Tidy drawing of an ordered tree in linear time: the Buchheim, Jünger, Leipert (2002)
// improvement of Walker's algorithm (firstWalk, apportion, executeShifts, secondWalk), written
// from the paper. The search tree view (widgets/SearchTreeView) lays out the live search tree
// with it; it is plain C++ so the CLI and the tests can use it too.
//
// Input: nodes as (id, parentId), children ordered by insertion; parentId -1 (or a parent not
// added yet) makes a root, and several roots are laid out as children of a virtual root.
// Output per node: x in units of the minimum separation between neighbours at the same depth
// (the leftmost node has x = 0), the depth (roots have depth 0), and a radial variant (angle,
// radius) derived from the same layout. Collapsed nodes are laid out as leaves; their
// descendants are hidden and placed on the collapsed ancestor.
//
// Incremental use: addNode() is O(1) amortized and keeps all storage; layout() recomputes the
// whole drawing in O(n) without reallocating once the tree stopped growing, so a live view
// calls it after each batch of new nodes.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace kevo::layout {

class TidyTreeLayout {
 public:
  void clear();
  void reserve(size_t n);

  // Adds a node and returns its index (indices count from 0 in insertion order). Adding an id
  // twice returns the existing index. A node whose parent is not known yet is a root until the
  // parent is added; it then becomes that parent's child (children are ordered by index).
  int addNode(int64_t id, int64_t parentId);
  int indexOf(int64_t id) const;  // -1 if absent
  size_t size() const { return ids_.size(); }
  int64_t idAt(int index) const { return ids_[size_t(index)]; }
  int parentIndex(int index) const { return parent_[size_t(index)]; }  // -1 for a root

  void setCollapsed(int index, bool collapsed);
  bool isCollapsed(int index) const { return collapsed_[size_t(index)] != 0; }

  // Recomputes every position. O(n). Needed after addNode or setCollapsed before reading any
  // result below.
  void layout();
  bool needsLayout() const { return dirty_; }

  // Results of the last layout(), by index.
  double x(int index) const { return x_[size_t(index)]; }
  int depth(int index) const { return depth_[size_t(index)]; }
  bool isVisible(int index) const { return anchor_[size_t(index)] == index; }
  // The node itself if visible, else its outermost collapsed ancestor (whose place it takes).
  int visibleAncestor(int index) const { return anchor_[size_t(index)]; }
  // Radial variant: the x axis wraps once around the circle (angle in radians, [0, 2π)) and
  // depth becomes the radius (the single root sits at the centre; with several roots the
  // virtual root does, and the roots are on radius 1).
  double angle(int index) const;
  double radius(int index) const;
  double width() const { return width_; }  // largest x of a visible node
  int maxDepth() const { return maxDepth_; }

  // Tree structure as of the last layout().
  std::span<const int> children(int index) const;  // insertion order, hidden ones included
  std::span<const int> roots() const { return children(int(ids_.size())); }
  int descendantCount(int index) const { return subtree_[size_t(index)] - 1; }
  std::span<const int> levelOrder() const { return order_; }  // breadth-first, parents first

 private:
  bool layoutLeaf(int v) const;
  int nextLeft(int v) const;
  int nextRight(int v) const;
  int apportion(int v, int defaultAncestor);
  void moveSubtree(int wm, int wp, double shift);
  void executeShifts(int v);

  // Structure (index n is the virtual root during layout()).
  std::vector<int64_t> ids_;
  std::vector<int> parent_;
  std::vector<uint8_t> collapsed_;
  std::unordered_map<int64_t, int> index_;
  std::unordered_multimap<int64_t, int> orphans_;  // parent id not added yet -> child index
  std::vector<int> childStart_, childList_;        // children, compressed rows
  std::vector<int> order_;                         // breadth-first, virtual root excluded

  // Walker/BJL state, one cache line per node: the walks jump around the tree.
  struct Walk {
    double prelim = 0, mod = 0, shift = 0, change = 0;
    double mid = 0;    // midpoint of the children's preliminary x
    int thread = -1;   // next contour node when the contour leaves this subtree
    int ancestor = 0;  // the paper's ANCESTOR pointer
    int number = 0;    // 1-based position among the siblings
  };
  std::vector<Walk> walk_;
  std::vector<int> cursor_;

  // Results.
  std::vector<double> x_;
  std::vector<int> depth_, anchor_, subtree_;
  double width_ = 0;
  int maxDepth_ = 0;
  bool dirty_ = false;
};

// One-shot convenience for tests and tools: lays out the nodes (in the given order) and returns
// one placement per node, in the same order.
struct TreeNodeInput {
  int64_t id = 0;
  int64_t parentId = -1;
};
struct TreePlacement {
  int64_t id = 0;
  double x = 0;
  int depth = 0;
  bool visible = true;
  double angle = 0;
  double radius = 0;
};
std::vector<TreePlacement> layoutTree(const std::vector<TreeNodeInput>& nodes,
                                      const std::vector<int64_t>& collapsed = {});

}  // namespace kevo::layout

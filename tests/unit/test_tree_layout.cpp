// The tidy-tree layout (Buchheim, Jünger, Leipert): golden drawings of hand-checked trees (one
// folder per case under tests/fixtures/layout), and properties on random trees: no two nodes
// at the same depth closer than one unit, parents centred over their first and last child,
// left-to-right order kept, determinism, incremental growth equal to a fresh layout, collapsed
// subtrees hidden, and the radial variant derived from the same layout.
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <random>
#include <sstream>

#include "layout/TidyTreeLayout.h"

using kevo::layout::TidyTreeLayout;

namespace {

const std::filesystem::path kLayoutFixtures =
    std::filesystem::path(KEVO_TEST_FIXTURES_DIR) / "layout";

struct Tree {
  std::vector<std::pair<int64_t, int64_t>> nodes;  // (id, parentId) in insertion order
  std::vector<int64_t> collapsed;
};

// Lines "id parentId" and "collapse id"; '#' starts a comment line.
Tree readTree(const std::filesystem::path& file) {
  Tree t;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string first;
    s >> first;
    if (first == "collapse") {
      int64_t id = 0;
      s >> id;
      t.collapsed.push_back(id);
    } else {
      int64_t parent = -1;
      s >> parent;
      t.nodes.emplace_back(std::stoll(first), parent);
    }
  }
  return t;
}

void build(TidyTreeLayout& layout, const Tree& t) {
  for (auto [id, parent] : t.nodes) layout.addNode(id, parent);
  for (int64_t id : t.collapsed) layout.setCollapsed(layout.indexOf(id), true);
  layout.layout();
}

// A random tree shaped like a search: mostly chains (a child of the newest node), some
// branching off older nodes, a few roots; optionally some collapsed nodes.
Tree randomTree(std::mt19937_64& rng, int n, bool collapse) {
  Tree t;
  const int roots = 1 + int(rng() % 3);
  for (int i = 0; i < n; ++i) {
    int64_t parent = -1;
    if (i >= roots) {
      const auto r = rng() % 10;
      parent = r < 5 ? i - 1 : int64_t(rng() % uint64_t(i));
    }
    t.nodes.emplace_back(1000 + 3 * i, parent < 0 ? -1 : 1000 + 3 * parent);
  }
  if (collapse)
    for (int i = 0; i < n; ++i)
      if (rng() % 12 == 0) t.collapsed.push_back(1000 + 3 * i);
  return t;
}

// Every property a tidy drawing must have; returns the first violation, or an empty string.
QString checkProperties(const TidyTreeLayout& l) {
  constexpr double eps = 1e-9;
  std::map<int, std::vector<int>> levels;  // breadth-first order: left to right at each depth
  double minX = 1e300;
  for (int v : l.levelOrder()) {
    if (!l.isVisible(v)) {
      const int a = l.visibleAncestor(v);
      if (!l.isVisible(a) || !l.isCollapsed(a) || l.x(v) != l.x(a))
        return QString("hidden node %1 not placed on a visible collapsed ancestor").arg(l.idAt(v));
      continue;
    }
    levels[l.depth(v)].push_back(v);
    minX = std::min(minX, l.x(v));
    const int p = l.parentIndex(v);
    if (p >= 0 && l.depth(v) != l.depth(p) + 1) return "depth is not parent depth + 1";
    if (p < 0 && l.depth(v) != 0) return "a root is not at depth 0";
  }
  if (!levels.empty() && std::abs(minX) > eps) return "leftmost x is not 0";
  for (const auto& [depth, nodes] : levels)
    for (size_t k = 1; k < nodes.size(); ++k)
      if (l.x(nodes[k]) - l.x(nodes[k - 1]) < 1 - eps)
        return QString("nodes %1 and %2 at depth %3 are %4 apart")
            .arg(l.idAt(nodes[k - 1]))
            .arg(l.idAt(nodes[k]))
            .arg(depth)
            .arg(l.x(nodes[k]) - l.x(nodes[k - 1]));
  for (size_t i = 0; i < l.size(); ++i) {
    const int v = int(i);
    if (!l.isVisible(v) || l.isCollapsed(v)) continue;
    auto kids = l.children(v);
    if (kids.empty()) continue;
    if (std::abs(l.x(v) - (l.x(kids.front()) + l.x(kids.back())) / 2) > eps)
      return QString("node %1 is not centred over its children").arg(l.idAt(v));
    for (size_t k = 1; k < kids.size(); ++k)
      if (l.x(kids[k]) <= l.x(kids[k - 1])) return "siblings out of insertion order";
  }
  // Radial: x wraps once around the circle, depth is the radius.
  const double shift = l.roots().size() > 1 ? 1 : 0;
  for (size_t i = 0; i < l.size(); ++i) {
    const int v = int(i);
    const int a = l.visibleAncestor(v);
    if (std::abs(l.angle(v) - 2 * std::numbers::pi * l.x(a) / (l.width() + 1)) > eps ||
        l.angle(v) < 0 || l.angle(v) >= 2 * std::numbers::pi)
      return "radial angle not derived from x";
    if (std::abs(l.radius(v) - (l.depth(a) + shift)) > eps) return "radius is not the depth";
  }
  return {};
}

std::vector<std::tuple<double, int, int>> snapshot(const TidyTreeLayout& l) {
  std::vector<std::tuple<double, int, int>> out;
  for (size_t i = 0; i < l.size(); ++i)
    out.emplace_back(l.x(int(i)), l.depth(int(i)), l.visibleAncestor(int(i)));
  return out;
}

}  // namespace

class TestTreeLayout : public QObject {
  Q_OBJECT
 private slots:
  void golden_data();
  void golden();
  void randomTreesAreTidy();
  void deterministic();
  void incrementalEqualsFresh();
  void collapseAndExpand();
  void emptyAndSingle();
  void deepChainNeedsNoRecursion();
  void lateParentsAndCycles();
  void oneShotHelper();
};

void TestTreeLayout::golden_data() {
  QTest::addColumn<QString>("dir");
  std::vector<std::filesystem::path> dirs;
  for (const auto& e : std::filesystem::directory_iterator(kLayoutFixtures))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  QVERIFY(dirs.size() >= 5);
  for (const auto& d : dirs)
    QTest::newRow(d.filename().string().c_str()) << QString::fromStdString(d.string());
}

void TestTreeLayout::golden() {
  QFETCH(QString, dir);
  const std::filesystem::path folder = dir.toStdString();
  const Tree tree = readTree(folder / "tree.txt");
  QVERIFY(!tree.nodes.empty());
  TidyTreeLayout l;
  build(l, tree);
  QCOMPARE(checkProperties(l), QString());

  std::ifstream in(folder / "expected.txt");
  QVERIFY(in.good());
  std::string line;
  size_t checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    int64_t id = 0;
    std::string xs;
    s >> id >> xs;
    const int v = l.indexOf(id);
    QVERIFY2(v >= 0, qPrintable(QString("node %1 missing").arg(id)));
    if (xs == "hidden") {
      int64_t anchor = 0;
      s >> anchor;
      QVERIFY2(!l.isVisible(v), qPrintable(QString("node %1 should be hidden").arg(id)));
      QCOMPARE(l.idAt(l.visibleAncestor(v)), anchor);
    } else {
      int depth = 0;
      s >> depth;
      QVERIFY2(l.isVisible(v), qPrintable(QString("node %1 should be visible").arg(id)));
      QVERIFY2(std::abs(l.x(v) - std::stod(xs)) < 1e-9,
               qPrintable(QString("node %1: x %2, expected %3")
                              .arg(id)
                              .arg(l.x(v))
                              .arg(QString::fromStdString(xs))));
      QCOMPARE(l.depth(v), depth);
    }
    ++checked;
  }
  QCOMPARE(checked, tree.nodes.size());
}

void TestTreeLayout::randomTreesAreTidy() {
  std::mt19937_64 rng(20240611);
  for (int trial = 0; trial < 400; ++trial) {
    const int n = 1 + int(rng() % (trial < 300 ? 40 : 2000));
    const Tree tree = randomTree(rng, n, trial % 2 == 1);
    TidyTreeLayout l;
    build(l, tree);
    const QString problem = checkProperties(l);
    QVERIFY2(problem.isEmpty(),
             qPrintable(QString("trial %1 (%2 nodes): %3").arg(trial).arg(n).arg(problem)));
  }
}

void TestTreeLayout::deterministic() {
  std::mt19937_64 rng(7);
  const Tree tree = randomTree(rng, 3000, true);
  TidyTreeLayout a, b;
  build(a, tree);
  build(b, tree);
  QVERIFY(snapshot(a) == snapshot(b));
  a.layout();  // relayout of an unchanged tree changes nothing
  QVERIFY(snapshot(a) == snapshot(b));
}

void TestTreeLayout::incrementalEqualsFresh() {
  std::mt19937_64 rng(11);
  const Tree tree = randomTree(rng, 600, false);
  TidyTreeLayout live;
  for (size_t i = 0; i < tree.nodes.size(); ++i) {
    live.addNode(tree.nodes[i].first, tree.nodes[i].second);
    QVERIFY(live.needsLayout());
    if (i % 7 == 0 || i + 1 == tree.nodes.size()) live.layout();
  }
  TidyTreeLayout fresh;
  build(fresh, tree);
  QVERIFY(snapshot(live) == snapshot(fresh));
  QCOMPARE(checkProperties(live), QString());
}

void TestTreeLayout::collapseAndExpand() {
  std::mt19937_64 rng(3);
  const Tree tree = randomTree(rng, 500, false);
  TidyTreeLayout l;
  build(l, tree);
  const auto before = snapshot(l);
  // Collapse the node with the largest subtree below the roots.
  int big = -1;
  for (size_t i = 0; i < l.size(); ++i)
    if (l.parentIndex(int(i)) >= 0 &&
        (big < 0 || l.descendantCount(int(i)) > l.descendantCount(big)))
      big = int(i);
  QVERIFY(big >= 0 && l.descendantCount(big) > 5);
  l.setCollapsed(big, true);
  QVERIFY(l.needsLayout());
  l.layout();
  QCOMPARE(checkProperties(l), QString());
  int hidden = 0;
  for (size_t i = 0; i < l.size(); ++i)
    if (!l.isVisible(int(i))) {
      ++hidden;
      QCOMPARE(l.visibleAncestor(int(i)), big);
    }
  QCOMPARE(hidden, l.descendantCount(big));
  l.setCollapsed(big, false);
  l.layout();
  QVERIFY(snapshot(l) == before);
}

void TestTreeLayout::emptyAndSingle() {
  TidyTreeLayout l;
  l.layout();
  QCOMPARE(l.size(), size_t(0));
  QCOMPARE(l.width(), 0.0);
  QVERIFY(l.roots().empty());
  l.addNode(42, -1);
  l.layout();
  QCOMPARE(l.x(0), 0.0);
  QCOMPARE(l.depth(0), 0);
  QCOMPARE(l.radius(0), 0.0);
  QCOMPARE(l.indexOf(42), 0);
  QCOMPARE(l.indexOf(43), -1);
  QCOMPARE(l.addNode(42, -1), 0);  // adding an id twice returns the existing node
  QCOMPARE(l.size(), size_t(1));
  l.clear();
  QCOMPARE(l.size(), size_t(0));
}

void TestTreeLayout::deepChainNeedsNoRecursion() {
  TidyTreeLayout l;
  const int n = 200000;
  l.reserve(size_t(n));
  for (int i = 0; i < n; ++i) l.addNode(i, i - 1);
  l.addNode(n, 5);  // one branch near the top
  l.layout();
  QCOMPARE(l.maxDepth(), n - 1);
  QCOMPARE(l.x(n - 1), l.x(6));
  QCOMPARE(l.x(n) - l.x(6), 1.0);
}

void TestTreeLayout::lateParentsAndCycles() {
  TidyTreeLayout l;
  l.addNode(5, 4);  // parent not known yet: a root for now
  l.addNode(7, 7);  // its own parent: stays a root
  l.layout();
  QCOMPARE(l.roots().size(), size_t(2));
  l.addNode(4, 5);  // would close a cycle 4 -> 5 -> 4: 5 keeps no parent, 4 is 5's child
  l.addNode(6, 4);
  l.layout();
  QCOMPARE(l.parentIndex(l.indexOf(4)), l.indexOf(5));
  QCOMPARE(l.parentIndex(l.indexOf(5)), -1);
  QCOMPARE(l.depth(l.indexOf(6)), 2);
  QCOMPARE(checkProperties(l), QString());
  // A child that arrives before its parent is adopted when the parent comes.
  TidyTreeLayout m;
  m.addNode(1, -1);
  m.addNode(3, 2);
  m.addNode(2, 1);
  m.layout();
  QCOMPARE(m.parentIndex(m.indexOf(3)), m.indexOf(2));
  QCOMPARE(m.depth(m.indexOf(3)), 2);
  QCOMPARE(m.roots().size(), size_t(1));
}

void TestTreeLayout::oneShotHelper() {
  const auto placed = kevo::layout::layoutTree({{1, -1}, {2, 1}, {3, 1}, {4, 3}}, {3});
  QCOMPARE(placed.size(), size_t(4));
  QCOMPARE(placed[0].x, 0.5);
  QCOMPARE(placed[1].x, 0.0);
  QCOMPARE(placed[2].x, 1.0);
  QVERIFY(!placed[3].visible);
  QCOMPARE(placed[3].x, 1.0);
  QCOMPARE(placed[3].depth, 2);
  QCOMPARE(placed[0].radius, 0.0);
  QCOMPARE(placed[2].radius, 1.0);
}

QTEST_APPLESS_MAIN(TestTreeLayout)
#include "test_tree_layout.moc"

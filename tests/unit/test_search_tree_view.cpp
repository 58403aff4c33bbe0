// The search tree view, offscreen: live insertion keeps the selection and the part of the tree
// in view, nodeAt finds the node drawn at a point (checked against the painted pixels), the
// keyboard moves the selection to parent / child / sibling, collapsing hides a subtree, and
// clicks, keys and the context menu emit their signals.
#include <QContextMenuEvent>
#include <QSignalSpy>
#include <QtTest>
#include <cmath>

#include "ColorMap.h"
#include "SearchTreeLegend.h"
#include "SearchTreeView.h"

using kevo::widgets::SearchTreeView;
using kevo::widgets::TreeNodeVisual;

namespace {

TreeNodeVisual node(int64_t id, int64_t parent, double speedup = 1.0,
                    const QString& verdict = QStringLiteral("ok"),
                    const QString& op = QStringLiteral("inherit")) {
  TreeNodeVisual n;
  n.id = id;
  n.parentId = parent;
  n.speedup = speedup;
  n.verdict = verdict;
  n.memoryOperator = parent < 0 ? QStringLiteral("root") : op;
  n.label = QStringLiteral("node %1").arg(id);
  return n;
}

// 1 -> {2, 3, 4}; 2 -> {5, 6}; 4 -> 7 -> 8. Node 3 failed to compile.
std::vector<TreeNodeVisual> smallTree() {
  return {node(1, -1),
          node(2, 1, 1.5),
          node(3, 1, 0, "compile_error"),
          node(4, 1, 2.0),
          node(5, 2, 1.2, "ok", "siblings"),
          node(6, 2, 3.0, "ok", "combined"),
          node(7, 4, 2.5, "ok", "fresh"),
          node(8, 7, 4.0)};
}

bool near(QPointF a, QPointF b, double tol = 0.5) {
  return std::abs(a.x() - b.x()) <= tol && std::abs(a.y() - b.y()) <= tol;
}

}  // namespace

class TestSearchTreeView : public QObject {
  Q_OBJECT
 private slots:
  void init();
  void cleanup();
  void resetAndAddKeepSelection();
  void nodeAtHitsTheDrawnNode();
  void nodeAtInRadialMode();
  void keyboardNavigation();
  void arrowsPanWithoutSelection();
  void collapseHidesDescendants();
  void signalsFire();
  void liveInsertionKeepsViewStill();
  void zoomAndFit();
  void filterFadesAndUpdateRecolours();
  void lateParent();
  void legend();

 private:
  SearchTreeView* view_ = nullptr;
};

void TestSearchTreeView::init() {
  view_ = new SearchTreeView;
  view_->setAnimationEnabled(false);
  view_->setLegendVisible(false);
  view_->resize(900, 700);
  view_->show();
  QVERIFY(QTest::qWaitForWindowExposed(view_));
  view_->reset(smallTree());
  view_->fitToView();
}

void TestSearchTreeView::cleanup() {
  delete view_;
  view_ = nullptr;
}

void TestSearchTreeView::resetAndAddKeepSelection() {
  QSignalSpy selected(view_, &SearchTreeView::nodeSelected);
  view_->setSelected(6);
  QCOMPARE(view_->selected(), int64_t(6));
  QCOMPARE(selected.count(), 1);
  QCOMPARE(selected.takeFirst().at(0).toLongLong(), 6LL);

  view_->addNode(node(9, 6, 3.5));
  view_->addNode(node(10, 1, 0.9));
  QCOMPARE(view_->nodeCount(), size_t(10));
  QCOMPARE(view_->selected(), int64_t(6));

  auto nodes = smallTree();
  nodes.push_back(node(9, 6, 3.5));
  nodes.push_back(node(11, 9, 3.6));
  view_->reset(nodes);
  QCOMPARE(view_->nodeCount(), size_t(10));
  QCOMPARE(view_->selected(), int64_t(6));
  QCOMPARE(selected.count(), 0);  // the selection did not change

  // A reset without the selected node clears the selection, and says so.
  view_->reset({node(1, -1), node(2, 1)});
  QCOMPARE(view_->selected(), int64_t(-1));
  QCOMPARE(selected.count(), 1);
  QCOMPARE(selected.takeFirst().at(0).toLongLong(), -1LL);
}

void TestSearchTreeView::nodeAtHitsTheDrawnNode() {
  view_->setColorRange(1.0, 4.0);
  const QImage image = view_->viewport()->grab().toImage();
  for (const auto& n : smallTree()) {
    const QPointF at = view_->nodePosition(n.id);
    QVERIFY2(QRectF(view_->viewport()->rect()).contains(at), qPrintable(QString::number(n.id)));
    QCOMPARE(view_->nodeAt(at.toPoint()), n.id);
    QCOMPARE(view_->nodeAt(at.toPoint() + QPoint(2, -2)), n.id);  // not only the exact centre
    if (n.verdict != QLatin1String("ok") || n.speedup <= 0) continue;
    // The pixel there is the node's own fill: viridis of its log speedup in [1, 4].
    const QColor want = kevo::widgets::viridis(std::log(n.speedup) / std::log(4.0));
    const QColor got = image.pixelColor(at.toPoint());
    QVERIFY2(std::abs(got.red() - want.red()) < 16 && std::abs(got.green() - want.green()) < 16 &&
                 std::abs(got.blue() - want.blue()) < 16,
             qPrintable(
                 QString("node %1: drawn %2, expected %3").arg(n.id).arg(got.name(), want.name())));
  }
  // Between nodes and far from them there is nothing.
  const QPointF a = view_->nodePosition(5), b = view_->nodePosition(6);
  QCOMPARE(view_->nodeAt(((a + b) / 2).toPoint()), int64_t(-1));
  QCOMPARE(view_->nodeAt(QPoint(2, 2)), int64_t(-1));
}

void TestSearchTreeView::nodeAtInRadialMode() {
  view_->setLayoutMode(SearchTreeView::Mode::Radial);
  QCOMPARE(view_->layoutMode(), SearchTreeView::Mode::Radial);
  for (const auto& n : smallTree()) {
    const QPointF at = view_->nodePosition(n.id);
    QVERIFY(QRectF(view_->viewport()->rect()).contains(at));
    QCOMPARE(view_->nodeAt(at.toPoint()), n.id);
  }
  // The single root is in the centre of the rings: its children are equally far from it.
  const QPointF root = view_->nodePosition(1);
  const QPointF c2 = view_->nodePosition(2) - root, c4 = view_->nodePosition(4) - root;
  QVERIFY(std::abs(std::hypot(c2.x(), c2.y()) - std::hypot(c4.x(), c4.y())) < 1);
}

void TestSearchTreeView::keyboardNavigation() {
  view_->setFocus();
  view_->setSelected(2);
  QTest::keyClick(view_, Qt::Key_Down);  // first child
  QCOMPARE(view_->selected(), int64_t(5));
  QTest::keyClick(view_, Qt::Key_Right);  // next sibling
  QCOMPARE(view_->selected(), int64_t(6));
  QTest::keyClick(view_, Qt::Key_Right);  // no further sibling: stays
  QCOMPARE(view_->selected(), int64_t(6));
  QTest::keyClick(view_, Qt::Key_Left);
  QCOMPARE(view_->selected(), int64_t(5));
  QTest::keyClick(view_, Qt::Key_Up);  // parent
  QCOMPARE(view_->selected(), int64_t(2));
  QTest::keyClick(view_, Qt::Key_Right);
  QCOMPARE(view_->selected(), int64_t(3));
  QTest::keyClick(view_, Qt::Key_Down);  // a leaf: stays
  QCOMPARE(view_->selected(), int64_t(3));
  QTest::keyClick(view_, Qt::Key_Right);
  QTest::keyClick(view_, Qt::Key_Down);
  QTest::keyClick(view_, Qt::Key_Down);
  QCOMPARE(view_->selected(), int64_t(8));
  QTest::keyClick(view_, Qt::Key_Up);
  QTest::keyClick(view_, Qt::Key_Up);
  QTest::keyClick(view_, Qt::Key_Up);
  QCOMPARE(view_->selected(), int64_t(1));
  QTest::keyClick(view_, Qt::Key_Up);  // the root has no parent
  QCOMPARE(view_->selected(), int64_t(1));
  QTest::keyClick(view_, Qt::Key_Escape);
  QCOMPARE(view_->selected(), int64_t(-1));
}

void TestSearchTreeView::arrowsPanWithoutSelection() {
  QCOMPARE(view_->selected(), int64_t(-1));
  const QPointF before = view_->nodePosition(1);
  QTest::keyClick(view_, Qt::Key_Right);
  const QPointF after = view_->nodePosition(1);
  QVERIFY(after.x() < before.x() - 5);
  QVERIFY(std::abs(after.y() - before.y()) < 0.5);
  QTest::keyClick(view_, Qt::Key_Down);
  QVERIFY(view_->nodePosition(1).y() < after.y() - 5);
  QCOMPARE(view_->selected(), int64_t(-1));
}

void TestSearchTreeView::collapseHidesDescendants() {
  QSignalSpy collapsed(view_, &SearchTreeView::collapsedChanged);
  const QPointF at7 = view_->nodePosition(7), at8 = view_->nodePosition(8);
  QCOMPARE(view_->nodeAt(at8.toPoint()), int64_t(8));

  view_->setSelected(4);
  QTest::keyClick(view_, Qt::Key_Space);
  QVERIFY(view_->isCollapsed(4));
  QCOMPARE(collapsed.count(), 1);
  QCOMPARE(collapsed.at(0).at(0).toLongLong(), 4LL);
  QCOMPARE(collapsed.at(0).at(1).toBool(), true);
  QVERIFY(!view_->isShown(7));
  QVERIFY(!view_->isShown(8));
  QVERIFY(std::isnan(view_->nodePosition(8).x()));
  QVERIFY(view_->nodeAt(at7.toPoint()) != 7);
  QVERIFY(view_->nodeAt(at8.toPoint()) != 8);
  for (const auto& n : smallTree())
    if (n.id != 7 && n.id != 8) QCOMPARE(view_->nodeAt(view_->nodePosition(n.id).toPoint()), n.id);

  // Double-click expands it again; so does Down (into the first child).
  QTest::mouseDClick(view_->viewport(), Qt::LeftButton, {}, view_->nodePosition(4).toPoint());
  QVERIFY(!view_->isCollapsed(4));
  QVERIFY(view_->isShown(8));
  QCOMPARE(view_->nodeAt(view_->nodePosition(8).toPoint()), int64_t(8));
  view_->setCollapsed(4, true);
  QVERIFY(!view_->isShown(7));
  view_->setSelected(4);
  QTest::keyClick(view_, Qt::Key_Down);
  QVERIFY(!view_->isCollapsed(4));
  QCOMPARE(view_->selected(), int64_t(7));

  // Selecting a hidden node reveals it; collapsing above the selection moves it up.
  view_->setCollapsed(4, true);
  QCOMPARE(view_->selected(), int64_t(4));
  view_->setSelected(8);
  QVERIFY(view_->isShown(8));
  QVERIFY(!view_->isCollapsed(4));

  // A leaf cannot be collapsed.
  view_->setSelected(5);
  QTest::keyClick(view_, Qt::Key_Space);
  QVERIFY(!view_->isCollapsed(5));
}

void TestSearchTreeView::signalsFire() {
  QSignalSpy selected(view_, &SearchTreeView::nodeSelected);
  QSignalSpy activated(view_, &SearchTreeView::nodeActivated);
  QSignalSpy menu(view_, &SearchTreeView::contextMenuRequested);

  QTest::mouseClick(view_->viewport(), Qt::LeftButton, {}, view_->nodePosition(6).toPoint());
  QCOMPARE(selected.count(), 1);
  QCOMPARE(selected.at(0).at(0).toLongLong(), 6LL);
  QCOMPARE(view_->selected(), int64_t(6));

  QTest::keyClick(view_, Qt::Key_Return);
  QCOMPARE(activated.count(), 1);
  QCOMPARE(activated.at(0).at(0).toLongLong(), 6LL);

  const QPoint at3 = view_->nodePosition(3).toPoint();
  QContextMenuEvent onNode(QContextMenuEvent::Mouse, at3, view_->viewport()->mapToGlobal(at3));
  QApplication::sendEvent(view_->viewport(), &onNode);
  QCOMPARE(menu.count(), 1);
  QCOMPARE(menu.at(0).at(0).toLongLong(), 3LL);
  QCOMPARE(menu.at(0).at(1).toPoint(), view_->viewport()->mapToGlobal(at3));
  QCOMPARE(view_->selected(), int64_t(3));  // right-click selects first

  QContextMenuEvent onBackground(QContextMenuEvent::Mouse, QPoint(3, 3),
                                 view_->viewport()->mapToGlobal(QPoint(3, 3)));
  QApplication::sendEvent(view_->viewport(), &onBackground);
  QCOMPARE(menu.count(), 2);
  QCOMPARE(menu.at(1).at(0).toLongLong(), -1LL);

  // Clicking the background keeps the selection; dragging pans without selecting.
  selected.clear();
  QTest::mouseClick(view_->viewport(), Qt::LeftButton, {}, QPoint(3, 3));
  QCOMPARE(view_->selected(), int64_t(3));
  QCOMPARE(selected.count(), 0);
}

void TestSearchTreeView::liveInsertionKeepsViewStill() {
  view_->zoomBy(2.0, view_->nodePosition(6));
  view_->setSelected(6);
  const QPointF before = view_->nodePosition(6);
  const QPointF rootBefore = view_->nodePosition(1);
  // Nodes arriving on both sides shift the layout; the selected node stays where it is.
  int64_t id = 100;
  for (int k = 0; k < 12; ++k) {
    view_->addNode(node(id++, 5, 1.1));
    view_->addNode(node(id++, 1, 1.0));
    view_->addNode(node(id++, 8, 5.0));
    QVERIFY2(near(view_->nodePosition(6), before),
             qPrintable(QString("moved to %1,%2")
                            .arg(view_->nodePosition(6).x())
                            .arg(view_->nodePosition(6).y())));
  }
  QCOMPARE(view_->selected(), int64_t(6));
  QVERIFY(!near(view_->nodePosition(1), rootBefore, 5));  // the layout did change around it
  // With the animation on, the node stays still too, during and after the slide.
  view_->setAnimationEnabled(true);
  view_->addNode(node(id++, 5, 1.1));
  view_->viewport()->repaint();
  QVERIFY(near(view_->nodePosition(6), before));
  QTest::qWait(300);
  view_->viewport()->repaint();
  QVERIFY(near(view_->nodePosition(6), before));
}

void TestSearchTreeView::zoomAndFit() {
  const double z = view_->zoom();
  QTest::keyClick(view_, Qt::Key_Plus);
  QVERIFY(view_->zoom() > z);
  QTest::keyClick(view_, Qt::Key_Minus);
  QTest::keyClick(view_, Qt::Key_Minus);
  QVERIFY(view_->zoom() < z);
  // The wheel zooms around the mouse: the node under it stays under it.
  const QPointF at = view_->nodePosition(7);
  QWheelEvent wheel(at, view_->viewport()->mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton,
                    Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(view_->viewport(), &wheel);
  QVERIFY(near(view_->nodePosition(7), at, 1.0));
  QTest::keyClick(view_, Qt::Key_0, Qt::ControlModifier);
  const QRectF r(view_->viewport()->rect());
  for (const auto& n : smallTree()) QVERIFY(r.contains(view_->nodePosition(n.id)));

  // A big tree fits too.
  std::vector<TreeNodeVisual> big;
  for (int i = 0; i < 3000; ++i)
    big.push_back(node(i + 1, i == 0 ? -1 : int64_t((uint64_t(i) * 2654435761u) % uint64_t(i)) + 1,
                       1 + i % 7));
  view_->reset(big);
  view_->fitToView();
  for (int id : {1, 500, 1500, 3000}) QVERIFY(r.contains(view_->nodePosition(id)));
  view_->viewport()->repaint();  // the far-zoom drawing path
}

void TestSearchTreeView::filterFadesAndUpdateRecolours() {
  view_->setColorRange(1.0, 4.0);
  const QPoint at = view_->nodePosition(6).toPoint();
  const QColor normal = view_->viewport()->grab().toImage().pixelColor(at);
  view_->setFilter([](const TreeNodeVisual& n) { return n.speedup < 2; });
  const QColor faded = view_->viewport()->grab().toImage().pixelColor(at);
  QVERIFY(faded.lightness() > normal.lightness() + 40);  // washed out towards the background
  view_->setFilter({});
  QCOMPARE(view_->viewport()->grab().toImage().pixelColor(at), normal);

  auto n6 = *view_->node(6);
  n6.speedup = 1.0;
  view_->updateNode(n6);
  const QColor updated = view_->viewport()->grab().toImage().pixelColor(at);
  const QColor want = kevo::widgets::viridis(0);
  QVERIFY(std::abs(updated.red() - want.red()) < 16 && std::abs(updated.blue() - want.blue()) < 16);

  // Best path and marks draw without disturbing hit tests.
  n6.pinned = n6.approved = n6.userMade = true;
  view_->updateNode(n6);
  view_->setBestPath({1, 2, 6});
  view_->viewport()->repaint();
  QCOMPARE(view_->nodeAt(at), int64_t(6));
  QCOMPARE(view_->node(6)->parentId, int64_t(2));
}

void TestSearchTreeView::lateParent() {
  view_->addNode(node(21, 20, 1.3));  // parent 20 not there yet: a root for now
  QVERIFY(view_->isShown(21));
  view_->addNode(node(20, 8, 1.2));
  const QPointF p20 = view_->nodePosition(20), p21 = view_->nodePosition(21);
  QVERIFY(p21.y() > p20.y());  // now drawn below its parent
  QVERIFY(std::abs(p21.x() - p20.x()) < 0.5);
  QCOMPARE(view_->nodeAt(p21.toPoint()), int64_t(21));
}

void TestSearchTreeView::legend() {
  kevo::widgets::SearchTreeLegend legend;
  legend.setColorRange(0.5, 8);
  const QSize hint = legend.sizeHint();
  QVERIFY(hint.width() > 150 && hint.width() < 600);
  QVERIFY(hint.height() > 100 && hint.height() < 600);
  legend.resize(hint);
  const QImage image = legend.grab().toImage();
  // The colour bar runs from viridis(0) to viridis(1) left to right near the top.
  int dark = 0, bright = 0;
  for (int x = 0; x < image.width(); ++x)
    for (int y = 0; y < image.height() / 4; ++y) {
      const QColor c = image.pixelColor(x, y);
      if (c.red() < 90 && c.blue() > 70 && c.green() < 40) ++dark;
      if (c.red() > 200 && c.green() > 200 && c.blue() < 80) ++bright;
    }
  QVERIFY(dark > 10 && bright > 10);
  // The view relays its automatic colour range, for a legend kept elsewhere.
  QSignalSpy range(view_, &SearchTreeView::colorRangeChanged);
  view_->addNode(node(50, 8, 20.0));
  QCOMPARE(range.count(), 1);
  QCOMPARE(range.at(0).at(1).toDouble(), 32.0);
  QCOMPARE(view_->colorMax(), 32.0);
}

QTEST_MAIN(TestSearchTreeView)
#include "test_search_tree_view.moc"

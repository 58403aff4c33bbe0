// The live search tree: one widget that lays the tree out (tidy tree, top-down or radial) and
// paints it itself, so tens of thousands of nodes stay smooth. The main window shows it in the
// centre and feeds it from the session's events (reset on load, addNode/updateNode as the
// search runs); the inspector, the charts and the steering actions follow its signals.
//
// Drawing: node fill = viridis of the log speedup over the baseline within the colour range
// (unknown speedup: grey), failures red with a glyph per verdict, the memory operator as the
// node's shape, marks for pinned / approved / user-made nodes, pruned and filtered-out nodes
// faded, the best path as thick edges, collapsed subtrees with a +N badge. Top-down edges are
// elbows (parent, bar over the children, child); a fitted tree much wider than deep keeps its
// levels spread over the height while zooming in. Level of detail: edges in one batch per
// style, nodes culled to the visible rectangle, one small square per pixel when zoomed far
// out, glyphs and marks when zoomed in, labels when zoomed further. On big trees new nodes are
// laid out at most every few layout times, and frames that are slow to draw skip the
// animation, so a live search never stalls the GUI thread.
//
// Interaction: wheel and +/- zoom, Ctrl+0 fits, drag pans, arrows pan when nothing is selected
// and move the selection otherwise (Up: parent, Down: first child, Left/Right: siblings);
// double-click or Space collapses/expands a subtree; Enter activates; right-click asks for a
// context menu. New nodes slide in without moving the part of the tree the user is looking at.
#pragma once

#include <QAbstractScrollArea>
#include <QBrush>
#include <QElapsedTimer>
#include <QLineF>
#include <QPen>
#include <QPixmap>
#include <QRect>
#include <QStaticText>
#include <QString>
#include <QTimer>
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "layout/TidyTreeLayout.h"

namespace kevo::widgets {

// What the view needs to know about one node (app/ builds it from the engine's node).
struct TreeNodeVisual {
  int64_t id = 0;
  int64_t parentId = -1;
  double speedup = 0;  // over the baseline; 0 = unknown
  QString verdict;     // ok, compile_error, crash, timeout, wrong_answer, rejected, pending, lost
  QString memoryOperator;  // root, inherit, siblings, combined, fresh, user
  bool pinned = false;
  bool pruned = false;
  bool userMade = false;
  bool approved = false;
  QString label;
};

// The visual vocabulary, shared by the view and its legend.
namespace treestyle {
enum class Shape : uint8_t { RoundedRect, Circle, Square, Diamond, Triangle, Hexagon };
enum class Verdict : uint8_t {
  Ok,
  CompileError,
  Crash,
  Timeout,
  WrongAnswer,
  Rejected,
  Pending,
  Lost,
  Unknown
};
Shape shapeForOperator(const QString& memoryOperator);
Verdict verdictFromString(const QString& verdict);
bool isFailure(Verdict v);
QString glyph(Verdict v);        // "C", "X", "T", "≠", "!", "…", "?" or empty
QString verdictName(Verdict v);  // "compile error", ...
QColor failureColor();
QColor unknownColor();  // no speedup known
QColor pendingColor();
QColor lostColor();
QColor bestPathColor();
QColor selectionColor();
// Fill of a node with this speedup in the log colour range [lo, hi].
QColor speedupColor(double speedup, double lo, double hi);
// Draws the shape centred at c with "radius" r (shapes are sized to look equally big).
void drawShape(QPainter& p, Shape s, QPointF c, double r);
void drawCheck(QPainter& p, QPointF c, double size);   // approved
void drawPin(QPainter& p, QPointF c, double size);     // pinned
void drawPencil(QPainter& p, QPointF c, double size);  // user-made
}  // namespace treestyle

class SearchTreeView : public QAbstractScrollArea {
  Q_OBJECT
 public:
  enum class Mode { TopDown, Radial };

  explicit SearchTreeView(QWidget* parent = nullptr);
  ~SearchTreeView() override;

  // Data. reset() is for loading a session; a live search uses addNode/updateNode. A node whose
  // parent has not arrived yet is drawn as a root until the parent comes.
  void reset(const std::vector<TreeNodeVisual>& nodes);
  void addNode(const TreeNodeVisual& node);
  void updateNode(const TreeNodeVisual& node);  // the parent cannot change; unknown id: added
  size_t nodeCount() const { return nodes_.size(); }
  const TreeNodeVisual* node(int64_t id) const;

  void setBestPath(std::vector<int64_t> path);  // root first
  // Nodes for which the filter returns false are drawn faded; an empty function shows all.
  void setFilter(std::function<bool(const TreeNodeVisual&)> filter);
  void setSelected(int64_t id);  // -1 clears; reveals and scrolls to the node
  int64_t selected() const;
  // Speedups mapped to the colour scale (log). Until it is set, the range follows the data
  // (powers of two around the speedups seen, always including 1x).
  void setColorRange(double minSpeedup, double maxSpeedup);
  double colorMin() const { return colorMin_; }
  double colorMax() const { return colorMax_; }
  void setLayoutMode(Mode mode);
  Mode layoutMode() const { return mode_; }
  void setCollapsed(int64_t id, bool collapsed);
  bool isCollapsed(int64_t id) const;
  void setLegendVisible(bool visible);  // the legend drawn in the bottom-left corner
  bool legendVisible() const { return legendVisible_; }
  void setAnimationEnabled(bool enabled);

  // View.
  void fitToView();
  void zoomIn();
  void zoomOut();
  void zoomBy(double factor, QPointF viewportPos);
  double zoom() const { return scale_; }  // pixels per unit of sibling separation
  void centerOn(int64_t id);

  // The node drawn at a viewport position, or -1.
  int64_t nodeAt(QPoint viewportPos) const;
  // Where a node's centre is drawn, in viewport coordinates (NaN if unknown or hidden).
  QPointF nodePosition(int64_t id) const;
  bool isShown(int64_t id) const;  // present and not inside a collapsed subtree

  // Paints the tree as the viewport shows it, into any painter (the view paints its viewport
  // with it; the benchmark paints a QImage).
  void paintTree(QPainter& p, const QRect& rect);

 signals:
  void nodeSelected(int64_t id);   // -1: selection cleared
  void nodeActivated(int64_t id);  // Enter on the selected node
  // Right-click: id is the node under the mouse (selected first), or -1 on the background.
  void contextMenuRequested(int64_t id, QPoint globalPos);
  void collapsedChanged(int64_t id, bool collapsed);
  void colorRangeChanged(double minSpeedup, double maxSpeedup);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void scrollContentsBy(int dx, int dy) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void contextMenuEvent(QContextMenuEvent* event) override;
  bool viewportEvent(QEvent* event) override;

 private:
  // Per node, by layout index: what drawing needs, precomputed so a frame allocates nothing.
  enum Flag : uint8_t {
    Pinned = 1,
    Pruned = 2,
    UserMade = 4,
    Approved = 8,
    Unmatched = 16,  // filtered out
    OnBestPath = 32,
    BestEdge = 64,    // the edge to the parent is on the best path
    Appearing = 128,  // grows in during the current animation
  };
  struct Item {
    uint8_t palette = 0;  // index into brushes_
    treestyle::Shape shape = treestyle::Shape::Circle;
    treestyle::Verdict verdict = treestyle::Verdict::Unknown;
    uint8_t flags = 0;
  };

  int indexOf(int64_t id) const { return layout_.indexOf(id); }
  void refreshItem(int i);
  void refreshAllColors();
  bool updateAutoRange();
  uint8_t paletteFor(const TreeNodeVisual& n, treestyle::Verdict v) const;
  void applyBestPath();
  void rebuildPalette();

  void ensureLayout();
  void computeTargets();
  void advanceFrame();
  int pickAnchor(const std::vector<QPointF>& positions) const;
  double yScale() const { return mode_ == Mode::TopDown ? std::max(scale_, yFloor_) : scale_; }
  QPointF scaled(QPointF world) const { return {world.x() * scale_, world.y() * yScale()}; }
  QPointF toScreen(QPointF world) const { return scaled(world) - origin_; }
  QPointF toWorld(QPointF screen) const {
    return {(screen.x() + origin_.x()) / scale_, (screen.y() + origin_.y()) / yScale()};
  }
  void updateScrollBars();
  void setOrigin(QPointF origin);
  double fitScale() const;
  void clampScale();
  void ensureNodeVisible(int i);
  void selectIndex(int i, bool emitSignal = true);
  void toggleCollapsed(int i);
  void revealIndex(int i);
  int nodeIndexAt(QPointF viewportPos) const;
  void paintLegendOverlay(QPainter& p, const QRect& rect);
  void rebuildGlyphs(int pixelSize);

  // Data.
  std::vector<TreeNodeVisual> nodes_;  // by layout index
  std::vector<Item> items_;
  layout::TidyTreeLayout layout_;
  std::function<bool(const TreeNodeVisual&)> filter_;
  std::vector<int64_t> bestPath_;
  int selected_ = -1;
  double colorMin_ = 0.5, colorMax_ = 2.0;
  bool autoRange_ = true;
  Mode mode_ = Mode::TopDown;
  bool legendVisible_ = true;
  bool animationEnabled_ = true;

  // Geometry: world coordinates are layout units (x: sibling separation); screen = world *
  // (scale_, yScale()) - origin_.
  std::vector<QPointF> target_;  // where each node belongs (hidden ones: on their ancestor)
  std::vector<QPointF> from_;    // where each node started the running animation
  std::vector<QPointF> cur_;     // where each node is drawn now
  std::vector<uint8_t> wasShown_;
  std::vector<float> room_;  // label width available, in units (top-down)
  QRectF worldBounds_;
  double ring_ = 1;    // radial: world units between depths
  double scale_ = 30;  // pixels per world unit
  double yFloor_ = 0;  // top-down: vertical pixels per world unit at least this (fitToView)
  QPointF origin_{-40, -40};
  bool fitPending_ = true;
  bool syncingScrollBars_ = false;
  int preferredAnchor_ = -1;
  size_t laidOut_ = 0;  // nodes in the last layout

  // Cost control: the last layout and paint times, and a deferred relayout.
  double lastLayoutMs_ = 0, lastPaintMs_ = 0;
  QElapsedTimer sinceLayout_;
  QTimer relayoutTimer_;
  bool structureChanged_ = false;  // a collapse or expand: relayout now, not deferred

  // Animation.
  QTimer animTimer_;
  QElapsedTimer animClock_;
  bool animating_ = false;
  double animProgress_ = 1;

  // Mouse.
  QPoint pressPos_;
  QPointF lastDragPos_;
  int pressIndex_ = -1;
  bool dragging_ = false;
  bool pressed_ = false;

  // Drawing resources, reused frame to frame.
  std::vector<QBrush> brushes_;
  std::vector<QLineF> lines_, fadedLines_, bestLines_;
  std::vector<QRect> rects_, fadedRects_;  // one-pixel-wide edge segments when zoomed out
  std::vector<uint64_t> occupied_;         // far zoom: one bit per pixel already covered by a node
  std::vector<int> reps_;                  // far zoom: the nodes drawn, one per pixel
  std::vector<uint8_t> isRep_;
  std::array<QStaticText, 9> glyphs_;  // by Verdict
  int glyphPixelSize_ = 0;
  QPixmap legendCache_;
  double legendCacheMin_ = 0, legendCacheMax_ = 0;
};

}  // namespace kevo::widgets

#include "SearchTreeView.h"

#include <QApplication>
#include <QContextMenuEvent>
#include <QFontMetricsF>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "ColorMap.h"
#include "SearchTreeLegend.h"

namespace kevo::widgets {

// ---------------------------------------------------------------------------------------------
// The visual vocabulary.

namespace treestyle {

Shape shapeForOperator(const QString& op) {
  if (op == QLatin1String("inherit")) return Shape::Circle;
  if (op == QLatin1String("siblings")) return Shape::Square;
  if (op == QLatin1String("combined")) return Shape::Diamond;
  if (op == QLatin1String("fresh")) return Shape::Triangle;
  if (op == QLatin1String("user")) return Shape::Hexagon;
  if (op == QLatin1String("root")) return Shape::RoundedRect;
  return Shape::Circle;
}

Verdict verdictFromString(const QString& v) {
  if (v == QLatin1String("ok")) return Verdict::Ok;
  if (v == QLatin1String("compile_error")) return Verdict::CompileError;
  if (v == QLatin1String("crash")) return Verdict::Crash;
  if (v == QLatin1String("timeout")) return Verdict::Timeout;
  if (v == QLatin1String("wrong_answer")) return Verdict::WrongAnswer;
  if (v == QLatin1String("rejected")) return Verdict::Rejected;
  if (v == QLatin1String("pending") || v.isEmpty()) return Verdict::Pending;
  if (v == QLatin1String("lost")) return Verdict::Lost;
  return Verdict::Unknown;
}

bool isFailure(Verdict v) {
  return v == Verdict::CompileError || v == Verdict::Crash || v == Verdict::Timeout ||
         v == Verdict::WrongAnswer || v == Verdict::Rejected;
}

QString glyph(Verdict v) {
  switch (v) {
    case Verdict::CompileError:
      return QStringLiteral("C");
    case Verdict::Crash:
      return QStringLiteral("X");
    case Verdict::Timeout:
      return QStringLiteral("T");
    case Verdict::WrongAnswer:
      return QStringLiteral("≠");
    case Verdict::Rejected:
      return QStringLiteral("!");
    case Verdict::Pending:
      return QStringLiteral("…");
    case Verdict::Lost:
      return QStringLiteral("?");
    default:
      return {};
  }
}

QString verdictName(Verdict v) {
  switch (v) {
    case Verdict::Ok:
      return QStringLiteral("ok");
    case Verdict::CompileError:
      return QStringLiteral("compile error");
    case Verdict::Crash:
      return QStringLiteral("crash");
    case Verdict::Timeout:
      return QStringLiteral("timeout");
    case Verdict::WrongAnswer:
      return QStringLiteral("wrong answer");
    case Verdict::Rejected:
      return QStringLiteral("rejected");
    case Verdict::Pending:
      return QStringLiteral("pending");
    case Verdict::Lost:
      return QStringLiteral("lost");
    case Verdict::Unknown:
      break;
  }
  return QStringLiteral("unknown");
}

QColor failureColor() {
  return QColor(0xd6, 0x3a, 0x3a);
}
QColor unknownColor() {
  return QColor(0xb4, 0xb4, 0xb4);
}
QColor pendingColor() {
  return QColor(0xf4, 0xf4, 0xf4);
}
QColor lostColor() {
  return QColor(0x80, 0x80, 0x80);
}
QColor bestPathColor() {
  return QColor(0xff, 0x8c, 0x1a);
}
QColor selectionColor() {
  return QColor(0x10, 0x6e, 0xe8);
}

QColor speedupColor(double speedup, double lo, double hi) {
  if (!(speedup > 0) || !(lo > 0) || !(hi > lo)) return unknownColor();
  return viridis((std::log(speedup) - std::log(lo)) / (std::log(hi) - std::log(lo)));
}

void drawShape(QPainter& p, Shape s, QPointF c, double r) {
  switch (s) {
    case Shape::Circle:
      p.drawEllipse(c, r, r);
      return;
    case Shape::Square: {
      const double h = r * 0.88;
      p.drawRect(QRectF(c.x() - h, c.y() - h, 2 * h, 2 * h));
      return;
    }
    case Shape::RoundedRect: {
      const QRectF box(c.x() - r * 1.15, c.y() - r * 0.8, r * 2.3, r * 1.6);
      p.drawRoundedRect(box, r * 0.4, r * 0.4);
      return;
    }
    case Shape::Diamond: {
      const double k = r * 1.22;
      const QPointF pts[4] = {
          {c.x(), c.y() - k}, {c.x() + k, c.y()}, {c.x(), c.y() + k}, {c.x() - k, c.y()}};
      p.drawPolygon(pts, 4);
      return;
    }
    case Shape::Triangle: {
      const double k = r * 1.3, y = c.y() + r * 0.18;
      const QPointF pts[3] = {
          {c.x(), y - k}, {c.x() + k * 0.866, y + k * 0.5}, {c.x() - k * 0.866, y + k * 0.5}};
      p.drawPolygon(pts, 3);
      return;
    }
    case Shape::Hexagon: {
      const double k = r * 1.08, h = k * 0.866;
      const QPointF pts[6] = {{c.x() - k, c.y()},         {c.x() - k / 2, c.y() - h},
                              {c.x() + k / 2, c.y() - h}, {c.x() + k, c.y()},
                              {c.x() + k / 2, c.y() + h}, {c.x() - k / 2, c.y() + h}};
      p.drawPolygon(pts, 6);
      return;
    }
  }
}

void drawCheck(QPainter& p, QPointF c, double size) {
  const QPointF pts[3] = {c + QPointF(-0.42, 0.0) * size, c + QPointF(-0.12, 0.3) * size,
                          c + QPointF(0.45, -0.38) * size};
  p.setBrush(Qt::NoBrush);
  p.setPen(QPen(Qt::white, std::max(2.5, size * 0.42), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
  p.drawPolyline(pts, 3);
  p.setPen(QPen(QColor(0x1b, 0x9e, 0x3e), std::max(1.5, size * 0.2), Qt::SolidLine, Qt::RoundCap,
                Qt::RoundJoin));
  p.drawPolyline(pts, 3);
}

void drawPin(QPainter& p, QPointF c, double size) {
  const QPointF tip = c + QPointF(-0.3, 0.42) * size;
  p.setPen(QPen(Qt::white, std::max(2.5, size * 0.28), Qt::SolidLine, Qt::RoundCap));
  p.drawLine(c, tip);
  p.setPen(QPen(QColor(50, 50, 50), std::max(1.0, size * 0.12), Qt::SolidLine, Qt::RoundCap));
  p.drawLine(c, tip);
  p.setPen(QPen(Qt::white, std::max(1.0, size * 0.08)));
  p.setBrush(QColor(0xc2, 0x18, 0x5b));
  p.drawEllipse(c, size * 0.26, size * 0.26);
}

void drawPencil(QPainter& p, QPointF c, double size) {
  p.setPen(QPen(QColor(90, 90, 90), 1));
  p.setBrush(Qt::white);
  p.drawEllipse(c, size * 0.55, size * 0.55);
  const QPointF a = c + QPointF(0.3, -0.3) * size, b = c + QPointF(-0.22, 0.22) * size;
  p.setPen(QPen(QColor(0x5d, 0x40, 0x37), std::max(1.5, size * 0.24), Qt::SolidLine, Qt::FlatCap));
  p.drawLine(a, b);
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(30, 30, 30));
  const QPointF d = (b - a) / std::hypot(b.x() - a.x(), b.y() - a.y());
  const QPointF n(-d.y(), d.x());
  const double w = std::max(0.75, size * 0.12);
  const QPointF tip[3] = {b + d * (size * 0.22), b + n * w, b - n * w};
  p.drawPolygon(tip, 3);
}

}  // namespace treestyle

using namespace treestyle;

// ---------------------------------------------------------------------------------------------

namespace {

constexpr double kNodeRadius = 0.3;   // world units (sibling separation = 1)
constexpr double kLevel = 1.9;        // world units between depths (top-down)
constexpr double kDefaultScale = 72;  // pixels per unit when fitting a small tree
constexpr double kMaxScale = 160;
constexpr double kMaxLevelPx = 64;  // level spacing a fitted wide tree is stretched to, at most
constexpr int kAnimationMs = 220;
constexpr double kAnimateBelowMs = 8;  // frames slower than this: no animation, just jump
constexpr int kViridisBins = 64;
constexpr uint8_t kUnknown = kViridisBins, kFailure = kViridisBins + 1, kPending = kViridisBins + 2,
                  kLost = kViridisBins + 3;
constexpr uint8_t kFadedOffset = kViridisBins + 4;
constexpr int kFadedAlpha = 60;

bool faded(uint8_t flags) {
  return flags & (2 | 16);
}  // Item flags Pruned | Unmatched

double easeOut(double t) {
  return 1 - std::pow(1 - t, 3);
}

// Clips the segment a-b to r (Liang-Barsky); false if nothing of it is inside.
bool clipLine(QPointF& a, QPointF& b, const QRectF& r) {
  const double dx = b.x() - a.x(), dy = b.y() - a.y();
  double t0 = 0, t1 = 1;
  auto edge = [&](double p, double q) {
    if (p == 0) return q >= 0;
    const double t = q / p;
    if (p < 0) {
      if (t > t1) return false;
      t0 = std::max(t0, t);
    } else {
      if (t < t0) return false;
      t1 = std::min(t1, t);
    }
    return true;
  };
  if (!edge(-dx, a.x() - r.left()) || !edge(dx, r.right() - a.x()) || !edge(-dy, a.y() - r.top()) ||
      !edge(dy, r.bottom() - a.y()))
    return false;
  if (t0 > t1) return false;
  const QPointF a0 = a;
  if (t1 < 1) b = a0 + QPointF(dx, dy) * t1;
  if (t0 > 0) a = a0 + QPointF(dx, dy) * t0;
  return true;
}

QString speedupLabel(double s) {
  return QString::number(s, 'f', s >= 10 ? 1 : 2) + QStringLiteral("×");
}

}  // namespace

SearchTreeView::SearchTreeView(QWidget* parent) : QAbstractScrollArea(parent) {
  setFocusPolicy(Qt::StrongFocus);
  viewport()->setMouseTracking(false);
  viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  relayoutTimer_.setSingleShot(true);
  connect(&relayoutTimer_, &QTimer::timeout, viewport(), qOverload<>(&QWidget::update));
  animTimer_.setInterval(16);
  animTimer_.setTimerType(Qt::PreciseTimer);
  connect(&animTimer_, &QTimer::timeout, viewport(), qOverload<>(&QWidget::update));
  rebuildPalette();
}

SearchTreeView::~SearchTreeView() = default;

void SearchTreeView::rebuildPalette() {
  brushes_.clear();
  brushes_.reserve(2 * kFadedOffset);
  for (int k = 0; k < kViridisBins; ++k)
    brushes_.emplace_back(viridis(k / double(kViridisBins - 1)));
  brushes_.emplace_back(unknownColor());
  brushes_.emplace_back(failureColor());
  brushes_.emplace_back(pendingColor());
  brushes_.emplace_back(lostColor());
  for (int k = 0; k < kFadedOffset; ++k) {
    QColor c = brushes_[size_t(k)].color();
    c.setAlpha(kFadedAlpha);
    brushes_.emplace_back(c);
  }
}

// ---------------------------------------------------------------------------------------------
// Data.

const TreeNodeVisual* SearchTreeView::node(int64_t id) const {
  const int i = indexOf(id);
  return i < 0 ? nullptr : &nodes_[size_t(i)];
}

uint8_t SearchTreeView::paletteFor(const TreeNodeVisual& n, Verdict v) const {
  if (isFailure(v)) return kFailure;
  if (v == Verdict::Lost) return kLost;
  if (n.speedup > 0) {
    const double t =
        (std::log(n.speedup) - std::log(colorMin_)) / (std::log(colorMax_) - std::log(colorMin_));
    return uint8_t(std::lround(std::clamp(t, 0.0, 1.0) * (kViridisBins - 1)));
  }
  if (v == Verdict::Pending) return kPending;
  return kUnknown;
}

void SearchTreeView::refreshItem(int i) {
  const TreeNodeVisual& n = nodes_[size_t(i)];
  Item& it = items_[size_t(i)];
  it.verdict = verdictFromString(n.verdict);
  it.shape = shapeForOperator(n.memoryOperator);
  uint8_t flags = it.flags & (OnBestPath | BestEdge | Appearing);
  if (n.pinned) flags |= Pinned;
  if (n.pruned) flags |= Pruned;
  if (n.userMade) flags |= UserMade;
  if (n.approved) flags |= Approved;
  if (filter_ && !filter_(n)) flags |= Unmatched;
  it.flags = flags;
  it.palette = paletteFor(n, it.verdict);
}

void SearchTreeView::refreshAllColors() {
  for (size_t i = 0; i < nodes_.size(); ++i)
    items_[i].palette = paletteFor(nodes_[i], items_[i].verdict);
}

// The automatic colour range: powers of two around every speedup seen, 1x included.
bool SearchTreeView::updateAutoRange() {
  if (!autoRange_) return false;
  double lo = 1, hi = 1;
  for (const auto& n : nodes_)
    if (n.speedup > 0 && !isFailure(verdictFromString(n.verdict))) {
      lo = std::min(lo, n.speedup);
      hi = std::max(hi, n.speedup);
    }
  lo = std::exp2(std::floor(std::log2(lo) + 1e-9));
  hi = std::exp2(std::ceil(std::log2(hi) - 1e-9));
  if (hi <= lo * 1.0001) hi = lo * 2;
  if (lo == colorMin_ && hi == colorMax_) return false;
  colorMin_ = lo;
  colorMax_ = hi;
  return true;
}

void SearchTreeView::applyBestPath() {
  for (auto& it : items_) it.flags &= uint8_t(~(OnBestPath | BestEdge));
  int previous = -1;
  for (int64_t id : bestPath_) {
    const int i = indexOf(id);
    if (i >= 0) {
      items_[size_t(i)].flags |= OnBestPath;
      if (previous >= 0 && layout_.parentIndex(i) == previous) items_[size_t(i)].flags |= BestEdge;
    }
    previous = i;
  }
}

void SearchTreeView::reset(const std::vector<TreeNodeVisual>& nodes) {
  // Keep what the user looks at: the anchor node's place on screen, the selection, collapses.
  int64_t anchorId = -1;
  QPointF anchorScreen;
  if (!nodes_.empty() && !fitPending_) {
    ensureLayout();
    const int a = pickAnchor(cur_);
    if (a >= 0) {
      anchorId = layout_.idAt(a);
      anchorScreen = toScreen(cur_[size_t(a)]);
    }
  }
  const int64_t selectedId = selected_ >= 0 ? layout_.idAt(selected_) : -1;
  std::vector<int64_t> collapsed;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (layout_.isCollapsed(int(i))) collapsed.push_back(layout_.idAt(int(i)));

  animTimer_.stop();
  animating_ = false;
  layout_.clear();
  nodes_.clear();
  items_.clear();
  layout_.reserve(nodes.size());
  nodes_.reserve(nodes.size());
  for (const auto& n : nodes) {
    if (size_t(layout_.addNode(n.id, n.parentId)) < nodes_.size()) continue;  // duplicate id
    nodes_.push_back(n);
  }
  for (int64_t id : collapsed)
    if (int i = indexOf(id); i >= 0) layout_.setCollapsed(i, true);
  items_.assign(nodes_.size(), Item{});
  if (updateAutoRange()) emit colorRangeChanged(colorMin_, colorMax_);
  for (size_t i = 0; i < nodes_.size(); ++i) refreshItem(int(i));
  applyBestPath();

  QElapsedTimer clock;
  clock.start();
  layout_.layout();
  computeTargets();
  lastLayoutMs_ = double(clock.nsecsElapsed()) / 1e6;
  sinceLayout_.start();
  structureChanged_ = false;
  cur_ = target_;
  from_ = target_;
  laidOut_ = nodes_.size();
  if (const int a = indexOf(anchorId); a >= 0 && layout_.isVisible(a)) {
    origin_ = scaled(target_[size_t(a)]) - anchorScreen;
  } else {
    fitPending_ = true;
    if (viewport()->width() > 10 && viewport()->height() > 10) fitToView();
  }
  selected_ = indexOf(selectedId);
  if (selectedId >= 0 && selected_ < 0) emit nodeSelected(-1);
  updateScrollBars();
  viewport()->update();
}

void SearchTreeView::addNode(const TreeNodeVisual& n) {
  if (indexOf(n.id) >= 0) {
    updateNode(n);
    return;
  }
  const bool wasEmpty = nodes_.empty();
  const int i = layout_.addNode(n.id, n.parentId);
  nodes_.push_back(n);
  items_.push_back(Item{});
  refreshItem(i);
  if (n.speedup > 0 && (n.speedup < colorMin_ || n.speedup > colorMax_) && updateAutoRange()) {
    refreshAllColors();
    emit colorRangeChanged(colorMin_, colorMax_);
  }
  if (std::find(bestPath_.begin(), bestPath_.end(), n.id) != bestPath_.end() ||
      std::find(bestPath_.begin(), bestPath_.end(), n.parentId) != bestPath_.end())
    applyBestPath();
  if (wasEmpty) fitPending_ = true;
  viewport()->update();  // the relayout happens once per frame, however many nodes arrived
}

void SearchTreeView::updateNode(const TreeNodeVisual& n) {
  const int i = indexOf(n.id);
  if (i < 0) {
    addNode(n);
    return;
  }
  const int64_t parent = nodes_[size_t(i)].parentId;
  nodes_[size_t(i)] = n;
  nodes_[size_t(i)].parentId = parent;
  refreshItem(i);
  if (updateAutoRange()) {
    refreshAllColors();
    emit colorRangeChanged(colorMin_, colorMax_);
  }
  viewport()->update();
}

void SearchTreeView::setBestPath(std::vector<int64_t> path) {
  bestPath_ = std::move(path);
  applyBestPath();
  viewport()->update();
}

void SearchTreeView::setFilter(std::function<bool(const TreeNodeVisual&)> filter) {
  filter_ = std::move(filter);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (filter_ && !filter_(nodes_[i]))
      items_[i].flags |= Unmatched;
    else
      items_[i].flags &= uint8_t(~Unmatched);
  }
  viewport()->update();
}

void SearchTreeView::setColorRange(double minSpeedup, double maxSpeedup) {
  if (!(minSpeedup > 0) || !(maxSpeedup > 0)) {
    autoRange_ = true;
    colorMin_ = colorMax_ = 0;  // force a recomputation
    updateAutoRange();
  } else {
    autoRange_ = false;
    colorMin_ = std::min(minSpeedup, maxSpeedup);
    colorMax_ = std::max(minSpeedup, maxSpeedup);
    if (colorMax_ <= colorMin_ * 1.0001) colorMax_ = colorMin_ * 2;
  }
  refreshAllColors();
  emit colorRangeChanged(colorMin_, colorMax_);
  viewport()->update();
}

void SearchTreeView::setLayoutMode(Mode mode) {
  if (mode == mode_) return;
  mode_ = mode;
  ensureLayout();
  // Morph from the old drawing to the new one, then fit.
  from_ = cur_;
  computeTargets();
  fitToView();
  if (animationEnabled_ && isVisible() && !nodes_.empty()) {
    animating_ = true;
    animClock_.restart();
    animTimer_.start();
  } else {
    cur_ = target_;
  }
  viewport()->update();
}

void SearchTreeView::setCollapsed(int64_t id, bool collapsed) {
  const int i = indexOf(id);
  if (i < 0 || layout_.isCollapsed(i) == collapsed) return;
  toggleCollapsed(i);
}

bool SearchTreeView::isCollapsed(int64_t id) const {
  const int i = indexOf(id);
  return i >= 0 && layout_.isCollapsed(i);
}

void SearchTreeView::setLegendVisible(bool visible) {
  legendVisible_ = visible;
  viewport()->update();
}

void SearchTreeView::setAnimationEnabled(bool enabled) {
  animationEnabled_ = enabled;
  if (!enabled && animating_) {
    animating_ = false;
    animTimer_.stop();
    cur_ = target_;
    for (auto& it : items_) it.flags &= uint8_t(~Appearing);
  }
}

int64_t SearchTreeView::selected() const {
  return selected_ >= 0 ? layout_.idAt(selected_) : -1;
}

void SearchTreeView::setSelected(int64_t id) {
  const int i = id >= 0 ? indexOf(id) : -1;
  if (i >= 0) revealIndex(i);
  selectIndex(i);
  if (i >= 0 && !fitPending_) ensureNodeVisible(i);
}

void SearchTreeView::selectIndex(int i, bool emitSignal) {
  if (i == selected_) return;
  selected_ = i;
  viewport()->update();
  if (emitSignal) emit nodeSelected(i >= 0 ? layout_.idAt(i) : -1);
}

// Expands every collapsed ancestor of node i.
void SearchTreeView::revealIndex(int i) {
  for (int a = layout_.parentIndex(i); a >= 0; a = layout_.parentIndex(a))
    if (layout_.isCollapsed(a)) {
      layout_.setCollapsed(a, false);
      structureChanged_ = true;
      emit collapsedChanged(layout_.idAt(a), false);
    }
}

void SearchTreeView::toggleCollapsed(int i) {
  ensureLayout();
  if (layout_.children(i).empty() && !layout_.isCollapsed(i)) return;
  const bool collapse = !layout_.isCollapsed(i);
  layout_.setCollapsed(i, collapse);
  structureChanged_ = true;
  preferredAnchor_ = i;  // the node the user acted on stays where it is
  if (collapse && selected_ >= 0)
    for (int a = layout_.parentIndex(selected_); a >= 0; a = layout_.parentIndex(a))
      if (a == i) {
        selectIndex(i);
        break;
      }
  emit collapsedChanged(layout_.idAt(i), collapse);
  viewport()->update();
}

// ---------------------------------------------------------------------------------------------
// Layout and geometry.

void SearchTreeView::computeTargets() {
  const size_t n = nodes_.size();
  target_.resize(n);
  double& ring = ring_;
  ring = kLevel;
  const double rootShift = layout_.roots().size() > 1 ? 1 : 0;
  if (mode_ == Mode::Radial) {
    // Rings far enough apart that the outermost one has room for the whole width.
    const double outer = std::max(1.0, layout_.maxDepth() + rootShift);
    ring = std::max(kLevel, (layout_.width() + 1) / (2 * std::numbers::pi * outer));
  }
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    const int a = layout_.visibleAncestor(int(i));
    QPointF p;
    if (mode_ == Mode::TopDown) {
      p = QPointF(layout_.x(a), layout_.depth(a) * kLevel);
    } else {
      const double angle = layout_.angle(a) - std::numbers::pi / 2;
      const double r = layout_.radius(a) * ring;
      p = QPointF(r * std::cos(angle), r * std::sin(angle));
    }
    target_[i] = p;
    if (a != int(i)) continue;
    if (!any || p.x() < x0) x0 = p.x();
    if (!any || p.x() > x1) x1 = p.x();
    if (!any || p.y() < y0) y0 = p.y();
    if (!any || p.y() > y1) y1 = p.y();
    any = true;
  }
  worldBounds_ = QRectF(QPointF(x0, y0), QPointF(x1, y1));

  // Room for a label: the distance to the nearer neighbour at the same depth (breadth-first
  // order lists each depth left to right), at most three units.
  room_.assign(n, 1.0f);
  if (mode_ == Mode::TopDown) {
    int prev = -1;
    for (int v : layout_.levelOrder()) {
      if (!layout_.isVisible(v)) continue;
      room_[size_t(v)] = 3;
      if (prev >= 0 && layout_.depth(prev) == layout_.depth(v)) {
        const float gap = float(std::min(3.0, layout_.x(v) - layout_.x(prev)));
        room_[size_t(v)] = std::min(room_[size_t(v)], gap);
        room_[size_t(prev)] = std::min(room_[size_t(prev)], gap);
      }
      prev = v;
    }
  }
}

// Relayout after new nodes or a collapse, once per frame. The node the user is looking at (the
// selection if on screen, else the node nearest the centre, or the node just collapsed) keeps
// its place on screen; everything else slides from where it was to where it now belongs.
void SearchTreeView::ensureLayout() {
  if (!layout_.needsLayout()) return;
  const size_t n = nodes_.size();
  const size_t old = std::min(laidOut_, cur_.size());
  const bool animate =
      animationEnabled_ && isVisible() && old > 0 && !fitPending_ && lastPaintMs_ < kAnimateBelowMs;

  wasShown_.resize(old);
  for (size_t i = 0; i < old; ++i) wasShown_[i] = layout_.isVisible(int(i)) ? 1 : 0;
  int anchor =
      preferredAnchor_ >= 0 && size_t(preferredAnchor_) < old ? preferredAnchor_ : pickAnchor(cur_);
  if (anchor >= 0 && !wasShown_[size_t(anchor)]) anchor = layout_.visibleAncestor(anchor);
  const QPointF anchorBefore = anchor >= 0 ? cur_[size_t(anchor)] : QPointF();

  from_.assign(cur_.begin(), cur_.begin() + std::ptrdiff_t(old));
  QElapsedTimer clock;
  clock.start();
  layout_.layout();
  computeTargets();
  lastLayoutMs_ = double(clock.nsecsElapsed()) / 1e6;
  sinceLayout_.start();
  structureChanged_ = false;

  QPointF delta;
  if (anchor >= 0 && !fitPending_) {
    delta = target_[size_t(anchor)] - anchorBefore;
    origin_ += scaled(delta);
  }
  from_.resize(n);
  for (auto& it : items_) it.flags &= uint8_t(~Appearing);
  for (size_t i = 0; i < n; ++i) {
    if (i < old) {
      from_[i] += delta;
      if (animate && !wasShown_[i] && layout_.isVisible(int(i))) items_[i].flags |= Appearing;
      continue;
    }
    // A new node grows out of its parent.
    const int p = layout_.parentIndex(int(i));
    from_[i] = p >= 0 && size_t(p) < i ? from_[size_t(p)] : target_[i];
    if (animate) items_[i].flags |= Appearing;
  }
  laidOut_ = n;
  preferredAnchor_ = -1;
  if (animate) {
    cur_ = from_;
    animating_ = true;
    animProgress_ = 0;
    animClock_.restart();
    animTimer_.start();
  } else {
    cur_ = target_;
    animating_ = false;
    animTimer_.stop();
  }
  if (!fitPending_) updateScrollBars();
}

void SearchTreeView::advanceFrame() {
  if (!animating_) return;
  const double t = animClock_.elapsed() / double(kAnimationMs);
  if (t >= 1) {
    animating_ = false;
    animTimer_.stop();
    animProgress_ = 1;
    cur_ = target_;
    for (auto& it : items_) it.flags &= uint8_t(~Appearing);
    return;
  }
  const double e = easeOut(t);
  animProgress_ = e;
  for (size_t i = 0; i < cur_.size(); ++i) cur_[i] = from_[i] + (target_[i] - from_[i]) * e;
}

int SearchTreeView::pickAnchor(const std::vector<QPointF>& positions) const {
  const QRectF view(viewport()->rect());
  const size_t n = std::min(positions.size(), nodes_.size());
  if (selected_ >= 0 && size_t(selected_) < n &&
      view.contains(toScreen(positions[size_t(selected_)])))
    return selected_;
  const QPointF centre = toWorld(view.center());
  int best = -1;
  double bestD = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!layout_.isVisible(int(i))) continue;
    const QPointF d = positions[i] - centre;
    const double dd = d.x() * d.x() + d.y() * d.y();
    if (best < 0 || dd < bestD) {
      best = int(i);
      bestD = dd;
    }
  }
  return best;
}

void SearchTreeView::updateScrollBars() {
  const QRectF b = worldBounds_.adjusted(-1, -1, 1, 1);
  const double vw = viewport()->width(), vh = viewport()->height();
  const double sy = yScale();
  const double hmin = std::min(b.left() * scale_ - vw / 2, origin_.x());
  const double hmax = std::max(b.right() * scale_ - vw / 2, origin_.x());
  const double vmin = std::min(b.top() * sy - vh / 2, origin_.y());
  const double vmax = std::max(b.bottom() * sy - vh / 2, origin_.y());
  auto clampInt = [](double v) { return int(std::clamp(v, -1e9, 1e9)); };
  syncingScrollBars_ = true;
  horizontalScrollBar()->setRange(clampInt(std::floor(hmin)), clampInt(std::ceil(hmax)));
  horizontalScrollBar()->setPageStep(std::max(1, int(vw)));
  horizontalScrollBar()->setSingleStep(20);
  horizontalScrollBar()->setValue(clampInt(std::round(origin_.x())));
  verticalScrollBar()->setRange(clampInt(std::floor(vmin)), clampInt(std::ceil(vmax)));
  verticalScrollBar()->setPageStep(std::max(1, int(vh)));
  verticalScrollBar()->setSingleStep(20);
  verticalScrollBar()->setValue(clampInt(std::round(origin_.y())));
  syncingScrollBars_ = false;
}

void SearchTreeView::scrollContentsBy(int, int) {
  if (syncingScrollBars_) return;
  origin_ = QPointF(horizontalScrollBar()->value(), verticalScrollBar()->value());
  viewport()->update();
}

void SearchTreeView::setOrigin(QPointF origin) {
  origin_ = origin;
  updateScrollBars();
  viewport()->update();
}

double SearchTreeView::fitScale() const {
  const QRectF b = worldBounds_.adjusted(-1, -1, 1, 1);
  const double vw = std::max(20, viewport()->width() - 16);
  const double vh = std::max(20, viewport()->height() - 16);
  return std::min({vw / b.width(), vh / b.height(), kDefaultScale});
}

void SearchTreeView::clampScale() {
  scale_ = std::clamp(scale_, std::min(fitScale() * 0.5, kDefaultScale), kMaxScale);
}

void SearchTreeView::fitToView() {
  ensureLayout();
  if (viewport()->width() <= 10 || viewport()->height() <= 10) {
    fitPending_ = true;
    return;
  }
  fitPending_ = false;
  scale_ = fitScale();
  // A tree much wider than deep would be a thin strip: its levels are spread to fill the
  // height (up to a comfortable spacing) and keep that spacing while zooming in, until the
  // zoom itself spreads them further.
  yFloor_ = 0;
  if (mode_ == Mode::TopDown) {
    const QRectF b = worldBounds_.adjusted(-1, -1, 1, 1);
    yFloor_ = std::min(std::max(20, viewport()->height() - 16) / b.height(), kMaxLevelPx / kLevel);
  }
  origin_ = scaled(worldBounds_.center()) - QRectF(viewport()->rect()).center();
  updateScrollBars();
  viewport()->update();
}

void SearchTreeView::zoomBy(double factor, QPointF at) {
  ensureLayout();
  const QPointF world = toWorld(at);
  scale_ *= factor;
  clampScale();
  origin_ = scaled(world) - at;
  updateScrollBars();
  viewport()->update();
}

void SearchTreeView::zoomIn() {
  zoomBy(1.25, QRectF(viewport()->rect()).center());
}
void SearchTreeView::zoomOut() {
  zoomBy(0.8, QRectF(viewport()->rect()).center());
}

void SearchTreeView::centerOn(int64_t id) {
  const int i = indexOf(id);
  if (i < 0) return;
  ensureLayout();
  fitPending_ = false;
  setOrigin(scaled(target_[size_t(i)]) - QRectF(viewport()->rect()).center());
}

void SearchTreeView::ensureNodeVisible(int i) {
  ensureLayout();
  const QPointF s = toScreen(target_[size_t(i)]);
  const QRectF view(viewport()->rect());
  const double margin = std::min(48.0, std::min(view.width(), view.height()) / 4);
  const QRectF inner = view.adjusted(margin, margin, -margin, -margin);
  if (inner.contains(s)) return;
  if (!view.contains(s)) {
    centerOn(layout_.idAt(i));
    return;
  }
  QPointF d;
  if (s.x() < inner.left()) d.setX(s.x() - inner.left());
  if (s.x() > inner.right()) d.setX(s.x() - inner.right());
  if (s.y() < inner.top()) d.setY(s.y() - inner.top());
  if (s.y() > inner.bottom()) d.setY(s.y() - inner.bottom());
  setOrigin(origin_ + d);
}

int SearchTreeView::nodeIndexAt(QPointF pos) const {
  const_cast<SearchTreeView*>(this)->ensureLayout();
  const double r = std::max(kNodeRadius * scale_ * 1.15, 5.0);
  const QPointF world = toWorld(pos);
  const double rx = r / scale_, ry = r / yScale();
  int best = -1;
  double bestD = r * r;
  for (size_t i = 0; i < cur_.size(); ++i) {
    const QPointF d = cur_[i] - world;
    if (std::abs(d.x()) > rx || std::abs(d.y()) > ry) continue;
    if (!layout_.isVisible(int(i))) continue;
    const QPointF ds = toScreen(cur_[i]) - pos;
    const double dd = ds.x() * ds.x() + ds.y() * ds.y();
    if (dd <= bestD) {
      best = int(i);
      bestD = dd;
    }
  }
  return best;
}

int64_t SearchTreeView::nodeAt(QPoint pos) const {
  const int i = nodeIndexAt(QPointF(pos));
  return i < 0 ? -1 : layout_.idAt(i);
}

QPointF SearchTreeView::nodePosition(int64_t id) const {
  const_cast<SearchTreeView*>(this)->ensureLayout();
  const int i = indexOf(id);
  if (i < 0 || !layout_.isVisible(i) || size_t(i) >= cur_.size())
    return QPointF(std::numeric_limits<double>::quiet_NaN(),
                   std::numeric_limits<double>::quiet_NaN());
  return toScreen(cur_[size_t(i)]);
}

bool SearchTreeView::isShown(int64_t id) const {
  const_cast<SearchTreeView*>(this)->ensureLayout();
  const int i = indexOf(id);
  return i >= 0 && layout_.isVisible(i);
}

// ---------------------------------------------------------------------------------------------
// Painting.

void SearchTreeView::rebuildGlyphs(int pixelSize) {
  if (pixelSize == glyphPixelSize_) return;
  glyphPixelSize_ = pixelSize;
  QFont f = font();
  f.setBold(true);
  f.setPixelSize(pixelSize);
  for (int v = 0; v < int(glyphs_.size()); ++v) {
    glyphs_[size_t(v)].setText(glyph(Verdict(v)));
    glyphs_[size_t(v)].setTextFormat(Qt::PlainText);
    glyphs_[size_t(v)].prepare(QTransform(), f);
  }
}

void SearchTreeView::paintEvent(QPaintEvent*) {
  if (fitPending_ && viewport()->width() > 10 && viewport()->height() > 10) fitToView();
  QElapsedTimer clock;
  clock.start();
  QPainter p(viewport());
  paintTree(p, viewport()->rect());
  lastPaintMs_ = double(clock.nsecsElapsed()) / 1e6;
}

void SearchTreeView::paintTree(QPainter& p, const QRect& rect) {
  // New nodes on a big tree: relayout at most every few layout times, so a stream of nodes
  // costs a bounded share of the GUI thread; the frames in between show the last layout.
  if (layout_.needsLayout()) {
    const double wait = 8 * lastLayoutMs_;
    if (!structureChanged_ && laidOut_ > 0 && lastLayoutMs_ > 2 && sinceLayout_.isValid() &&
        sinceLayout_.elapsed() < wait) {
      if (!relayoutTimer_.isActive())
        relayoutTimer_.start(int(wait - double(sinceLayout_.elapsed())) + 1);
    } else {
      ensureLayout();
    }
  }
  advanceFrame();
  p.fillRect(rect, palette().color(QPalette::Base));
  const size_t n = std::min(nodes_.size(), cur_.size());  // the nodes laid out
  if (n == 0) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(rect, Qt::AlignCenter, tr("No candidates yet"));
    return;
  }
  const double s = scale_;
  const double nodePx = 2 * kNodeRadius * s;
  enum { Far, Mid, Near } lod = nodePx < 3.5 ? Far : nodePx < 10 ? Mid : Near;
  const bool labels = nodePx >= 22;
  const double r = nodePx / 2;

  // The visible rectangle in world coordinates, with room for badges and labels.
  const double marginPx = labels ? 40 : std::max(8.0, r * 2.5);
  const QRectF view = QRectF(rect).adjusted(-marginPx, -marginPx, marginPx, marginPx);
  const QRectF world(toWorld(view.topLeft()), toWorld(view.bottomRight()));
  const double wl = world.left(), wr = world.right(), wt = world.top(), wb = world.bottom();

  // Depth guides: in top-down, faint lines with the depth at the left edge; in radial, faint
  // rings. Every few depths so they stay apart.
  const double levelPx = mode_ == Mode::TopDown ? kLevel * yScale() : ring_ * s;
  if (levelPx >= 12) {
    const int step = std::max(1, int(std::ceil(22 / levelPx)));
    QFont small = font();
    small.setPointSizeF(std::max(6.5, font().pointSizeF() * 0.8));
    p.setFont(small);
    if (mode_ == Mode::TopDown) {
      const int d0 = std::max(0, int(std::floor(wt / kLevel)));
      const int d1 = std::min(layout_.maxDepth(), int(std::ceil(wb / kLevel)));
      for (int d = d0 - d0 % step; d <= d1; d += step) {
        const double y = toScreen(QPointF(0, d * kLevel)).y();
        p.fillRect(QRectF(rect.left(), y, rect.width(), 1), QColor(0, 0, 0, 10));
        p.setPen(QColor(150, 150, 150));
        p.drawText(QPointF(rect.left() + 4, y - 3), QString::number(d));
      }
    } else {
      const QPointF c = toScreen(QPointF(0, 0));
      const double shift = layout_.roots().size() > 1 ? 1 : 0;
      p.setRenderHint(QPainter::Antialiasing, true);
      p.setBrush(Qt::NoBrush);
      // Only the rings that cross the visible rectangle.
      const QRectF vr(rect);
      const double nx = std::clamp(c.x(), vr.left(), vr.right()) - c.x();
      const double ny = std::clamp(c.y(), vr.top(), vr.bottom()) - c.y();
      const double fx = std::max(std::abs(vr.left() - c.x()), std::abs(vr.right() - c.x()));
      const double fy = std::max(std::abs(vr.top() - c.y()), std::abs(vr.bottom() - c.y()));
      const double nearest = std::hypot(nx, ny), farthest = std::hypot(fx, fy);
      const int first = std::max(0, int(std::floor(nearest / (ring_ * s) - shift)));
      for (int d = first - first % step; d <= layout_.maxDepth(); d += step) {
        const double rr = (d + shift) * ring_ * s;
        if (rr > farthest) break;
        if (rr <= 0) continue;
        p.setPen(QColor(0, 0, 0, 16));
        p.drawEllipse(c, rr, rr);
        p.setPen(QColor(160, 160, 160));
        p.drawText(QPointF(c.x() + 3, c.y() - rr - 2), QString::number(d));
      }
    }
  }

  // Far out, one node per pixel: the first node on a pixel represents it, the others (and in
  // top-down their edges, which would draw the same pixels) are skipped.
  if (lod == Far) {
    const int w = rect.width(), h = rect.height();
    occupied_.assign((size_t(w) * size_t(h) + 63) / 64, 0);
    isRep_.assign(n, 0);
    reps_.clear();
    for (size_t i = 0; i < n; ++i) {
      const QPointF c = cur_[i];
      if (c.x() < wl || c.x() > wr || c.y() < wt || c.y() > wb) continue;
      if (!layout_.isVisible(int(i))) continue;
      const QPointF sc = toScreen(c);
      const int px = int(std::floor(sc.x())) - rect.left(),
                py = int(std::floor(sc.y())) - rect.top();
      if (px >= 0 && py >= 0 && px < w && py < h) {
        const size_t bit = size_t(py) * size_t(w) + size_t(px);
        if (occupied_[bit >> 6] & (uint64_t(1) << (bit & 63))) continue;
        occupied_[bit >> 6] |= uint64_t(1) << (bit & 63);
      }
      isRep_[i] = 1;
      reps_.push_back(int(i));
    }
  }

  // Edges, batched by style: top-down as elbows (parent down to a bar over its children, then
  // down to each child: the bar is drawn once however many children), radial as straight
  // lines. Zoomed out they are one-pixel rectangles, filled in one call; zoomed in, lines.
  lines_.clear();
  fadedLines_.clear();
  bestLines_.clear();
  rects_.clear();
  fadedRects_.clear();
  const bool pixelEdges = lod != Near;
  const QRect clipRect = rect.adjusted(-2, -2, 2, 2);
  enum Style { Normal, Faded, Best };
  auto segment = [&](QPointF a, QPointF b, Style style) {
    if (style == Best) {
      if (clipLine(a, b, view)) bestLines_.emplace_back(a, b);
      return;
    }
    if (pixelEdges && (a.x() == b.x() || a.y() == b.y())) {
      const int x0 = int(std::floor(std::min(a.x(), b.x()))),
                x1 = int(std::floor(std::max(a.x(), b.x())));
      const int y0 = int(std::floor(std::min(a.y(), b.y()))),
                y1 = int(std::floor(std::max(a.y(), b.y())));
      const QRect r = QRect(QPoint(x0, y0), QPoint(x1, y1)).intersected(clipRect);
      if (!r.isEmpty()) (style == Faded ? fadedRects_ : rects_).push_back(r);
      return;
    }
    if (clipLine(a, b, view)) (style == Faded ? fadedLines_ : lines_).emplace_back(a, b);
  };
  for (size_t i = 0; i < n; ++i) {
    if (!layout_.isVisible(int(i)) || layout_.isCollapsed(int(i))) continue;
    auto kids = layout_.children(int(i));
    if (kids.empty()) continue;
    const QPointF a = cur_[i];
    if (mode_ == Mode::Radial) {
      for (int c : kids) {
        const QPointF b = cur_[size_t(c)];
        if ((a.x() < wl && b.x() < wl) || (a.x() > wr && b.x() > wr) ||
            (a.y() < wt && b.y() < wt) || (a.y() > wb && b.y() > wb))
          continue;
        QPointF sa = toScreen(a), sb = toScreen(b);
        if (lod == Far && int(sa.x()) == int(sb.x()) && int(sa.y()) == int(sb.y())) continue;
        const uint8_t f = items_[size_t(c)].flags;
        segment(sa, sb, (f & BestEdge) ? Best : faded(f) ? Faded : Normal);
      }
      continue;
    }
    // Top-down elbow. Children of one parent share a depth except while one grows in.
    const double firstY = cur_[size_t(kids[0])].y();
    double left = a.x(), right = a.x();
    for (int c : kids) {
      left = std::min(left, cur_[size_t(c)].x());
      right = std::max(right, cur_[size_t(c)].x());
    }
    if (right < wl || left > wr || std::max(a.y(), firstY) < wt || std::min(a.y(), firstY) > wb)
      continue;
    const QPointF sa = toScreen(a);
    const double midY = std::round((sa.y() + toScreen(QPointF(0, firstY)).y()) / 2) + 0.5;
    const double sx = std::round(sa.x()) + 0.5;
    bool anyNormal = false;
    for (int c : kids) {
      const uint8_t f = items_[size_t(c)].flags;
      anyNormal |= !faded(f);
      const QPointF b = cur_[size_t(c)];
      if (b.x() < wl || b.x() > wr) continue;
      const QPointF sb = toScreen(b);
      const QPointF top(std::round(sb.x()) + 0.5, midY);
      if (f & BestEdge) {
        segment(QPointF(sx, sa.y()), QPointF(sx, midY), Best);
        segment(QPointF(sx, midY), top, Best);
        segment(top, QPointF(top.x(), sb.y()), Best);
      }
      if (lod == Far && !isRep_[size_t(c)]) continue;
      segment(top, QPointF(top.x(), sb.y()), faded(f) ? Faded : Normal);
    }
    const Style barStyle = anyNormal ? Normal : Faded;
    if (lod != Far || isRep_[i]) segment(QPointF(sx, sa.y()), QPointF(sx, midY), barStyle);
    const double x0 = std::round(toScreen(QPointF(left, 0)).x()) + 0.5;
    const double x1 = std::round(toScreen(QPointF(right, 0)).x()) + 0.5;
    if (x1 - x0 >= 1) segment(QPointF(x0, midY), QPointF(x1, midY), barStyle);
  }
  const QColor edgeColour = lod == Near ? QColor(140, 140, 140) : QColor(175, 175, 175);
  const QColor fadedEdgeColour(215, 215, 215);
  p.setRenderHint(QPainter::Antialiasing, false);
  p.setPen(Qt::NoPen);
  if (!fadedRects_.empty()) {
    p.setBrush(fadedEdgeColour);
    p.drawRects(fadedRects_.data(), int(fadedRects_.size()));
  }
  if (!rects_.empty()) {
    p.setBrush(edgeColour);
    p.drawRects(rects_.data(), int(rects_.size()));
  }
  p.setRenderHint(QPainter::Antialiasing, lod == Near);
  p.setBrush(Qt::NoBrush);
  if (!fadedLines_.empty()) {
    p.setPen(QPen(fadedEdgeColour, lod == Near ? 1.2 : 1));
    p.drawLines(fadedLines_.data(), int(fadedLines_.size()));
  }
  if (!lines_.empty()) {
    p.setPen(QPen(edgeColour, lod == Near ? 1.3 : 1));
    p.drawLines(lines_.data(), int(lines_.size()));
  }
  if (!bestLines_.empty()) {
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setPen(QPen(bestPathColor(), std::clamp(nodePx * 0.28, 2.5, 7.0), Qt::SolidLine, Qt::RoundCap,
                  Qt::RoundJoin));
    p.drawLines(bestLines_.data(), int(bestLines_.size()));
    p.setRenderHint(QPainter::Antialiasing, lod == Near);
  }

  // Nodes, culled to the visible rectangle.
  if (lod == Far) {
    const int sz = std::max(3, int(std::lround(nodePx)));
    for (int i : reps_) {
      const Item& it = items_[size_t(i)];
      const uint8_t pal = faded(it.flags) ? uint8_t(it.palette + kFadedOffset) : it.palette;
      const QPointF sc = toScreen(cur_[size_t(i)]);
      p.fillRect(QRect(int(std::floor(sc.x())) - sz / 2, int(std::floor(sc.y())) - sz / 2, sz, sz),
                 brushes_[pal].color());
    }
  } else {
    const QPen outline(QColor(40, 40, 40, 150), 1);
    const QPen fadedOutline(QColor(90, 90, 90, 90), 1, Qt::DashLine);
    const QPen failOutline(failureColor().darker(170), 1.5);
    const QPen pendingOutline(QColor(100, 100, 100), 1.2, Qt::DashLine);
    const QPen bestRing(bestPathColor(), std::clamp(nodePx * 0.12, 1.5, 4.0));
    const QPen glyphLight(Qt::white), glyphDark(QColor(70, 70, 70));
    const int glyphPx = std::clamp(int(std::lround(nodePx * 0.62)), 6, 64);
    const bool decorations = lod == Near;
    if (decorations) rebuildGlyphs(glyphPx);
    QFont glyphFont = font();
    glyphFont.setBold(true);
    glyphFont.setPixelSize(glyphPx);
    bool glyphFontSet = false;
    if (lod == Mid) p.setPen(Qt::NoPen);
    const double markSize = std::clamp(nodePx * 0.5, 7.0, 22.0);
    for (size_t i = 0; i < n; ++i) {
      const QPointF c = cur_[i];
      if (c.x() < wl || c.x() > wr || c.y() < wt || c.y() > wb) continue;
      if (!layout_.isVisible(int(i))) continue;
      const Item& it = items_[i];
      const bool isFaded = faded(it.flags);
      const uint8_t pal = isFaded ? uint8_t(it.palette + kFadedOffset) : it.palette;
      const QPointF sc = toScreen(c);
      double rr = r;
      if ((it.flags & Appearing) && animating_) rr *= 0.2 + 0.8 * animProgress_;
      if (decorations) {
        if (isFaded)
          p.setPen(fadedOutline);
        else if (isFailure(it.verdict))
          p.setPen(failOutline);
        else if (it.verdict == Verdict::Pending)
          p.setPen(pendingOutline);
        else
          p.setPen(outline);
        if (it.flags & OnBestPath) {
          p.setBrush(Qt::NoBrush);
          const QPen keep = p.pen();
          p.setPen(bestRing);
          p.drawEllipse(sc, rr * 1.3 + 2, rr * 1.3 + 2);
          p.setPen(keep);
        }
      }
      p.setBrush(brushes_[pal]);
      drawShape(p, it.shape, sc, rr);
      if (!decorations) {
        if (layout_.isCollapsed(int(i)) && nodePx >= 5) {  // a small plus: more below
          p.fillRect(QRectF(sc.x() - 0.5, sc.y() + rr + 1, 1.5, 4), QColor(60, 60, 60));
          p.fillRect(QRectF(sc.x() - 1.75, sc.y() + rr + 2.25, 4, 1.5), QColor(60, 60, 60));
        }
        continue;
      }
      if (isFaded) p.setOpacity(0.35);
      const QStaticText& g = glyphs_[size_t(it.verdict)];
      if (!g.text().isEmpty()) {
        if (!glyphFontSet) p.setFont(glyphFont);
        glyphFontSet = true;
        p.setPen(isFailure(it.verdict) || it.verdict == Verdict::Lost ? glyphLight : glyphDark);
        const QSizeF gs = g.size();
        p.drawStaticText(QPointF(sc.x() - gs.width() / 2, sc.y() - gs.height() / 2), g);
      }
      if (it.flags & Pinned) drawPin(p, sc + QPointF(rr * 0.75, -rr * 0.8), markSize);
      if (it.flags & Approved) drawCheck(p, sc + QPointF(rr * 0.85, rr * 0.7), markSize);
      if (it.flags & UserMade) drawPencil(p, sc + QPointF(-rr * 0.85, -rr * 0.8), markSize);
      if (layout_.isCollapsed(int(i))) {
        QFont bf = font();
        bf.setBold(true);
        bf.setPixelSize(std::clamp(int(nodePx * 0.42), 8, 14));
        p.setFont(bf);
        glyphFontSet = false;
        const QString t = QStringLiteral("+") + QString::number(layout_.descendantCount(int(i)));
        const double tw = QFontMetricsF(bf).horizontalAdvance(t) + 8;
        const double th = bf.pixelSize() + 4;
        const QRectF pill(sc.x() + rr * 0.6, sc.y() + rr * 0.45, tw, th);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(60, 60, 60, 230));
        p.drawRoundedRect(pill, th / 2, th / 2);
        p.setPen(Qt::white);
        p.drawText(pill, Qt::AlignCenter, t);
      }
      if (isFaded) p.setOpacity(1);
    }
  }

  // Labels when zoomed in: the node's label and its speedup (or what went wrong).
  if (labels) {
    QFont lf = font();
    lf.setPointSizeF(std::max(7.0, font().pointSizeF() * 0.85));
    p.setFont(lf);
    const QFontMetricsF fm(lf);
    const QColor textColour = palette().color(QPalette::Text);
    const QColor dimTextColour = palette().color(QPalette::PlaceholderText);
    QColor labelBox = palette().color(QPalette::Base);
    labelBox.setAlpha(210);
    for (size_t i = 0; i < n; ++i) {
      const QPointF c = cur_[i];
      if (c.x() < wl || c.x() > wr || c.y() < wt || c.y() > wb) continue;
      if (!layout_.isVisible(int(i))) continue;
      const TreeNodeVisual& node = nodes_[i];
      const Item& it = items_[i];
      const QPointF sc = toScreen(c);
      const double width = std::max(20.0, s * room_[i] - 8);
      double y = sc.y() + r * 1.35 + 2;
      p.setOpacity(faded(it.flags) ? 0.4 : 1);
      QString second;
      if (it.verdict == Verdict::Ok && node.speedup > 0)
        second = speedupLabel(node.speedup);
      else if (it.verdict != Verdict::Ok)
        second = verdictName(it.verdict);
      const QString first = node.label.isEmpty() ? QStringLiteral("#%1").arg(node.id) : node.label;
      // Text on a light box, so edges passing behind it do not cross it out.
      auto text = [&](const QString& t, const QColor& colour) {
        const QString e = fm.elidedText(t, Qt::ElideRight, width);
        const double tw = fm.horizontalAdvance(e);
        const QRectF box(sc.x() - tw / 2 - 2, y, tw + 4, fm.height());
        p.fillRect(box, labelBox);
        p.setPen(colour);
        p.drawText(box, Qt::AlignCenter, e);
        y += fm.height();
      };
      text(first, textColour);
      if (!second.isEmpty()) text(second, isFailure(it.verdict) ? failureColor() : dimTextColour);
    }
    p.setOpacity(1);
  }

  // The selection: a ring that stays visible at any zoom.
  if (selected_ >= 0 && size_t(selected_) < n && layout_.visibleAncestor(selected_) < int(n)) {
    const int v = layout_.visibleAncestor(selected_);
    const QPointF sc = toScreen(cur_[size_t(v)]);
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setBrush(Qt::NoBrush);
    const double ring = std::max(r * 1.45 + 4, 7.0);
    p.setPen(QPen(Qt::white, 5));
    p.drawEllipse(sc, ring, ring);
    p.setPen(QPen(selectionColor(), 2.5));
    p.drawEllipse(sc, ring, ring);
  }

  if (legendVisible_) paintLegendOverlay(p, rect);
}

void SearchTreeView::paintLegendOverlay(QPainter& p, const QRect& rect) {
  // Drawn once into a pixmap per colour range, then blitted.
  if (legendCache_.isNull() || legendCacheMin_ != colorMin_ || legendCacheMax_ != colorMax_) {
    QFont f = font();
    f.setPointSizeF(std::max(7.0, font().pointSizeF() * 0.85));
    const QSizeF size = SearchTreeLegend::paintLegend(nullptr, {0, 0}, colorMin_, colorMax_, f);
    const qreal dpr = devicePixelRatioF();
    legendCache_ = QPixmap((size * dpr).toSize() + QSize(1, 1));
    legendCache_.setDevicePixelRatio(dpr);
    legendCache_.fill(Qt::transparent);
    QPainter lp(&legendCache_);
    lp.setRenderHint(QPainter::Antialiasing, true);
    lp.setPen(QColor(0, 0, 0, 40));
    QColor bg = palette().color(QPalette::Base);
    bg.setAlpha(235);
    lp.setBrush(bg);
    lp.drawRoundedRect(QRectF(QPointF(0.5, 0.5), size - QSizeF(1, 1)), 6, 6);
    SearchTreeLegend::paintLegend(&lp, {0, 0}, colorMin_, colorMax_, f);
    legendCacheMin_ = colorMin_;
    legendCacheMax_ = colorMax_;
  }
  const QSizeF size = legendCache_.deviceIndependentSize();
  if (size.width() + 16 > rect.width() || size.height() + 16 > rect.height()) return;
  p.drawPixmap(QPointF(rect.left() + 8, rect.bottom() - 8 - size.height()), legendCache_);
}

// ---------------------------------------------------------------------------------------------
// Interaction.

void SearchTreeView::resizeEvent(QResizeEvent* event) {
  QAbstractScrollArea::resizeEvent(event);
  if (fitPending_)
    fitToView();
  else
    updateScrollBars();
}

void SearchTreeView::wheelEvent(QWheelEvent* event) {
  const QPoint d = event->angleDelta();
  if (d.y() != 0) {
    zoomBy(std::pow(1.2, d.y() / 120.0), event->position());
  } else if (d.x() != 0) {
    setOrigin(origin_ - QPointF(d.x() / 2.0, 0));
  }
  event->accept();
}

void SearchTreeView::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton && event->button() != Qt::MiddleButton) {
    QAbstractScrollArea::mousePressEvent(event);
    return;
  }
  setFocus(Qt::MouseFocusReason);
  pressed_ = true;
  dragging_ = false;
  pressPos_ = event->position().toPoint();
  lastDragPos_ = event->position();
  pressIndex_ = event->button() == Qt::LeftButton ? nodeIndexAt(event->position()) : -1;
  if (pressIndex_ >= 0) selectIndex(pressIndex_);
  event->accept();
}

void SearchTreeView::mouseMoveEvent(QMouseEvent* event) {
  if (!pressed_) return;
  if (!dragging_ && (event->position().toPoint() - pressPos_).manhattanLength() >=
                        QApplication::startDragDistance()) {
    dragging_ = true;
    viewport()->setCursor(Qt::ClosedHandCursor);
  }
  if (dragging_) {
    setOrigin(origin_ - (event->position() - lastDragPos_));
    lastDragPos_ = event->position();
  }
  event->accept();
}

void SearchTreeView::mouseReleaseEvent(QMouseEvent* event) {
  if (dragging_) viewport()->unsetCursor();
  pressed_ = false;
  dragging_ = false;
  event->accept();
}

void SearchTreeView::mouseDoubleClickEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  const int i = nodeIndexAt(event->position());
  if (i >= 0) {
    selectIndex(i);
    toggleCollapsed(i);
  }
  event->accept();
}

void SearchTreeView::contextMenuEvent(QContextMenuEvent* event) {
  const int i = nodeIndexAt(QPointF(event->pos()));
  if (i >= 0) selectIndex(i);
  emit contextMenuRequested(i >= 0 ? layout_.idAt(i) : -1, event->globalPos());
  event->accept();
}

void SearchTreeView::keyPressEvent(QKeyEvent* event) {
  ensureLayout();
  const int key = event->key();
  const bool ctrl = event->modifiers() & Qt::ControlModifier;
  auto select = [&](int i) {
    if (i < 0) return;
    selectIndex(i);
    ensureNodeVisible(i);
  };
  switch (key) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
      zoomIn();
      return;
    case Qt::Key_Minus:
      zoomOut();
      return;
    case Qt::Key_0:
      if (ctrl) {
        fitToView();
        return;
      }
      break;
    case Qt::Key_L:
      setLegendVisible(!legendVisible_);
      return;
    case Qt::Key_Escape:
      selectIndex(-1);
      return;
    case Qt::Key_Space:
      if (selected_ >= 0) toggleCollapsed(selected_);
      return;
    case Qt::Key_Return:
    case Qt::Key_Enter:
      if (selected_ >= 0) emit nodeActivated(layout_.idAt(selected_));
      return;
    case Qt::Key_Up:
    case Qt::Key_Down:
    case Qt::Key_Left:
    case Qt::Key_Right: {
      if (selected_ < 0) {  // nothing selected: the arrows pan
        const double step = 0.1 * std::min(viewport()->width(), viewport()->height()) + 10;
        QPointF d(key == Qt::Key_Left    ? -step
                  : key == Qt::Key_Right ? step
                                         : 0,
                  key == Qt::Key_Up     ? -step
                  : key == Qt::Key_Down ? step
                                        : 0);
        setOrigin(origin_ + d);
        return;
      }
      const int v = selected_;
      if (key == Qt::Key_Up) {
        select(layout_.parentIndex(v));
      } else if (key == Qt::Key_Down) {
        if (layout_.isCollapsed(v)) {
          toggleCollapsed(v);
          ensureLayout();
        }
        auto kids = layout_.children(v);
        if (!kids.empty()) select(kids.front());
      } else {
        const int par = layout_.parentIndex(v);
        auto siblings = par >= 0 ? layout_.children(par) : layout_.roots();
        auto it = std::find(siblings.begin(), siblings.end(), v);
        if (it == siblings.end()) return;
        if (key == Qt::Key_Left && it != siblings.begin()) select(*(it - 1));
        if (key == Qt::Key_Right && it + 1 != siblings.end()) select(*(it + 1));
      }
      return;
    }
    default:
      break;
  }
  QAbstractScrollArea::keyPressEvent(event);
}

bool SearchTreeView::viewportEvent(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const int i = nodeIndexAt(QPointF(help->pos()));
    if (i < 0) {
      QToolTip::hideText();
      return true;
    }
    const TreeNodeVisual& n = nodes_[size_t(i)];
    const Item& it = items_[size_t(i)];
    QString text = QStringLiteral("<b>#%1</b> %2<br>").arg(n.id).arg(n.label.toHtmlEscaped());
    if (it.verdict == Verdict::Ok && n.speedup > 0)
      text += tr("speedup %1").arg(speedupLabel(n.speedup));
    else
      text += verdictName(it.verdict);
    text += tr("<br>operator: %1")
                .arg(n.memoryOperator.isEmpty() ? QStringLiteral("?") : n.memoryOperator);
    QStringList marks;
    if (n.pinned) marks << tr("pinned");
    if (n.approved) marks << tr("approved");
    if (n.userMade) marks << tr("user-made");
    if (n.pruned) marks << tr("pruned");
    if (it.flags & OnBestPath) marks << tr("on the best path");
    if (layout_.isCollapsed(i)) marks << tr("%1 hidden below").arg(layout_.descendantCount(i));
    if (!marks.isEmpty()) text += QStringLiteral("<br>") + marks.join(QStringLiteral(", "));
    QToolTip::showText(help->globalPos(), text, viewport());
    return true;
  }
  return QAbstractScrollArea::viewportEvent(event);
}

}  // namespace kevo::widgets

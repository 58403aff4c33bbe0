#include "ProgressChart.h"

#include <QGraphicsSimpleTextItem>
#include <QToolTip>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>

#include "ChartStyle.h"
#include "ColorMap.h"

namespace kevo::widgets {

namespace {

const char* const kVerdicts[] = {"compile_error", "crash", "timeout", "wrong_answer", "rejected"};

QScatterSeries::MarkerShape verdictShape(const QString& v) {
  if (v == "compile_error") return QScatterSeries::MarkerShapeRectangle;
  if (v == "crash") return QScatterSeries::MarkerShapeTriangle;
  if (v == "timeout") return QScatterSeries::MarkerShapeRotatedRectangle;
  if (v == "wrong_answer") return QScatterSeries::MarkerShapePentagon;
  if (v == "rejected") return QScatterSeries::MarkerShapeStar;
  return QScatterSeries::MarkerShapeCircle;
}

const double kClassEdges[] = {1.0, 1.5, 2.0, 3.0, 5.0};
const double kClassColour[] = {0.0, 0.3, 0.5, 0.68, 0.85, 1.0};
const char* const kClassNames[] = {"below 1\u00d7",  "1\u20131.5\u00d7", "1.5\u20132\u00d7",
                                   "2\u20133\u00d7", "3\u20135\u00d7",   "5\u00d7 and up"};

// 1, 2 or 5 times a power of ten, at least v.
double niceStep(double v) {
  if (v <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= v - 1e-12) return m * p;
  return 10 * p;
}

}  // namespace

QColor ProgressChart::verdictColor(const QString& v) {
  if (v == "ok") return viridis(0.6);
  if (v == "compile_error") return QColor("#cf222e");
  if (v == "crash") return QColor("#8250df");
  if (v == "timeout") return QColor("#bc4c00");
  if (v == "wrong_answer") return QColor("#bf3989");
  if (v == "rejected") return QColor("#24292f");
  return QColor("#8c959f");
}

QString ProgressChart::verdictLabel(const QString& v) {
  QString s = v;
  s.replace('_', ' ');
  return s;
}

int ProgressChart::speedupClass(double speedup) {
  int c = 0;
  while (c < kSpeedupClasses - 1 && speedup >= kClassEdges[c]) ++c;
  return c;
}

ProgressChart::ProgressChart(QWidget* parent) : QChartView(parent) {
  applyChartStyle(this);
  auto* c = chart();
  c->legend()->setAlignment(Qt::AlignRight);
  c->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);

  axisX_ = new QValueAxis(c);
  axisX_->setTitleText(tr("evaluation"));
  axisX_->setLabelFormat("%d");
  axisX_->setTickType(QValueAxis::TicksDynamic);
  axisX_->setTickAnchor(0);
  axisY_ = new QValueAxis(c);
  axisY_->setTitleText(tr("speedup over baseline (\u00d7)"));
  axisY_->setLabelFormat("%.3g");
  axisY_->setTickType(QValueAxis::TicksDynamic);
  axisY_->setTickAnchor(0);
  c->addAxis(axisX_, Qt::AlignBottom);
  c->addAxis(axisY_, Qt::AlignLeft);

  bestLine_ = new QLineSeries(c);
  bestLine_->setPen(QPen(QColor("#1a7f37"), 2.5));
  baselineLine_ = new QLineSeries(c);
  baselineLine_->setName(tr("baseline (1\u00d7)"));
  baselineLine_->setPen(QPen(QColor("#8c959f"), 1.2, Qt::DashLine));
  c->addSeries(baselineLine_);
  baselineLine_->attachAxis(axisX_);
  baselineLine_->attachAxis(axisY_);
  // Legend order: the speedup classes from the top, then the failures, then the best line.
  for (int k = kSpeedupClasses - 1; k >= 0; --k) {
    const QColor colour = viridis(kClassColour[k]);
    makeCloud(QString("ok %1").arg(k), [colour](QScatterSeries* s) {
      s->setMarkerShape(QScatterSeries::MarkerShapeCircle);
      s->setMarkerSize(8);
      s->setColor(colour);
      s->setBorderColor(QColor(0, 0, 0, 110));
      s->setPen(QPen(QColor(0, 0, 0, 110), 0.8));
    });
  }
  for (const char* v : kVerdicts) cloudFor(QString::fromLatin1(v), 0);
  ring_ = new QScatterSeries(c);
  ring_->setMarkerSize(18);
  ring_->setBrush(Qt::NoBrush);
  ring_->setPen(QPen(QColor("#0969da"), 2.5));
  for (QXYSeries* s : std::initializer_list<QXYSeries*>{bestLine_, ring_}) {
    c->addSeries(s);
    s->attachAxis(axisX_);
    s->attachAxis(axisY_);
  }

  emptyText_ = new QGraphicsSimpleTextItem(c);
  emptyText_->setBrush(QColor("#57606a"));
  emptyText_->setText(tr("No evaluations yet"));
  emptyText_->setZValue(20);
  connect(c, &QChart::plotAreaChanged, this, [this](const QRectF& plot) {
    const QRectF r = emptyText_->boundingRect();
    emptyText_->setPos(plot.center() - QPointF(r.width() / 2, r.height() / 2));
  });

  flushTimer_.setSingleShot(true);
  flushTimer_.setInterval(50);
  connect(&flushTimer_, &QTimer::timeout, this, &ProgressChart::flush);
  setMinimumSize(360, 240);
  reset();
}

ProgressChart::Cloud& ProgressChart::makeCloud(const QString& key,
                                               std::function<void(QScatterSeries*)> style) {
  Cloud& cloud = clouds_[key];
  cloud.style = std::move(style);
  newChunk(cloud);
  return cloud;
}

QScatterSeries* ProgressChart::newChunk(Cloud& cloud) {
  auto* c = chart();
  auto* s = new QScatterSeries(c);
  cloud.style(s);
  c->addSeries(s);
  s->attachAxis(axisX_);
  s->attachAxis(axisY_);
  connect(s, &QScatterSeries::hovered, this, &ProgressChart::hover);
  connect(s, &QScatterSeries::clicked, this, &ProgressChart::handlePointClicked);
  if (!cloud.chunks.empty()) {
    for (auto* m : c->legend()->markers(s)) m->setVisible(false);  // the first chunk speaks
    // Series draw in the order they were added: keep the best line and the ring on top.
    for (QXYSeries* top : std::initializer_list<QXYSeries*>{bestLine_, ring_}) {
      if (!top || !c->series().contains(top)) continue;
      c->removeSeries(top);
      c->addSeries(top);
      top->attachAxis(axisX_);
      top->attachAxis(axisY_);
      for (auto* m : c->legend()->markers(top)) m->setVisible(top == bestLine_ && top->count() > 0);
    }
  }
  cloud.chunks.push_back(s);
  cloud.tail.clear();
  return s;
}

ProgressChart::Cloud& ProgressChart::cloudFor(const QString& verdict, double speedup) {
  if (verdict == "ok") return clouds_[QString("ok %1").arg(speedupClass(speedup))];
  auto it = clouds_.find(verdict);
  if (it != clouds_.end()) return it->second;
  const QColor colour = verdictColor(verdict);
  const auto shape = verdictShape(verdict);
  return makeCloud(verdict, [colour, shape](QScatterSeries* s) {
    s->setMarkerShape(shape);
    s->setMarkerSize(shape == QScatterSeries::MarkerShapeStar ? 12 : 9);
    s->setColor(colour);
    s->setBorderColor(colour.darker(140));
    s->setPen(QPen(colour.darker(140), 0.8));
  });
}

QScatterSeries* ProgressChart::okSeries(int speedupClass) const {
  return clouds_.at(QString("ok %1").arg(speedupClass)).chunks.front();
}

QScatterSeries* ProgressChart::verdictSeries(const QString& verdict) const {
  auto it = clouds_.find(verdict);
  return it == clouds_.end() || verdict.startsWith("ok ") ? nullptr : it->second.chunks.front();
}

int ProgressChart::okCount(int speedupClass) const {
  return clouds_.at(QString("ok %1").arg(speedupClass)).count;
}

int ProgressChart::verdictCount(const QString& verdict) const {
  auto it = clouds_.find(verdict);
  return it == clouds_.end() ? 0 : it->second.count;
}

void ProgressChart::reset() {
  flushTimer_.stop();
  evaluations_.clear();
  for (auto& [key, cloud] : clouds_) {
    while (cloud.chunks.size() > 1) {
      chart()->removeSeries(cloud.chunks.back());
      delete cloud.chunks.back();
      cloud.chunks.pop_back();
    }
    cloud.chunks.front()->clear();
    cloud.tail.clear();
    cloud.count = 0;
    cloud.dirty = false;
  }
  steps_.clear();
  bestDirty_ = false;
  best_ = okMax_ = 0;
  okCount_ = 0;
  bestNode_.reset();
  maxIndex_ = 0;
  selected_ = -1;
  bestLine_->clear();
  ring_->clear();
  emptyText_->setVisible(true);
  updateAxes();
  updateLegendNames();
}

void ProgressChart::addEvaluation(int64_t nodeId, int index, double speedup, QString verdict) {
  const bool ok = verdict == "ok" && speedup > 0 && std::isfinite(speedup);
  if (verdict == "ok" && !ok) verdict = "speedup_unknown";  // correct, but no baseline time
  const QPointF plotted(index, ok ? speedup : 0.0);
  const bool inOrder = evaluations_.empty() || index >= maxIndex_;
  evaluations_.push_back({nodeId, index, ok ? speedup : 0.0, verdict, plotted});
  maxIndex_ = std::max(maxIndex_, index);
  Cloud& cloud = cloudFor(verdict, speedup);
  if (cloud.tail.size() >= kChunk) {
    cloud.chunks.back()->replace(cloud.tail);  // complete the full chunk before starting one
    newChunk(cloud);
  }
  cloud.tail.append(plotted);
  cloud.dirty = true;
  ++cloud.count;
  if (nodeId == selected_) ring_->append(plotted);
  if (ok) {
    ++okCount_;
    okMax_ = std::max(okMax_, speedup);
    if (speedup > best_) {
      if (inOrder && !bestDirty_) {
        if (!steps_.isEmpty()) steps_.append(QPointF(index, best_));
        steps_.append(QPointF(index, speedup));
      }
      best_ = speedup;
      bestNode_ = nodeId;
    }
  }
  if (!inOrder) bestDirty_ = true;
  if (!flushTimer_.isActive()) flushTimer_.start();
}

void ProgressChart::flush() {
  flushTimer_.stop();
  if (bestDirty_) recomputeBest();
  for (auto& [key, cloud] : clouds_) {
    if (!cloud.dirty) continue;
    cloud.chunks.back()->replace(cloud.tail);
    cloud.dirty = false;
  }
  QList<QPointF> line = steps_;
  if (!line.isEmpty()) line.append(QPointF(maxIndex_, best_));
  bestLine_->replace(line);
  emptyText_->setVisible(evaluations_.empty());
  updateAxes();
  updateLegendNames();
}

void ProgressChart::recomputeBest() {
  std::vector<const Evaluation*> order;
  order.reserve(evaluations_.size());
  for (const auto& e : evaluations_) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(),
                   [](const Evaluation* a, const Evaluation* b) { return a->index < b->index; });
  steps_.clear();
  best_ = 0;
  bestNode_.reset();
  for (const Evaluation* e : order) {
    if (e->verdict != "ok" || e->speedup <= best_) continue;
    if (!steps_.isEmpty()) steps_.append(QPointF(e->index, best_));
    steps_.append(QPointF(e->index, e->speedup));
    best_ = e->speedup;
    bestNode_ = e->nodeId;
  }
  bestDirty_ = false;
}

void ProgressChart::updateAxes() {
  const double xMax = std::max(10.0, double(maxIndex_) + 1);
  axisX_->setRange(0, xMax * 1.02);
  axisX_->setTickInterval(niceStep(xMax / 8));
  const double yTop = std::max(1.5, okMax_) * 1.12;
  const double yStep = niceStep(yTop / 6);
  axisY_->setRange(-0.06 * yTop, std::ceil(yTop / yStep) * yStep);
  axisY_->setTickInterval(yStep);
  baselineLine_->replace(QList<QPointF>{{0, 1}, {axisX_->max(), 1}});
}

void ProgressChart::updateLegendNames() {
  auto* legend = chart()->legend();
  for (auto& [key, cloud] : clouds_) {
    QScatterSeries* s = cloud.chunks.front();
    if (key.startsWith("ok ")) {
      const int k = key.mid(3).toInt();
      s->setName(tr("ok %1 (%2)").arg(QString::fromUtf8(kClassNames[k])).arg(cloud.count));
    } else {
      s->setName(QString("%1 (%2)").arg(verdictLabel(key)).arg(cloud.count));
    }
    for (auto* m : legend->markers(s)) m->setVisible(cloud.count > 0);
  }
  bestLine_->setName(best_ > 0 ? tr("best so far (%1\u00d7)").arg(best_, 0, 'f', 2)
                               : tr("best so far"));
  for (auto* m : legend->markers(bestLine_)) m->setVisible(bestLine_->count() > 0);
  for (auto* m : legend->markers(ring_)) m->setVisible(false);
}

void ProgressChart::setSelectedNode(int64_t nodeId) {
  selected_ = nodeId;
  QList<QPointF> pts;
  for (const auto& e : evaluations_)
    if (e.nodeId == nodeId) pts.append(e.plotted);
  ring_->replace(pts);
}

std::optional<int64_t> ProgressChart::nodeAt(const QPointF& value) const {
  const double xr = std::max(1.0, axisX_->max() - axisX_->min());
  const double yr = std::max(1e-9, axisY_->max() - axisY_->min());
  const Evaluation* best = nullptr;
  double bestD = 0;
  for (const auto& e : evaluations_) {
    const double dx = (e.plotted.x() - value.x()) / xr, dy = (e.plotted.y() - value.y()) / yr;
    const double d = dx * dx + dy * dy;
    if (!best || d < bestD) {
      best = &e;
      bestD = d;
    }
  }
  if (!best) return std::nullopt;
  return best->nodeId;
}

void ProgressChart::handlePointClicked(const QPointF& value) {
  if (auto id = nodeAt(value)) emit nodeClicked(*id);
}

void ProgressChart::hover(const QPointF& value, bool state) {
  if (!state) {
    QToolTip::hideText();
    return;
  }
  const Evaluation* hit = nullptr;
  for (const auto& e : evaluations_)
    if (e.plotted == value) hit = &e;
  if (!hit) return;
  QString text = tr("<b>node %1</b> &middot; evaluation %2<br>").arg(hit->nodeId).arg(hit->index);
  if (hit->verdict == "ok")
    text += tr("ok, %1\u00d7 over the baseline").arg(hit->speedup, 0, 'f', 2);
  else
    text += verdictLabel(hit->verdict).toHtmlEscaped();
  if (bestNode_ && *bestNode_ == hit->nodeId) text += tr("<br>session best");
  text += tr("<br><i>click to select the node</i>");
  QToolTip::showText(QCursor::pos(), text, this);
}

}  // namespace kevo::widgets

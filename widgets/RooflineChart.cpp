#include "RooflineChart.h"

#include <QGraphicsPathItem>
#include <QGraphicsSimpleTextItem>
#include <QToolTip>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtMath>
#include <algorithm>
#include <cmath>

#include "ChartStyle.h"

namespace kevo::widgets {

namespace {

struct RoleStyle {
  QColor fill, border;
  double size;
  QScatterSeries::MarkerShape shape;
  bool hollow;
};

RoleStyle styleOf(RooflinePointVisual::Role role) {
  switch (role) {
    case RooflinePointVisual::Node:
      return {QColor("#0969da"), QColor("#ffffff"), 14, QScatterSeries::MarkerShapeCircle, false};
    case RooflinePointVisual::Parent:
      return {QColor("#8250df"), QColor("#ffffff"), 11, QScatterSeries::MarkerShapeCircle, false};
    case RooflinePointVisual::Best:
      return {QColor("#e3b341"), QColor("#9a6700"), 20, QScatterSeries::MarkerShapeStar, false};
    case RooflinePointVisual::Baseline:
      return {QColor("#6e7781"), QColor("#6e7781"), 14, QScatterSeries::MarkerShapeCircle, true};
  }
  return {Qt::black, Qt::black, 10, QScatterSeries::MarkerShapeCircle, false};
}

QString formatSeconds(double s) {
  if (s <= 0) return QStringLiteral("-");
  if (s < 1e-6) return QString::number(s * 1e9, 'g', 3) + " ns";
  if (s < 1e-3) return QString::number(s * 1e6, 'g', 3) + QStringLiteral(" \u00b5s");
  if (s < 1) return QString::number(s * 1e3, 'g', 3) + " ms";
  return QString::number(s, 'g', 3) + " s";
}

QString formatValue(double v) {
  if (v >= 100) return QString::number(v, 'f', 0);
  if (v >= 10) return QString::number(v, 'f', 1);
  return QString::number(v, 'g', 3);
}

QString formatPercent(double fraction) {
  const double v = 100 * fraction;
  return (v < 10 ? QString::number(v, 'f', 1) : QString::number(std::lround(v))) + "%";
}

double decadeFloor(double v) {
  return std::pow(10.0, std::floor(std::log10(v)));
}
double decadeCeil(double v) {
  return std::pow(10.0, std::ceil(std::log10(v)));
}

}  // namespace

RooflinePointVisual makeRooflinePoint(const profile::RooflinePoint& r, const QString& name,
                                      RooflinePointVisual::Role role) {
  RooflinePointVisual v;
  v.name = name;
  v.intensity = r.arithmeticIntensity;
  v.gflops = r.achievedGflops;
  v.gbps = r.achievedGBs;
  v.seconds = r.seconds;
  v.fractionOfFloor = r.fractionOfFloor;
  v.bottleneck = QString::fromLatin1(profile::bottleneckName(r.bottleneck));
  v.role = role;
  return v;
}

QString roleName(RooflinePointVisual::Role role) {
  switch (role) {
    case RooflinePointVisual::Node:
      return QObject::tr("this node");
    case RooflinePointVisual::Parent:
      return QObject::tr("parent");
    case RooflinePointVisual::Best:
      return QObject::tr("session best");
    case RooflinePointVisual::Baseline:
      return QObject::tr("baseline");
  }
  return {};
}

RooflineChart::RooflineChart(QWidget* parent) : QChartView(parent) {
  applyChartStyle(this);
  auto* c = chart();
  c->legend()->setAlignment(Qt::AlignBottom);
  c->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);

  axisX_ = new QLogValueAxis(c);
  axisX_->setBase(10);
  axisX_->setLabelFormat("%g");
  axisX_->setTitleText(tr("arithmetic intensity (FLOP/byte)"));
  axisX_->setMinorTickCount(8);
  axisX_->setMinorGridLineColor(QColor("#f0f0f0"));
  axisY_ = new QLogValueAxis(c);
  axisY_->setBase(10);
  axisY_->setLabelFormat("%g");
  axisY_->setTitleText(tr("performance (GFLOP/s)"));
  axisY_->setMinorTickCount(8);
  axisY_->setMinorGridLineColor(QColor("#f0f0f0"));
  c->addAxis(axisX_, Qt::AlignBottom);
  c->addAxis(axisY_, Qt::AlignLeft);

  auto addLine = [&](QLineSeries* s) {
    c->addSeries(s);
    s->attachAxis(axisX_);
    s->attachAxis(axisY_);
    for (auto* m : c->legend()->markers(s)) m->setVisible(false);  // labelled on the chart
  };
  ridge_ = new QLineSeries(c);
  ridge_->setPen(QPen(QColor("#8c959f"), 1, Qt::DashLine));
  addLine(ridge_);
  memory_ = new QLineSeries(c);
  memory_->setPen(QPen(QColor("#cf222e"), 2.5));
  addLine(memory_);
  compute_ = new QLineSeries(c);
  compute_->setPen(QPen(QColor("#1a7f37"), 2.5));
  addLine(compute_);

  for (auto role : {RooflinePointVisual::Baseline, RooflinePointVisual::Parent,
                    RooflinePointVisual::Best, RooflinePointVisual::Node}) {
    const RoleStyle st = styleOf(role);
    auto* s = new QScatterSeries(c);
    s->setName(roleName(role));
    s->setMarkerShape(st.shape);
    s->setMarkerSize(st.size);
    s->setColor(st.fill);
    s->setBorderColor(st.border);
    if (st.hollow) {
      s->setBrush(Qt::NoBrush);
      s->setPen(QPen(st.border, 2));
    } else {
      s->setPen(QPen(st.border, 1.5));
    }
    c->addSeries(s);
    s->attachAxis(axisX_);
    s->attachAxis(axisY_);
    scatter_[role] = s;
    connect(s, &QScatterSeries::hovered, this, [this, role](const QPointF& p, bool state) {
      const int i = indexOf(role, p);
      if (state && i >= 0)
        QToolTip::showText(QCursor::pos(), tooltip(i), this);
      else
        QToolTip::hideText();
    });
    connect(s, &QScatterSeries::clicked, this, [this, role](const QPointF& p) {
      const int i = indexOf(role, p);
      if (i >= 0) emit pointClicked(i);
    });
  }

  auto text = [&](const QColor& color, bool bold, double sizeDelta) {
    auto* t = new QGraphicsSimpleTextItem(c);
    QFont f = font();
    f.setBold(bold);
    f.setPointSizeF(f.pointSizeF() + sizeDelta);
    t->setFont(f);
    t->setBrush(color);
    t->setZValue(20);
    return t;
  };
  memoryText_ = text(QColor("#a40e26"), true, 0);
  computeText_ = text(QColor("#116329"), true, 0);
  ridgeText_ = text(QColor("#57606a"), false, -1);
  emptyText_ = text(QColor("#57606a"), false, 1);
  captionText_ = text(QColor("#6e7781"), false, -1);
  captionText_->setText(tr("% = share of the roofline floor reached (floor time / measured time)"));
  arrow_ = new QGraphicsPathItem(c);
  arrow_->setPen(QPen(QColor("#57606a"), 1.3, Qt::DashLine));
  arrow_->setZValue(5);

  connect(c, &QChart::plotAreaChanged, this, [this] { placeLabels(); });
  setMinimumSize(360, 260);
  rebuild();
}

void RooflineChart::setCeilings(double memoryGBs, double peakGflops, QString memoryLabel) {
  memoryGBs_ = memoryGBs;
  peakGflops_ = peakGflops;
  memoryLabel_ = std::move(memoryLabel);
  rebuild();
}

void RooflineChart::setPoints(std::vector<RooflinePointVisual> points) {
  points_ = std::move(points);
  rebuild();
}

void RooflineChart::setTitle(const QString& title) {
  chart()->setTitle(title);
}

void RooflineChart::clear() {
  points_.clear();
  memoryGBs_ = peakGflops_ = 0;
  rebuild();
}

double RooflineChart::ridgePoint() const {
  return memoryGBs_ > 0 && peakGflops_ > 0 ? peakGflops_ / memoryGBs_ : 0;
}

QPointF RooflineChart::plottedPosition(int index) const {
  return plotted_.at(size_t(index));
}

bool RooflineChart::isClamped(int index) const {
  return clamped_.at(size_t(index)) != 0;
}

QString RooflineChart::tooltip(int index) const {
  const auto& p = points_.at(size_t(index));
  QString t = QString("<b>%1</b> &nbsp;<span style='color:#57606a'>(%2)</span><br>")
                  .arg(p.name.toHtmlEscaped(), roleName(p.role));
  t += tr("time %1 &middot; %2 GFLOP/s &middot; %3 GB/s")
           .arg(formatSeconds(p.seconds), formatValue(p.gflops), formatValue(p.gbps));
  t += "<br>" + tr("intensity %1 FLOP/byte").arg(p.intensity > 0 ? formatValue(p.intensity) : "0");
  if (p.fractionOfFloor > 0)
    t += " &middot; " + tr("%1 of the roofline floor").arg(formatPercent(p.fractionOfFloor));
  if (!p.bottleneck.isEmpty()) t += "<br>" + p.bottleneck.toHtmlEscaped();
  if (isClamped(index))
    t += "<br><i>" +
         tr("No floating-point work (integer or data movement): drawn at the left edge, at "
            "its bandwidth (%1 GB/s) times that intensity, so its gap to the memory roof still "
            "shows the share of bandwidth used.")
             .arg(formatValue(p.gbps)) +
         "</i>";
  return t;
}

int RooflineChart::indexOf(RooflinePointVisual::Role role, const QPointF& value) const {
  int best = -1;
  double bestDistance = 0;
  for (size_t i = 0; i < points_.size(); ++i) {
    if (points_[i].role != role) continue;
    const double dx = std::log10(plotted_[i].x()) - std::log10(std::max(value.x(), 1e-300));
    const double dy = std::log10(plotted_[i].y()) - std::log10(std::max(value.y(), 1e-300));
    const double d = dx * dx + dy * dy;
    if (best < 0 || d < bestDistance) {
      best = int(i);
      bestDistance = d;
    }
  }
  return best;
}

void RooflineChart::rebuild() {
  // Changing the axis ranges below makes Qt Charts re-emit plotAreaChanged while the series,
  // points and labels are half rebuilt: placeLabels waits for the end.
  rebuilding_ = true;
  const double ridge = ridgePoint();
  // Axis ranges: whole decades around the points and the ridge, at least three of them.
  std::vector<double> xs, ys;
  for (const auto& p : points_)
    if (p.intensity > 0 && p.gflops > 0) {
      xs.push_back(p.intensity);
      ys.push_back(p.gflops);
    }
  if (ridge > 0) {
    xs.push_back(ridge);
    ys.push_back(peakGflops_);
  }
  if (xs.empty()) {
    xs = {0.1, 10};
    ys = {1, 100};
  }
  auto widen = [](double& lo, double& hi, double decades) {
    while (std::log10(hi / lo) < decades - 1e-9) {
      lo /= 10;
      if (std::log10(hi / lo) < decades - 1e-9) hi *= 10;
    }
  };
  xMin_ = decadeFloor(*std::min_element(xs.begin(), xs.end()) / 3);
  xMax_ = decadeCeil(*std::max_element(xs.begin(), xs.end()) * 3);
  widen(xMin_, xMax_, 3);

  // A point without FLOPs has no intensity on a log axis: put it just inside the left edge at
  // y = GB/s x intensity, where a kernel moving those bytes with that intensity would sit.
  plotted_.assign(points_.size(), QPointF());
  clamped_.assign(points_.size(), 0);
  const double clampX = xMin_ * 1.5;
  for (size_t i = 0; i < points_.size(); ++i) {
    const auto& p = points_[i];
    if (p.intensity > 0 && p.gflops > 0) {
      plotted_[i] = QPointF(p.intensity, p.gflops);
    } else {
      clamped_[i] = 1;
      plotted_[i] = QPointF(clampX, p.gbps > 0 ? p.gbps * clampX : 0);
      if (p.gbps > 0) ys.push_back(p.gbps * clampX);
    }
  }
  yMin_ = decadeFloor(*std::min_element(ys.begin(), ys.end()) / 2);
  yMax_ = decadeCeil(*std::max_element(ys.begin(), ys.end()) * 2.5);
  widen(yMin_, yMax_, 3);
  for (size_t i = 0; i < points_.size(); ++i)
    if (clamped_[i] && plotted_[i].y() <= 0) plotted_[i].setY(yMin_ * 1.5);

  // A hair outside the decades: QLogValueAxis drops the label of a minimum whose logarithm
  // rounds to just above the integer (log10(0.1) = -0.99999...).
  axisX_->setRange(xMin_ * (1 - 1e-9), xMax_ * (1 + 1e-9));
  axisY_->setRange(yMin_ * (1 - 1e-9), yMax_ * (1 + 1e-9));

  memory_->clear();
  compute_->clear();
  ridge_->clear();
  if (ridge > 0) {
    const double x0 = std::max(xMin_, yMin_ / memoryGBs_);
    memory_->append(x0, memoryGBs_ * x0);
    memory_->append(ridge, peakGflops_);
    compute_->append(ridge, peakGflops_);
    compute_->append(xMax_, peakGflops_);
    ridge_->append(ridge, yMin_);
    ridge_->append(ridge, peakGflops_);
  }
  memory_->setName(QString("%1 %2 GB/s").arg(memoryLabel_, formatValue(memoryGBs_)));
  compute_->setName(tr("peak %1 GFLOP/s").arg(formatValue(peakGflops_)));

  for (auto* s : scatter_) s->clear();
  for (size_t i = 0; i < points_.size(); ++i) scatter_[points_[i].role]->append(plotted_[i]);
  for (auto* s : scatter_)
    for (auto* m : chart()->legend()->markers(s)) m->setVisible(s->count() > 0);

  for (auto* t : pointTexts_) delete t;
  pointTexts_.clear();
  for (const auto& p : points_) {
    auto* t = new QGraphicsSimpleTextItem(chart());
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() - 0.5);
    f.setBold(p.role == RooflinePointVisual::Node);
    t->setFont(f);
    t->setBrush(p.role == RooflinePointVisual::Baseline ? QColor("#57606a")
                : p.role == RooflinePointVisual::Best   ? QColor("#9a6700")
                                                        : styleOf(p.role).fill.darker(125));
    QString label = p.name;
    if (p.fractionOfFloor > 0) label += QString(" \u00b7 %1").arg(formatPercent(p.fractionOfFloor));
    if (!(p.intensity > 0 && p.gflops > 0)) label += tr(" (no FLOPs)");
    t->setText(label);
    t->setZValue(20);
    pointTexts_.push_back(t);
  }
  rebuilding_ = false;
  placeLabels();
}

void RooflineChart::resizeEvent(QResizeEvent* event) {
  QChartView::resizeEvent(event);
  placeLabels();
}

void RooflineChart::placeLabels() {
  if (rebuilding_) return;
  auto* c = chart();
  const QRectF plot = c->plotArea();
  const double ridge = ridgePoint();
  const bool roof = ridge > 0;
  memoryText_->setVisible(roof);
  computeText_->setVisible(roof);
  ridgeText_->setVisible(roof);
  emptyText_->setVisible(!roof || points_.empty());
  if (plot.width() <= 0 || plot.height() <= 0) return;

  std::vector<QRectF> taken;  // rectangles already used by labels and markers
  for (size_t i = 0; i < points_.size(); ++i) {
    const QPointF p = c->mapToPosition(plotted_[i], scatter_[points_[i].role]);
    const double r = styleOf(points_[i].role).size / 2 + 1;
    taken.emplace_back(p.x() - r, p.y() - r, 2 * r, 2 * r);
  }

  captionText_->setVisible(roof && !points_.empty());
  captionText_->setPos(plot.left() + 8, plot.top() + 4);
  taken.push_back(captionText_->sceneBoundingRect());
  if (roof) {
    memoryText_->setText(memory_->name());
    computeText_->setText(compute_->name());
    ridgeText_->setText(tr("ridge %1 FLOP/byte").arg(formatValue(ridge)));
    // Along the memory slope, just above it, at the first place (from 35% of the way up) that
    // covers no point.
    const QPointF a = c->mapToPosition(memory_->at(0), memory_);
    const QPointF b = c->mapToPosition(memory_->at(1), memory_);
    const double angle = std::atan2(b.y() - a.y(), b.x() - a.x());
    const QRectF mr = memoryText_->boundingRect();
    const QPointF normal(std::sin(angle), -std::cos(angle));
    memoryText_->setRotation(qRadiansToDegrees(angle));
    const double lineLength = std::hypot(b.x() - a.x(), b.y() - a.y());
    const double room = lineLength > 0 ? std::max(0.0, 1.0 - (mr.width() + 8) / lineLength) : 0;
    for (double f : {0.35, 0.1, 0.6, 0.8, 0.0}) {
      const double at = std::min(f, room);
      memoryText_->setPos(a + (b - a) * at + normal * (mr.height() + 3));
      const QRectF box = memoryText_->sceneBoundingRect().adjusted(2, 2, -2, -2);
      if (std::none_of(taken.begin(), taken.end(),
                       [&](const QRectF& o) { return o.intersects(box); }))
        break;
    }
    taken.push_back(memoryText_->sceneBoundingRect());
    // Above the roof, at its right end.
    const QPointF roofEnd = c->mapToPosition(compute_->at(1), compute_);
    const QRectF cr = computeText_->boundingRect();
    computeText_->setPos(roofEnd.x() - cr.width() - 6, roofEnd.y() - cr.height() - 3);
    taken.push_back(computeText_->sceneBoundingRect());
    const QPointF ridgeBottom = c->mapToPosition(QPointF(ridge, yMin_), ridge_);
    const QRectF rr = ridgeText_->boundingRect();
    ridgeText_->setPos(ridgeBottom.x() + 4, ridgeBottom.y() - rr.height() - 3);
    taken.push_back(ridgeText_->sceneBoundingRect());
  }
  if (!roof)
    emptyText_->setText(tr("No roofline: the hardware ceilings were not measured"));
  else if (points_.empty())
    emptyText_->setText(tr("No timed evaluation to place"));
  const QRectF er = emptyText_->boundingRect();
  emptyText_->setPos(plot.center().x() - er.width() / 2, plot.top() + plot.height() * 0.7);

  // Point names: right of the point if free, else left, above, below.
  for (size_t i = 0; i < points_.size(); ++i) {
    auto* t = pointTexts_[i];
    const QPointF p = c->mapToPosition(plotted_[i], scatter_[points_[i].role]);
    const QRectF br = t->boundingRect();
    const double r = styleOf(points_[i].role).size / 2 + 3;
    const QPointF candidates[] = {{p.x() + r, p.y() - br.height() / 2},
                                  {p.x() - r - br.width(), p.y() - br.height() / 2},
                                  {p.x() - br.width() / 2, p.y() - r - br.height()},
                                  {p.x() - br.width() / 2, p.y() + r},
                                  {p.x() + r, p.y() - r - br.height()},
                                  {p.x() + r, p.y() + r}};
    QPointF chosen = candidates[0];
    for (const QPointF& cand : candidates) {
      const QRectF rect(cand, br.size());
      const bool inside = plot.contains(rect);
      const bool clash = std::any_of(taken.begin(), taken.end(), [&](const QRectF& o) {
        return o.intersects(rect) && !o.contains(p);
      });
      if (inside && !clash) {
        chosen = cand;
        break;
      }
    }
    t->setPos(chosen);
    taken.emplace_back(chosen, br.size());
  }

  // The step from the parent to this node, as an arrow.
  QPainterPath path;
  int node = -1, parent = -1;
  for (size_t i = 0; i < points_.size(); ++i) {
    if (points_[i].role == RooflinePointVisual::Node && node < 0) node = int(i);
    if (points_[i].role == RooflinePointVisual::Parent && parent < 0) parent = int(i);
  }
  if (node >= 0 && parent >= 0) {
    const QPointF from =
        c->mapToPosition(plotted_[size_t(parent)], scatter_[RooflinePointVisual::Parent]);
    const QPointF to =
        c->mapToPosition(plotted_[size_t(node)], scatter_[RooflinePointVisual::Node]);
    const QPointF d = to - from;
    const double len = std::hypot(d.x(), d.y());
    const double r0 = styleOf(RooflinePointVisual::Parent).size / 2 + 2;
    const double r1 = styleOf(RooflinePointVisual::Node).size / 2 + 2;
    if (len > r0 + r1 + 6) {
      const QPointF u = d / len;
      const QPointF start = from + u * r0, end = to - u * r1;
      path.moveTo(start);
      path.lineTo(end);
      const QPointF n(-u.y(), u.x());
      path.moveTo(end - u * 7 + n * 4);
      path.lineTo(end);
      path.lineTo(end - u * 7 - n * 4);
    }
  }
  arrow_->setPath(path);
}

}  // namespace kevo::widgets

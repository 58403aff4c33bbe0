// The inspector's roofline: log-log performance (GFLOP/s) against arithmetic intensity
// (FLOP/byte) under the measured ceilings, the memory slope (bandwidth x intensity) meeting
// the compute roof (peak) at the ridge point, with the selected node, its parent, the session
// best and an optional baseline (a hollow grey ghost) as points with hover tooltips. The app
// picks the shape set and the ceiling (DRAM for cold data, cache for warm) and hands the values
// in; makeRooflinePoint() converts the engine's per-shape-set roofline record.
#pragma once

#include <QPointF>
#include <QString>
#include <QtCharts/QChartView>
#include <vector>

#include "profile/Roofline.h"

class QGraphicsSimpleTextItem;
class QGraphicsPathItem;
class QLineSeries;
class QLogValueAxis;
class QScatterSeries;

namespace kevo::widgets {

struct RooflinePointVisual {
  QString name;  // "node 17"
  double intensity = 0, gflops = 0, gbps = 0, seconds = 0, fractionOfFloor = 0;
  QString bottleneck;  // memory-bound, compute-bound, latency-bound
  enum Role { Node, Parent, Best, Baseline } role = Node;
};

RooflinePointVisual makeRooflinePoint(const kevo::profile::RooflinePoint& r, const QString& name,
                                      RooflinePointVisual::Role role);
QString roleName(RooflinePointVisual::Role role);  // this node, parent, session best, baseline

class RooflineChart : public QChartView {
  Q_OBJECT
 public:
  explicit RooflineChart(QWidget* parent = nullptr);

  // memoryLabel names the bandwidth ceiling: "DRAM", "L1 cache". Non-positive values: no roof.
  void setCeilings(double memoryGBs, double peakGflops,
                   QString memoryLabel = QStringLiteral("DRAM"));
  void setPoints(std::vector<RooflinePointVisual> points);
  void setTitle(const QString& title);
  void clear();

  const std::vector<RooflinePointVisual>& points() const { return points_; }
  double ridgePoint() const;  // FLOP/byte where the two ceilings meet (0 without ceilings)
  // Where points()[i] is drawn, in data coordinates (intensity, GFLOP/s): the point itself,
  // or for a point without FLOPs its clamped placement.
  QPointF plottedPosition(int index) const;
  bool isClamped(int index) const;
  QString tooltip(int index) const;  // rich text: name, time, GFLOP/s, GB/s, % of floor, ...

  QLineSeries* memoryCeiling() const { return memory_; }
  QLineSeries* computeCeiling() const { return compute_; }
  QScatterSeries* pointSeries(RooflinePointVisual::Role role) const { return scatter_[role]; }
  QLogValueAxis* intensityAxis() const { return axisX_; }
  QLogValueAxis* performanceAxis() const { return axisY_; }

 signals:
  void pointClicked(int index);  // index into points()

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  void rebuild();
  void placeLabels();
  int indexOf(RooflinePointVisual::Role role, const QPointF& value) const;

  double memoryGBs_ = 0, peakGflops_ = 0;
  QString memoryLabel_ = QStringLiteral("DRAM");
  std::vector<RooflinePointVisual> points_;
  std::vector<QPointF> plotted_;
  std::vector<char> clamped_;
  double xMin_ = 0.01, xMax_ = 100, yMin_ = 0.1, yMax_ = 1000;

  QLogValueAxis* axisX_ = nullptr;
  QLogValueAxis* axisY_ = nullptr;
  QLineSeries* memory_ = nullptr;
  QLineSeries* compute_ = nullptr;
  QLineSeries* ridge_ = nullptr;
  QGraphicsPathItem* arrow_ = nullptr;
  QScatterSeries* scatter_[4] = {nullptr, nullptr, nullptr, nullptr};
  QGraphicsSimpleTextItem* memoryText_ = nullptr;
  QGraphicsSimpleTextItem* computeText_ = nullptr;
  QGraphicsSimpleTextItem* ridgeText_ = nullptr;
  QGraphicsSimpleTextItem* emptyText_ = nullptr;
  QGraphicsSimpleTextItem* captionText_ = nullptr;
  std::vector<QGraphicsSimpleTextItem*> pointTexts_;
  bool rebuilding_ = false;  // set while rebuild() runs: labels are placed at its end
};

}  // namespace kevo::widgets

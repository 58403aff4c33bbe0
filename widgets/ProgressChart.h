// The search's progress: best speedup so far against evaluation index (a step line) over every
// evaluation as a point: correct ones at their speedup, coloured by speedup class (viridis, as
// the tree), failures on the zero line with a colour and shape per verdict and a count in the
// legend. Clicking a point asks to select its node. Fed one evaluation at a time as they
// arrive; arrivals are drawn together every 50 ms (or on flush()), and points go into series of
// at most 256 so that a redraw touches only the newest ones, however long the session.
#pragma once

#include <QList>
#include <QPointF>
#include <QTimer>
#include <QtCharts/QChartView>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

class QGraphicsSimpleTextItem;
class QLineSeries;
class QScatterSeries;
class QValueAxis;

namespace kevo::widgets {

class ProgressChart : public QChartView {
  Q_OBJECT
 public:
  explicit ProgressChart(QWidget* parent = nullptr);

  // verdict: ok, compile_error, crash, timeout, wrong_answer, rejected (docs/cli.md). speedup
  // is over the baseline; ignored for failures. Indices usually arrive in order; any order works.
  void addEvaluation(int64_t nodeId, int index, double speedup, QString verdict);
  void reset();
  // Rings the node's points (-1: none), e.g. when the tree selects it.
  void setSelectedNode(int64_t nodeId);

  int evaluationCount() const { return int(evaluations_.size()); }
  int okCount() const { return okCount_; }
  int okCount(int speedupClass) const;
  int verdictCount(const QString& verdict) const;
  double bestSpeedup() const { return best_; }
  std::optional<int64_t> bestNode() const { return bestNode_; }
  // The node of the evaluation drawn nearest `value` (data coordinates), if any.
  std::optional<int64_t> nodeAt(const QPointF& value) const;

  // Correct evaluations fall in speedup classes, one series each: below 1x, 1-1.5x, 1.5-2x,
  // 2-3x, 3-5x, 5x and up.
  static constexpr int kSpeedupClasses = 6;
  static int speedupClass(double speedup);
  // The first series of a class or failure verdict (the one in the legend); nullptr for a
  // verdict never seen.
  QScatterSeries* okSeries(int speedupClass) const;
  QScatterSeries* verdictSeries(const QString& verdict) const;
  QLineSeries* bestSeries() const { return bestLine_; }
  QValueAxis* indexAxis() const { return axisX_; }
  QValueAxis* speedupAxis() const { return axisY_; }

  static QColor verdictColor(const QString& verdict);
  static QString verdictLabel(const QString& verdict);  // "compile error"

 public slots:
  // A point was clicked (data coordinates): emits nodeClicked for the evaluation there.
  void handlePointClicked(const QPointF& value);
  // Pushes evaluations added since the last redraw into the series now.
  void flush();

 signals:
  void nodeClicked(int64_t nodeId);

 private:
  struct Evaluation {
    int64_t nodeId;
    int index;
    double speedup;
    QString verdict;
    QPointF plotted;
  };
  // The points of one speedup class or failure verdict, in series ("chunks") of at most
  // kChunk points; only the last chunk changes as points arrive.
  struct Cloud {
    std::vector<QScatterSeries*> chunks;
    QList<QPointF> tail;  // the last chunk's points
    int count = 0;
    bool dirty = false;
    std::function<void(QScatterSeries*)> style;
  };
  static constexpr int kChunk = 256;
  Cloud& makeCloud(const QString& key, std::function<void(QScatterSeries*)> style);
  Cloud& cloudFor(const QString& verdict, double speedup);
  QScatterSeries* newChunk(Cloud& cloud);
  void recomputeBest();
  void updateAxes();
  void updateLegendNames();
  void hover(const QPointF& value, bool state);

  std::vector<Evaluation> evaluations_;
  std::map<QString, Cloud> clouds_;  // "ok 0".."ok 5", then verdict names
  QList<QPointF> steps_;             // the best line up to its last improvement
  bool bestDirty_ = false;
  double best_ = 0, okMax_ = 0;
  int okCount_ = 0;
  std::optional<int64_t> bestNode_;
  int maxIndex_ = 0;
  int64_t selected_ = -1;
  QTimer flushTimer_;

  QValueAxis* axisX_ = nullptr;
  QValueAxis* axisY_ = nullptr;
  QLineSeries* bestLine_ = nullptr;
  QLineSeries* baselineLine_ = nullptr;
  QScatterSeries* ring_ = nullptr;
  QGraphicsSimpleTextItem* emptyText_ = nullptr;
};

}  // namespace kevo::widgets

// One node's evaluation, a row per shape set: median time, the problem baseline's time from the
// same run, speedup, achieved GB/s and GFLOP/s, % of the roofline floor, bottleneck, and, when a
// node is pinned as the baseline, the change against it.
#pragma once

#include <QAbstractTableModel>
#include <optional>

#include "search/SearchNode.h"

namespace kevo::app {

class EvaluationTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    ShapeSet,
    Median,
    Min,
    Spread,
    Baseline,
    Speedup,
    VsPinned,
    GBs,
    Gflops,
    FloorPercent,
    Bottleneck,
    ColumnCount
  };
  explicit EvaluationTableModel(QObject* parent = nullptr);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

  void setNode(const std::optional<search::SearchNode>& node,
               const std::optional<search::SearchNode>& pinnedBaseline);

 private:
  struct Row {
    QString name;
    nlohmann::json s;
    double pinnedSeconds = 0;
  };
  std::vector<Row> rows_;
  QString pinnedLabel_;
};

}  // namespace kevo::app

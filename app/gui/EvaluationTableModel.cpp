#include "EvaluationTableModel.h"

namespace kevo::app {

namespace {
QString seconds(double s) {
  if (s <= 0) return "-";
  if (s < 1e-3) return QString::number(s * 1e6, 'f', 1) + " us";
  if (s < 1) return QString::number(s * 1e3, 'f', 2) + " ms";
  return QString::number(s, 'f', 2) + " s";
}
}  // namespace

EvaluationTableModel::EvaluationTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int EvaluationTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(rows_.size());
}
int EvaluationTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant EvaluationTableModel::headerData(int section, Qt::Orientation orientation,
                                          int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case ShapeSet:
      return "Shape set";
    case Median:
      return "Median";
    case Min:
      return "Min";
    case Spread:
      return "Spread";
    case Baseline:
      return "Problem baseline";
    case Speedup:
      return "Speedup";
    case VsPinned:
      return pinnedLabel_.isEmpty() ? QString("vs pinned") : "vs " + pinnedLabel_;
    case GBs:
      return "GB/s";
    case Gflops:
      return "GFLOP/s";
    case FloorPercent:
      return "% floor";
    case Bottleneck:
      return "Bottleneck";
  }
  return {};
}

QVariant EvaluationTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= int(rows_.size())) return {};
  const Row& r = rows_[size_t(index.row())];
  if (role == Qt::ToolTipRole) return QString::fromStdString(r.s.value("explanation", ""));
  if (role == Qt::TextAlignmentRole && index.column() != ShapeSet && index.column() != Bottleneck)
    return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role != Qt::DisplayRole) return {};
  double median = r.s.value("median_seconds", 0.0);
  switch (index.column()) {
    case ShapeSet:
      return r.name;
    case Median:
      return seconds(median);
    case Min:
      return seconds(r.s.value("min_seconds", 0.0));
    case Spread:
      return r.s.contains("spread") ? QString::number(100 * r.s.value("spread", 0.0), 'f', 0) + "%"
                                    : QString("-");
    case Baseline:
      return seconds(r.s.value("baseline_seconds", 0.0));
    case Speedup:
      return QString::number(r.s.value("speedup", 0.0), 'f', 2) + "x";
    case VsPinned:
      if (r.pinnedSeconds <= 0 || median <= 0) return "-";
      return QString::number(r.pinnedSeconds / median, 'f', 2) + "x";
    case GBs:
      return QString::number(r.s.value("achieved_gbs", 0.0), 'f', 1);
    case Gflops:
      return QString::number(r.s.value("achieved_gflops", 0.0), 'f', 1);
    case FloorPercent:
      return QString::number(100 * r.s.value("fraction_of_floor", 0.0), 'f', 1) + "%";
    case Bottleneck:
      return QString::fromStdString(r.s.value("bottleneck", ""));
  }
  return {};
}

void EvaluationTableModel::setNode(const std::optional<search::SearchNode>& node,
                                   const std::optional<search::SearchNode>& pinned) {
  beginResetModel();
  rows_.clear();
  pinnedLabel_ = pinned ? QString("node %1").arg(pinned->id) : QString();
  if (node && node->summary.is_object()) {
    for (const auto& [name, s] : node->summary.items()) {
      Row r{QString::fromStdString(name), s, 0};
      if (pinned && pinned->summary.contains(name))
        r.pinnedSeconds = pinned->summary[name].value("median_seconds", 0.0);
      rows_.push_back(r);
    }
  }
  endResetModel();
}

}  // namespace kevo::app

#include "NodeTableModel.h"

#include <cmath>

namespace kevo::app {

NodeTableModel::NodeTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int NodeTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(nodes_.size());
}

int NodeTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

namespace {

double worstFloor(const search::SearchNode& n) {
  double worst = -1;
  for (const auto& [name, s] : n.summary.items()) {
    double f = s.value("fraction_of_floor", 0.0);
    if (worst < 0 || f < worst) worst = f;
  }
  return worst;
}

}  // namespace

QVariant NodeTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= int(nodes_.size())) return {};
  const auto& n = nodes_[size_t(index.row())];
  if (role == NodeIdRole) return QVariant::fromValue<qlonglong>(n.id);
  double speedup = n.ok() ? std::exp(n.score) : 0;
  if (role == SortRole) {
    switch (index.column()) {
      case Id:
        return QVariant::fromValue<qlonglong>(n.id);
      case Parent:
        return QVariant::fromValue<qlonglong>(n.parentId);
      case Speedup:
        return speedup;
      case FloorPercent:
        return worstFloor(n);
      default:
        return data(index, Qt::DisplayRole);
    }
  }
  if (role == Qt::ToolTipRole && index.column() == Change) return QString::fromStdString(n.reason);
  if (role == Qt::TextAlignmentRole &&
      (index.column() == Speedup || index.column() == FloorPercent || index.column() == Id))
    return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case Id:
      return QVariant::fromValue<qlonglong>(n.id);
    case Parent:
      return n.parentId > 0 ? QVariant::fromValue<qlonglong>(n.parentId)
                            : QVariant(QStringLiteral("-"));
    case Operator:
      return QString::fromStdString(n.memoryOperator);
    case Recipe:
      return n.recipe.empty() ? QStringLiteral("(user edit)") : QString::fromStdString(n.recipe);
    case Change:
      return QString::fromStdString(n.change);
    case Verdict:
      if (n.status == search::NodeStatus::Lost) return QStringLiteral("lost");
      return n.verdict.empty() ? QStringLiteral("pending") : QString::fromStdString(n.verdict);
    case Speedup:
      return n.ok() ? QString::number(speedup, 'f', 2) + "x" : QString();
    case FloorPercent: {
      double f = worstFloor(n);
      return f >= 0 && n.ok() ? QString::number(100 * f, 'f', 1) + "%" : QString();
    }
    case Bottleneck:
      return QString::fromStdString(n.bottleneck);
    case Marks: {
      QStringList marks;
      if (n.pinned) marks << "pinned";
      if (isPruned(n.id)) marks << "pruned";
      if (n.userMade) marks << "user";
      return marks.join(", ");
    }
  }
  return {};
}

QVariant NodeTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* names[ColumnCount] = {"Node",    "Parent",  "Operator", "Recipe",     "Change",
                                           "Verdict", "Speedup", "% floor",  "Bottleneck", "Marks"};
  return section >= 0 && section < ColumnCount ? QString(names[section]) : QVariant();
}

void NodeTableModel::reset(const std::vector<search::SearchNode>& nodes) {
  beginResetModel();
  nodes_ = nodes;
  rows_.clear();
  for (size_t i = 0; i < nodes_.size(); ++i) rows_[nodes_[i].id] = int(i);
  endResetModel();
}

void NodeTableModel::addNode(const search::SearchNode& node) {
  if (rows_.count(node.id)) {
    updateNode(node);
    return;
  }
  int row = int(nodes_.size());
  beginInsertRows({}, row, row);
  nodes_.push_back(node);
  rows_[node.id] = row;
  endInsertRows();
}

void NodeTableModel::updateNode(const search::SearchNode& node) {
  auto it = rows_.find(node.id);
  if (it == rows_.end()) {
    addNode(node);
    return;
  }
  nodes_[size_t(it->second)] = node;
  emit dataChanged(index(it->second, 0), index(it->second, ColumnCount - 1));
}

const search::SearchNode* NodeTableModel::node(int64_t id) const {
  auto it = rows_.find(id);
  return it == rows_.end() ? nullptr : &nodes_[size_t(it->second)];
}

int NodeTableModel::rowOf(int64_t id) const {
  auto it = rows_.find(id);
  return it == rows_.end() ? -1 : it->second;
}

bool NodeTableModel::isPruned(int64_t id) const {
  for (const search::SearchNode* n = node(id); n; n = n->parentId > 0 ? node(n->parentId) : nullptr)
    if (n->status == search::NodeStatus::Pruned) return true;
  return false;
}

std::vector<int64_t> NodeTableModel::pathTo(int64_t id) const {
  std::vector<int64_t> path;
  for (const search::SearchNode* n = node(id); n; n = n->parentId > 0 ? node(n->parentId) : nullptr)
    path.insert(path.begin(), n->id);
  return path;
}

std::optional<int64_t> NodeTableModel::best() const {
  std::optional<int64_t> best;
  double score = 0;
  for (const auto& n : nodes_)
    if (n.ok() && (!best || n.score > score)) {
      best = n.id;
      score = n.score;
    }
  return best;
}

NodeFilterProxy::NodeFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
  setSortRole(NodeTableModel::SortRole);
}

void NodeFilterProxy::setVerdicts(std::set<QString> v) {
  verdicts_ = std::move(v);
  invalidateFilter();
}
void NodeFilterProxy::setOperators(std::set<QString> o) {
  operators_ = std::move(o);
  invalidateFilter();
}
void NodeFilterProxy::setSpeedupRange(double min, double max) {
  minSpeedup_ = min;
  maxSpeedup_ = max;
  invalidateFilter();
}
void NodeFilterProxy::setBestPathOnly(bool on, std::vector<int64_t> path) {
  bestOnly_ = on;
  bestPath_ = std::set<int64_t>(path.begin(), path.end());
  invalidateFilter();
}
void NodeFilterProxy::setText(const QString& text) {
  text_ = text.trimmed();
  invalidateFilter();
}

bool NodeFilterProxy::accepts(const search::SearchNode& n) const {
  QString verdict = n.verdict.empty() ? (n.status == search::NodeStatus::Lost ? "lost" : "pending")
                                      : QString::fromStdString(n.verdict);
  if (!verdicts_.empty() && !verdicts_.count(verdict)) return false;
  if (!operators_.empty() && !operators_.count(QString::fromStdString(n.memoryOperator)))
    return false;
  if (maxSpeedup_ > minSpeedup_) {
    double s = n.ok() ? std::exp(n.score) : 0;
    if (s < minSpeedup_ || s > maxSpeedup_) return false;
  }
  if (bestOnly_ && !bestPath_.count(n.id)) return false;
  if (!text_.isEmpty()) {
    bool ok = false;
    qlonglong id = text_.toLongLong(&ok);
    if (ok) return n.id == id;
    QString hay = QString::fromStdString(n.recipe + " " + n.change + " " + n.reason);
    if (!hay.contains(text_, Qt::CaseInsensitive)) return false;
  }
  return true;
}

bool NodeFilterProxy::filterAcceptsRow(int row, const QModelIndex& parent) const {
  auto* model = qobject_cast<NodeTableModel*>(sourceModel());
  if (!model || parent.isValid() || row >= int(model->nodes().size())) return true;
  return accepts(model->nodes()[size_t(row)]);
}

}  // namespace kevo::app

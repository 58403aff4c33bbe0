// The session's nodes as a table (the searchable node list, and the source of the GUI's
// filters): one row per node, appended as nodes arrive, updated in place as they are evaluated,
// pinned or pruned. A full reset happens only when a session is loaded.
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <map>
#include <set>
#include <vector>

#include "search/SearchNode.h"

namespace kevo::app {

class NodeTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    Id,
    Parent,
    Operator,
    Recipe,
    Change,
    Verdict,
    Speedup,
    FloorPercent,
    Bottleneck,
    Marks,
    ColumnCount
  };
  static constexpr int NodeIdRole = Qt::UserRole + 1;
  static constexpr int SortRole = Qt::UserRole + 2;

  explicit NodeTableModel(QObject* parent = nullptr);
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

  void reset(const std::vector<search::SearchNode>& nodes);
  void addNode(const search::SearchNode& node);
  void updateNode(const search::SearchNode& node);
  const search::SearchNode* node(int64_t id) const;
  int rowOf(int64_t id) const;
  const std::vector<search::SearchNode>& nodes() const { return nodes_; }
  // Pruned by itself or through an ancestor.
  bool isPruned(int64_t id) const;
  std::vector<int64_t> pathTo(int64_t id) const;  // root first
  std::optional<int64_t> best() const;

 private:
  std::vector<search::SearchNode> nodes_;
  std::map<int64_t, int> rows_;
};

// Filters shared by every view: verdicts, operators, a speedup range, best path only, id text.
class NodeFilterProxy : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  explicit NodeFilterProxy(QObject* parent = nullptr);
  void setVerdicts(std::set<QString> verdicts);    // empty: all
  void setOperators(std::set<QString> operators);  // empty: all
  void setSpeedupRange(double min, double max);    // 0..0: any
  void setBestPathOnly(bool on, std::vector<int64_t> path);
  void setText(const QString& text);  // id or substring of recipe/change
  bool accepts(const search::SearchNode& n) const;

 protected:
  bool filterAcceptsRow(int row, const QModelIndex& parent) const override;

 private:
  std::set<QString> verdicts_, operators_;
  double minSpeedup_ = 0, maxSpeedup_ = 0;
  bool bestOnly_ = false;
  std::set<int64_t> bestPath_;
  QString text_;
};

}  // namespace kevo::app

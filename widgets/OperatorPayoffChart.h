// Which memory operator pays off: per operator (inherit, siblings, combined, fresh, user) how
// many children it produced and how many of them beat their parent, as grouped horizontal bars
// with the improvement rate in the operator's label. The app passes the search's operator
// statistics.
#pragma once

#include <QtCharts/QChartView>
#include <map>
#include <utility>

class QBarCategoryAxis;
class QHorizontalBarSeries;
class QBarSet;
class QValueAxis;

namespace kevo::widgets {

class OperatorPayoffChart : public QChartView {
  Q_OBJECT
 public:
  explicit OperatorPayoffChart(QWidget* parent = nullptr);

  // operator -> (uses, improvements). The five known operators always appear, in their
  // order, then any others alphabetically.
  void setPayoff(std::map<QString, std::pair<int, int>> payoff);

  QStringList categories() const { return categories_; }  // operator names, top to bottom
  QStringList labels() const;  // what the axis shows: "inherit  14/48 (29%)"
  QBarSet* usesSet() const { return uses_; }
  QBarSet* improvementsSet() const { return improvements_; }

 private:
  QStringList categories_;
  QHorizontalBarSeries* series_ = nullptr;
  QBarSet* uses_ = nullptr;
  QBarSet* improvements_ = nullptr;
  QBarCategoryAxis* axisCategories_ = nullptr;
  QValueAxis* axisValues_ = nullptr;
};

}  // namespace kevo::widgets

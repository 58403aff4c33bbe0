#include "OperatorPayoffChart.h"

#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSet>
#include <QtCharts/QHorizontalBarSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>

#include "ChartStyle.h"

namespace kevo::widgets {

OperatorPayoffChart::OperatorPayoffChart(QWidget* parent) : QChartView(parent) {
  applyChartStyle(this);
  auto* c = chart();
  c->setTitle(tr("Memory operator payoff"));
  c->legend()->setAlignment(Qt::AlignBottom);

  uses_ = new QBarSet(tr("children produced"), this);
  uses_->setColor(QColor("#afb8c1"));
  uses_->setBorderColor(QColor("#8c959f"));
  uses_->setLabelColor(QColor("#57606a"));
  improvements_ = new QBarSet(tr("better than their parent"), this);
  improvements_->setColor(QColor("#2da44e"));
  improvements_->setBorderColor(QColor("#1a7f37"));
  improvements_->setLabelColor(QColor("#116329"));
  series_ = new QHorizontalBarSeries(c);
  // Qt draws the first set at the bottom of each group: improvements under uses.
  series_->append(improvements_);
  series_->append(uses_);
  series_->setLabelsVisible(true);
  series_->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  series_->setLabelsFormat("@value");
  series_->setBarWidth(0.75);
  c->addSeries(series_);

  axisCategories_ = new QBarCategoryAxis(c);
  axisValues_ = new QValueAxis(c);
  axisValues_->setLabelFormat("%d");
  axisValues_->setTitleText(tr("children"));
  c->addAxis(axisCategories_, Qt::AlignLeft);
  c->addAxis(axisValues_, Qt::AlignBottom);
  series_->attachAxis(axisCategories_);
  series_->attachAxis(axisValues_);
  setMinimumSize(320, 220);
  setPayoff({});
}

QStringList OperatorPayoffChart::labels() const {
  return axisCategories_->categories();
}

void OperatorPayoffChart::setPayoff(std::map<QString, std::pair<int, int>> payoff) {
  static const QStringList known = {"inherit", "siblings", "combined", "fresh", "user"};
  categories_ = known;
  for (const auto& [op, v] : payoff)
    if (!known.contains(op)) categories_ << op;  // std::map: alphabetical already
  // A horizontal bar chart lists its categories bottom-up: feed them reversed so that the
  // first operator is on top.
  QStringList labels;
  QList<qreal> uses, improvements;
  int top = 0;
  for (auto it = categories_.crbegin(); it != categories_.crend(); ++it) {
    const auto found = payoff.find(*it);
    const int u = found == payoff.end() ? 0 : found->second.first;
    const int i = found == payoff.end() ? 0 : found->second.second;
    uses << u;
    improvements << i;
    top = std::max(top, u);
    labels
        << (u > 0
                ? QString("%1  %2/%3 (%4%)").arg(*it).arg(i).arg(u).arg(std::lround(100.0 * i / u))
                : QString("%1  unused").arg(*it));
  }
  uses_->remove(0, uses_->count());
  improvements_->remove(0, improvements_->count());
  uses_->append(uses);
  improvements_->append(improvements);
  axisCategories_->clear();
  axisCategories_->append(labels);
  // Room for the value labels after the bars; whole-number ticks.
  const int ceiling = std::max(4, int(std::ceil(top * 1.12)));
  axisValues_->setRange(0, ceiling);
  axisValues_->setTickCount(std::min(ceiling, 8) + 1);
  axisValues_->applyNiceNumbers();
}

}  // namespace kevo::widgets

#include "ChartStyle.h"

namespace kevo::widgets {

void applyChartStyle(QChartView* view) {
  view->setRenderHint(QPainter::Antialiasing);
  view->setBackgroundBrush(Qt::white);
  QChart* c = view->chart();
  c->setMargins(QMargins(4, 4, 8, 4));
  c->setBackgroundRoundness(0);
  QFont titleFont = c->titleFont();
  titleFont.setBold(true);
  titleFont.setPointSizeF(titleFont.pointSizeF() + 1);
  c->setTitleFont(titleFont);
}

}  // namespace kevo::widgets

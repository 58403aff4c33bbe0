// The look every Kevo chart shares: antialiased, white, tight margins, square corners, a bold
// title one point larger than the default.
#pragma once

#include <QtCharts/QChartView>

namespace kevo::widgets {

void applyChartStyle(QChartView* view);

}  // namespace kevo::widgets

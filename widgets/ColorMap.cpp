#include "ColorMap.h"

#include <algorithm>
#include <array>

namespace kevo::widgets {

QColor viridis(double t) {
  // Nine control points of matplotlib's viridis, linearly interpolated.
  static const std::array<std::array<double, 3>, 9> stops = {{{0.267, 0.005, 0.329},
                                                              {0.283, 0.141, 0.458},
                                                              {0.254, 0.265, 0.530},
                                                              {0.207, 0.372, 0.553},
                                                              {0.164, 0.471, 0.558},
                                                              {0.128, 0.567, 0.551},
                                                              {0.135, 0.659, 0.518},
                                                              {0.478, 0.821, 0.318},
                                                              {0.993, 0.906, 0.144}}};
  t = std::clamp(t, 0.0, 1.0) * double(stops.size() - 1);
  size_t i = std::min(size_t(t), stops.size() - 2);
  double f = t - double(i);
  auto mix = [&](int c) { return stops[i][size_t(c)] * (1 - f) + stops[i + 1][size_t(c)] * f; };
  return QColor::fromRgbF(float(mix(0)), float(mix(1)), float(mix(2)));
}

}  // namespace kevo::widgets

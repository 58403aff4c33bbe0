// A perceptual colour map (viridis) for values in [0, 1]: the tree view colours nodes by
// speedup with it, and the legend shows the same scale.
#pragma once

#include <QColor>

namespace kevo::widgets {

QColor viridis(double t);

}  // namespace kevo::widgets

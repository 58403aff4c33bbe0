// The key to the search tree view: the speedup colour scale with its ticks, the shape of each
// memory operator, the glyph of each failure and the marks (pinned, approved, user-made,
// pruned, best path, collapsed). The view draws it in a corner; the main window may instead
// dock this widget and hide the corner copy (SearchTreeView::setLegendVisible(false)).
#pragma once

#include <QFont>
#include <QSizeF>
#include <QWidget>

class QPainter;

namespace kevo::widgets {

class SearchTreeLegend : public QWidget {
  Q_OBJECT
 public:
  explicit SearchTreeLegend(QWidget* parent = nullptr);

  // Paints the legend with its top-left corner at topLeft and returns the size it takes;
  // with a null painter it only measures.
  static QSizeF paintLegend(QPainter* p, QPointF topLeft, double minSpeedup, double maxSpeedup,
                            const QFont& font);

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override { return sizeHint(); }

 public slots:
  void setColorRange(double minSpeedup, double maxSpeedup);

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  double min_ = 0.5, max_ = 2.0;
};

}  // namespace kevo::widgets

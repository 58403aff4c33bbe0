#include "SearchTreeLegend.h"

#include <QFontMetricsF>
#include <QGuiApplication>
#include <QLinearGradient>
#include <QPainter>
#include <QPalette>
#include <cmath>

#include "ColorMap.h"
#include "SearchTreeView.h"

namespace kevo::widgets {

using namespace treestyle;

namespace {

constexpr double kPad = 8;
constexpr double kColumns = 3;
constexpr double kColumnWidth = 92;
constexpr double kBarHeight = 10;

QString speedupText(double s) {
  if (s >= 10) return QString::number(s, 'f', 0) + QStringLiteral("×");
  if (s >= 1) return QString::number(s, 'g', 3) + QStringLiteral("×");
  return QString::number(s, 'g', 2) + QStringLiteral("×");
}

// One legend entry: an icon (drawn by a function) and a caption.
struct Entry {
  void (*icon)(QPainter&, QPointF, double, int);
  int arg;
  const char* caption;
};

void shapeIcon(QPainter& p, QPointF c, double r, int shape) {
  p.setPen(QPen(QColor(60, 60, 60), 1));
  p.setBrush(speedupColor(1.5, 0.5, 4));
  drawShape(p, Shape(shape), c, r * 0.8);
}

void glyphIcon(QPainter& p, QPointF c, double r, int verdict) {
  const Verdict v = Verdict(verdict);
  const bool failed = isFailure(v);
  p.setPen(QPen(failed ? failureColor().darker(170) : QColor(110, 110, 110), 1,
                v == Verdict::Pending ? Qt::DashLine : Qt::SolidLine));
  p.setBrush(failed ? failureColor() : v == Verdict::Lost ? lostColor() : pendingColor());
  drawShape(p, Shape::Circle, c, r * 0.85);
  QFont f = p.font();
  f.setBold(true);
  f.setPixelSize(int(r * 1.25));
  p.save();
  p.setFont(f);
  p.setPen(failed || v == Verdict::Lost ? Qt::white : QColor(70, 70, 70));
  p.drawText(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r), Qt::AlignCenter, glyph(v));
  p.restore();
}

enum Mark { MarkPinned, MarkApproved, MarkUser, MarkPruned, MarkBest, MarkCollapsed, MarkUnknown };

void markIcon(QPainter& p, QPointF c, double r, int mark) {
  const QColor fill = speedupColor(1.5, 0.5, 4);
  switch (mark) {
    case MarkPinned:
    case MarkApproved:
    case MarkUser:
      p.setPen(QPen(QColor(60, 60, 60), 1));
      p.setBrush(fill);
      drawShape(p, Shape::Circle, c, r * 0.6);
      if (mark == MarkPinned) drawPin(p, c + QPointF(r * 0.5, -r * 0.5), r * 1.1);
      if (mark == MarkApproved) drawCheck(p, c + QPointF(r * 0.5, r * 0.45), r * 1.1);
      if (mark == MarkUser) drawPencil(p, c + QPointF(-r * 0.5, -r * 0.5), r * 1.1);
      break;
    case MarkPruned: {
      QColor faded = fill;
      faded.setAlpha(70);
      p.setPen(QPen(QColor(60, 60, 60, 110), 1, Qt::DashLine));
      p.setBrush(faded);
      drawShape(p, Shape::Circle, c, r * 0.8);
      break;
    }
    case MarkBest:
      p.setPen(QPen(bestPathColor(), 4, Qt::SolidLine, Qt::RoundCap));
      p.drawLine(c + QPointF(-r, r * 0.6), c + QPointF(r, -r * 0.6));
      break;
    case MarkCollapsed: {
      p.setPen(Qt::NoPen);
      p.setBrush(QColor(70, 70, 70));
      QRectF pill(c.x() - r * 1.1, c.y() - r * 0.6, r * 2.2, r * 1.2);
      p.drawRoundedRect(pill, r * 0.6, r * 0.6);
      QFont f = p.font();
      f.setPixelSize(int(r * 0.95));
      f.setBold(true);
      p.save();
      p.setFont(f);
      p.setPen(Qt::white);
      p.drawText(pill, Qt::AlignCenter, QStringLiteral("+N"));
      p.restore();
      break;
    }
    case MarkUnknown:
      p.setPen(QPen(QColor(60, 60, 60), 1));
      p.setBrush(unknownColor());
      drawShape(p, Shape::Circle, c, r * 0.8);
      break;
  }
}

// Draws (or measures) one titled section of entries in a grid; returns its height.
double section(QPainter* p, QPointF at, const QFont& font, const char* title,
               const std::vector<Entry>& entries) {
  QFontMetricsF fm(font);
  QFont bold = font;
  bold.setBold(true);
  const double line = fm.height() + 3;
  const double icon = std::round(fm.height() * 0.55);
  if (p) {
    p->setFont(bold);
    p->setPen(QGuiApplication::palette().color(QPalette::Text));
    p->drawText(QPointF(at.x(), at.y() + fm.ascent()), QString::fromUtf8(title));
    p->setFont(font);
  }
  double y = at.y() + (title[0] ? line : 0);
  for (size_t k = 0; k < entries.size(); ++k) {
    const int col = int(k % size_t(kColumns));
    if (k > 0 && col == 0) y += line;
    if (!p) continue;
    const QPointF c(at.x() + col * kColumnWidth + icon, y + line / 2);
    p->save();
    p->setRenderHint(QPainter::Antialiasing, true);
    entries[k].icon(*p, c, icon, entries[k].arg);
    p->restore();
    p->setPen(QGuiApplication::palette().color(QPalette::Text));
    p->drawText(QPointF(c.x() + icon + 5, y + (line + fm.ascent() - fm.descent()) / 2),
                QString::fromUtf8(entries[k].caption));
  }
  return y + line - at.y();
}

}  // namespace

SearchTreeLegend::SearchTreeLegend(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
}

void SearchTreeLegend::setColorRange(double minSpeedup, double maxSpeedup) {
  min_ = minSpeedup;
  max_ = maxSpeedup;
  update();
}

QSize SearchTreeLegend::sizeHint() const {
  const QSizeF s = paintLegend(nullptr, {0, 0}, min_, max_, font());
  return QSize(int(std::ceil(s.width())), int(std::ceil(s.height())));
}

void SearchTreeLegend::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::TextAntialiasing, true);
  paintLegend(&p, {0, 0}, min_, max_, font());
}

QSizeF SearchTreeLegend::paintLegend(QPainter* p, QPointF topLeft, double lo, double hi,
                                     const QFont& font) {
  QFontMetricsF fm(font);
  const double width = kColumns * kColumnWidth;
  const double x0 = topLeft.x() + kPad;
  double y = topLeft.y() + kPad;
  const double line = fm.height() + 3;
  QFont bold = font;
  bold.setBold(true);

  // Colour scale: viridis over log speedup, ticks at powers of two.
  if (p) {
    p->setFont(bold);
    p->setPen(QGuiApplication::palette().color(QPalette::Text));
    p->drawText(QPointF(x0, y + fm.ascent()), QObject::tr("Speedup over baseline"));
    p->setFont(font);
  }
  y += line;
  const double barW = width - 20;
  if (p) {
    QLinearGradient g(x0, 0, x0 + barW, 0);
    for (int k = 0; k <= 16; ++k) g.setColorAt(k / 16.0, viridis(k / 16.0));
    p->setPen(Qt::NoPen);
    p->setBrush(g);
    p->drawRect(QRectF(x0, y, barW, kBarHeight));
  }
  y += kBarHeight;
  if (lo > 0 && hi > lo) {
    const double llo = std::log2(lo), lhi = std::log2(hi);
    const int first = int(std::ceil(llo - 1e-9)), last = int(std::floor(lhi + 1e-9));
    const int step = std::max(1, (last - first + 5) / 6);
    if (p) {
      p->setPen(QGuiApplication::palette().color(QPalette::Text));
      for (int e = first; e <= last; e += step) {
        const double xx = x0 + barW * (e - llo) / (lhi - llo);
        p->drawLine(QPointF(xx, y), QPointF(xx, y + 3));
        const QString t = speedupText(std::pow(2.0, e));
        const double tw = fm.horizontalAdvance(t);
        const double tx = std::clamp(xx - tw / 2, x0 - 4, x0 + barW + 12 - tw);
        p->drawText(QPointF(tx, y + 3 + fm.ascent()), t);
      }
    }
  }
  y += 3 + fm.height() + 2;

  y += section(p, {x0, y}, font, "",
               {{markIcon, MarkUnknown, "no speedup"},
                {glyphIcon, int(Verdict::Pending), "pending"},
                {glyphIcon, int(Verdict::Lost), "lost"}}) +
       4;
  y += section(p, {x0, y}, font, "Shape: memory operator",
               {{shapeIcon, int(Shape::Circle), "inherit"},
                {shapeIcon, int(Shape::Square), "siblings"},
                {shapeIcon, int(Shape::Diamond), "combined"},
                {shapeIcon, int(Shape::Triangle), "fresh"},
                {shapeIcon, int(Shape::Hexagon), "user"},
                {shapeIcon, int(Shape::RoundedRect), "root"}}) +
       4;
  y += section(p, {x0, y}, font, "Red: failed",
               {{glyphIcon, int(Verdict::CompileError), "compile error"},
                {glyphIcon, int(Verdict::Crash), "crash"},
                {glyphIcon, int(Verdict::Timeout), "timeout"},
                {glyphIcon, int(Verdict::WrongAnswer), "wrong answer"},
                {glyphIcon, int(Verdict::Rejected), "rejected"}}) +
       4;
  y += section(p, {x0, y}, font, "Marks",
               {{markIcon, MarkPinned, "pinned"},
                {markIcon, MarkApproved, "approved"},
                {markIcon, MarkUser, "user-made"},
                {markIcon, MarkBest, "best path"},
                {markIcon, MarkCollapsed, "collapsed"},
                {markIcon, MarkPruned, "pruned/filtered"}});
  return QSizeF(width + 2 * kPad, y + kPad - topLeft.y());
}

}  // namespace kevo::widgets

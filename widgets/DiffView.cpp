#include "DiffView.h"

#include <Qsci/qsciscintilla.h>

#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QShortcut>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

#include "SourceView.h"

namespace kevo::widgets {

using util::RowKind;

namespace {

// Line tints (GitHub's light diff palette) and the stronger colours of the change bar and the
// intra-line ranges.
const QColor kInsertTint("#e6ffec"), kDeleteTint("#ffebe9"), kChangeTint("#fff5d1"),
    kFillerTint("#eaecef");
const QColor kInsertBar("#2da44e"), kDeleteBar("#cf222e"), kChangeBar("#d4a72c");
const QColor kRemovedText("#ff8182"), kAddedText("#4ac26b");

QColor barColor(RowKind k) {
  switch (k) {
    case RowKind::Insert:
      return kInsertBar;
    case RowKind::Delete:
      return kDeleteBar;
    case RowKind::Change:
      return kChangeBar;
    case RowKind::Equal:
      break;
  }
  return Qt::transparent;
}

}  // namespace

// A strip beside the right scroll bar: every changed row at its place in the whole file, the
// visible part as a frame; a click scrolls there.
class DiffOverview : public QWidget {
 public:
  explicit DiffOverview(DiffView* view) : QWidget(view), view_(view) {
    setFixedWidth(12);
    setCursor(Qt::PointingHandCursor);
    setToolTip(QObject::tr("Changes in the whole file; click to scroll there"));
  }
  void setVisibleRows(int first, int count) {
    first_ = first;
    count_ = count;
    update();
  }

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    p.fillRect(rect(), QColor("#f6f8fa"));
    const int rows = view_->rowCount();
    if (rows == 0) return;
    const double h = height();
    auto y = [&](int row) { return h * row / rows; };
    for (const auto& hunk : view_->diff().hunks) {
      int r = hunk.firstRow;
      const int end = hunk.firstRow + hunk.rowCount;
      while (r < end) {
        const RowKind k = view_->rowKind(r);
        int e = r;
        while (e < end && view_->rowKind(e) == k) ++e;
        const double top = y(r), bottom = std::max(y(e), top + 2.0);
        p.fillRect(QRectF(2, top, width() - 4, bottom - top), barColor(k));
        r = e;
      }
    }
    if (count_ > 0 && count_ < rows) {
      p.setPen(QPen(QColor(0, 0, 0, 90), 1));
      p.setBrush(QColor(0, 0, 0, 18));
      p.drawRect(
          QRectF(0.5, y(first_), width() - 1.0, std::max(4.0, y(first_ + count_) - y(first_))));
    }
  }
  void mousePressEvent(QMouseEvent* e) override { scrollTo(e->position().y()); }
  void mouseMoveEvent(QMouseEvent* e) override {
    if (e->buttons() & Qt::LeftButton) scrollTo(e->position().y());
  }

 private:
  void scrollTo(double py) {
    const int rows = view_->rowCount();
    if (rows == 0 || height() <= 0) return;
    view_->scrollToRow(std::clamp(int(py / height() * rows), 0, rows - 1));
  }
  DiffView* view_;
  int first_ = 0, count_ = 0;
};

DiffView::DiffView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);

  auto* bar = new QHBoxLayout;
  bar->setContentsMargins(4, 2, 4, 2);
  summaryLabel_ = new QLabel(this);
  summaryLabel_->setTextFormat(Qt::RichText);
  prevButton_ = new QToolButton(this);
  prevButton_->setArrowType(Qt::UpArrow);
  prevButton_->setToolTip(tr("Previous change (Alt+Up)"));
  prevButton_->setAutoRaise(true);
  nextButton_ = new QToolButton(this);
  nextButton_->setArrowType(Qt::DownArrow);
  nextButton_->setToolTip(tr("Next change (Alt+Down)"));
  nextButton_->setAutoRaise(true);
  bar->addWidget(summaryLabel_, 1);
  bar->addWidget(prevButton_);
  bar->addWidget(nextButton_);
  layout->addLayout(bar);
  connect(prevButton_, &QToolButton::clicked, this, &DiffView::previousChange);
  connect(nextButton_, &QToolButton::clicked, this, &DiffView::nextChange);
  auto* up = new QShortcut(QKeySequence(Qt::ALT | Qt::Key_Up), this);
  up->setContext(Qt::WidgetWithChildrenShortcut);
  connect(up, &QShortcut::activated, this, &DiffView::previousChange);
  auto* down = new QShortcut(QKeySequence(Qt::ALT | Qt::Key_Down), this);
  down->setContext(Qt::WidgetWithChildrenShortcut);
  connect(down, &QShortcut::activated, this, &DiffView::nextChange);

  auto* splitter = new QSplitter(Qt::Horizontal, this);
  splitter->setChildrenCollapsible(false);
  for (int s : {Left, Right}) {
    auto* pane = new QWidget(splitter);
    auto* pl = new QVBoxLayout(pane);
    pl->setContentsMargins(0, 0, 0, 0);
    pl->setSpacing(0);
    titles_[s] = new QLabel(pane);
    titles_[s]->setStyleSheet(
        "QLabel { background: #eaeef2; border-bottom: 1px solid #d0d7de; padding: 3px 6px;"
        " font-weight: 600; }");
    auto* e = new QsciScintilla(pane);
    editors_[s] = e;
    applyKernelStyle(e);
    e->setReadOnly(true);
    e->setCaretLineVisible(false);
    e->setCaretWidth(0);
    e->setMarginType(0, QsciScintilla::TextMarginRightJustified);
    e->setMarginWidth(0, QString(" 00000"));
    e->setMarginType(1, QsciScintilla::SymbolMargin);
    e->setMarginWidth(1, 5);
    e->setMarginMarkerMask(0, 0);
    e->setMarginMarkerMask(
        1, (1 << InsertBarMarker) | (1 << DeleteBarMarker) | (1 << ChangeBarMarker));
    e->setMarginWidth(2, 0);
    e->setFolding(QsciScintilla::NoFoldStyle);
    for (auto [m, c] : {std::pair{InsertLineMarker, kInsertTint},
                        {DeleteLineMarker, kDeleteTint},
                        {ChangeLineMarker, kChangeTint},
                        {FillerLineMarker, kFillerTint}}) {
      e->markerDefine(QsciScintilla::Background, m);
      e->setMarkerBackgroundColor(c, m);
    }
    for (auto [m, c] : {std::pair{InsertBarMarker, kInsertBar},
                        {DeleteBarMarker, kDeleteBar},
                        {ChangeBarMarker, kChangeBar}}) {
      e->markerDefine(QsciScintilla::FullRectangle, m);
      e->setMarkerBackgroundColor(c, m);
      e->setMarkerForegroundColor(c, m);
    }
    for (auto [ind, c] :
         {std::pair{RemovedTextIndicator, kRemovedText}, {AddedTextIndicator, kAddedText}}) {
      e->indicatorDefine(QsciScintilla::StraightBoxIndicator, ind);
      e->setIndicatorDrawUnder(true, ind);
      e->setIndicatorForegroundColor(c, ind);
      e->SendScintilla(QsciScintillaBase::SCI_INDICSETALPHA, ind, 110L);
      e->SendScintilla(QsciScintillaBase::SCI_INDICSETOUTLINEALPHA, ind, 0L);
    }
    pl->addWidget(titles_[s]);
    pl->addWidget(e, 1);
    splitter->addWidget(pane);
  }
  // One vertical scroll bar (the right one) drives both sides.
  editors_[Left]->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  overview_ = new DiffOverview(this);
  auto* body = new QHBoxLayout;
  body->setContentsMargins(0, 0, 0, 0);
  body->setSpacing(0);
  body->addWidget(splitter, 1);
  body->addWidget(overview_);
  layout->addLayout(body, 1);

  for (int s : {Left, Right}) {
    auto* e = editors_[s];
    connect(e->verticalScrollBar(), &QScrollBar::valueChanged, this,
            [this, s] { syncScroll(Side(s)); });
    connect(e->horizontalScrollBar(), &QScrollBar::valueChanged, this,
            [this, s] { syncScroll(Side(s)); });
    // Scrolling by API (setFirstVisibleLine) before the scroll bars have their range.
    connect(e, &QsciScintillaBase::SCN_UPDATEUI, this, [this, s](int updated) {
      if (updated & (QsciScintillaBase::SC_UPDATE_V_SCROLL | QsciScintillaBase::SC_UPDATE_H_SCROLL))
        syncScroll(Side(s));
    });
  }
  showMessage(QString());
}

QString DiffView::title(Side side) const {
  return titleText_[side];
}

void DiffView::setTexts(const QString& leftTitle, const QString& leftText,
                        const QString& rightTitle, const QString& rightText) {
  titleText_[Left] = leftTitle;
  titleText_[Right] = rightTitle;
  oldLines_ = util::splitLines(leftText.toStdString());
  newLines_ = util::splitLines(rightText.toStdString());
  diff_ = util::diffLines(oldLines_, newLines_);
  if (diff_.identical())
    summary_ = tr("identical (%1 lines)").arg(newLines_.size());
  else
    summary_ = QString("+%1 -%2 lines").arg(diff_.insertedLines).arg(diff_.deletedLines);
  QString rich;
  if (diff_.identical()) {
    rich = tr("<b>No differences</b> &mdash; %1 lines").arg(newLines_.size());
  } else {
    rich = QString(
               "<b><span style='color:%1'>+%2</span> <span style='color:%3'>&minus;%4</span>"
               "</b> lines &nbsp;&middot;&nbsp; %5")
               .arg(kInsertBar.name())
               .arg(diff_.insertedLines)
               .arg(kDeleteBar.name())
               .arg(diff_.deletedLines)
               .arg(diff_.hunks.size() == 1 ? tr("1 changed region")
                                            : tr("%1 changed regions").arg(diff_.hunks.size()));
    if (!diff_.exact) rich += tr(" &middot; approximate (files too different)");
  }
  summaryLabel_->setText(rich);
  render();
}

void DiffView::showMessage(const QString& message) {
  titleText_[Left].clear();
  titleText_[Right].clear();
  oldLines_.clear();
  newLines_.clear();
  diff_ = {};
  summary_ = message;
  summaryLabel_->setText(message.toHtmlEscaped());
  render();
}

void DiffView::render() {
  currentHunk_ = -1;
  const int rows = rowCount();
  for (int s : {Left, Right}) {
    titles_[s]->setText(titleText_[s]);
    titles_[s]->setVisible(!titleText_[s].isEmpty());
    const auto& lines = s == Left ? oldLines_ : newLines_;
    std::string joined;
    size_t bytes = 0;
    for (const auto& l : lines) bytes += l.size() + 1;
    joined.reserve(bytes + size_t(rows));
    for (int r = 0; r < rows; ++r) {
      const auto& row = diff_.rows[size_t(r)];
      const int line = s == Left ? row.oldLine : row.newLine;
      if (line >= 0) joined += lines[size_t(line)];
      if (r + 1 < rows) joined += '\n';
    }
    QsciScintilla* e = editors_[s];
    e->setReadOnly(false);
    e->clearMarginText();
    e->setText(QString::fromStdString(joined));
    e->setReadOnly(true);
    e->markerDeleteAll();

    const int width = int(QString::number(std::max<size_t>(lines.size(), 99)).size());
    e->setMarginWidth(0, QString(width + 2, '0'));
    const int removedOrAdded = s == Left ? RemovedTextIndicator : AddedTextIndicator;
    e->SendScintilla(QsciScintillaBase::SCI_SETINDICATORCURRENT, removedOrAdded);
    for (int r = 0; r < rows; ++r) {
      const auto& row = diff_.rows[size_t(r)];
      const int line = s == Left ? row.oldLine : row.newLine;
      if (line >= 0)
        e->setMarginText(r, QString::number(line + 1) + " ", QsciScintillaBase::STYLE_LINENUMBER);
      switch (row.kind) {
        case RowKind::Equal:
          break;
        case RowKind::Insert:
          e->markerAdd(r, s == Left ? FillerLineMarker : InsertLineMarker);
          if (s == Right) e->markerAdd(r, InsertBarMarker);
          break;
        case RowKind::Delete:
          e->markerAdd(r, s == Left ? DeleteLineMarker : FillerLineMarker);
          if (s == Left) e->markerAdd(r, DeleteBarMarker);
          break;
        case RowKind::Change: {
          e->markerAdd(r, ChangeLineMarker);
          e->markerAdd(r, ChangeBarMarker);
          const long start = e->SendScintilla(QsciScintillaBase::SCI_POSITIONFROMLINE, r);
          for (const auto& cr : s == Left ? row.oldRanges : row.newRanges)
            e->SendScintilla(QsciScintillaBase::SCI_INDICATORFILLRANGE, start + cr.begin,
                             long(cr.end - cr.begin));
          break;
        }
      }
    }
  }
  prevButton_->setEnabled(!diff_.hunks.empty());
  nextButton_->setEnabled(!diff_.hunks.empty());
  if (!diff_.hunks.empty()) {
    goToHunk(0);
  } else {
    editors_[Right]->setFirstVisibleLine(0);
  }
  syncScroll(Right);
  overview_->update();
}

void DiffView::syncScroll(Side from) {
  if (syncing_) return;
  syncing_ = true;
  QsciScintilla* src = editors_[from];
  QsciScintilla* dst = editors_[from == Left ? Right : Left];
  dst->verticalScrollBar()->setValue(src->verticalScrollBar()->value());
  dst->setFirstVisibleLine(src->firstVisibleLine());
  dst->horizontalScrollBar()->setValue(src->horizontalScrollBar()->value());
  overview_->setVisibleRows(src->firstVisibleLine(),
                            int(src->SendScintilla(QsciScintillaBase::SCI_LINESONSCREEN)));
  syncing_ = false;
}

int DiffView::rowOfOldLine(int oldLine) const {
  for (int r = 0; r < rowCount(); ++r)
    if (diff_.rows[size_t(r)].oldLine == oldLine) return r;
  return -1;
}

int DiffView::rowOfNewLine(int newLine) const {
  for (int r = 0; r < rowCount(); ++r)
    if (diff_.rows[size_t(r)].newLine == newLine) return r;
  return -1;
}

void DiffView::scrollToRow(int row) {
  if (rowCount() == 0) return;
  row = std::clamp(row, 0, rowCount() - 1);
  QsciScintilla* e = editors_[Right];
  // A quarter of a screen of context above the row (a few lines before the first layout).
  const int visible = int(e->SendScintilla(QsciScintillaBase::SCI_LINESONSCREEN));
  e->setFirstVisibleLine(std::max(0, row - (visible > 12 ? visible / 4 : 4)));
  syncScroll(Right);
}

void DiffView::goToHunk(int hunk) {
  if (hunk < 0 || hunk >= int(diff_.hunks.size())) return;
  currentHunk_ = hunk;
  scrollToRow(diff_.hunks[size_t(hunk)].firstRow);
}

void DiffView::nextChange() {
  if (diff_.hunks.empty()) return;
  goToHunk(std::min(currentHunk_ + 1, int(diff_.hunks.size()) - 1));
}

void DiffView::previousChange() {
  if (diff_.hunks.empty()) return;
  goToHunk(std::max(currentHunk_ - 1, 0));
}

}  // namespace kevo::widgets

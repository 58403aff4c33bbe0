// Side-by-side diff of two kernel sources for the inspector: left a reference (the parent, the
// pinned baseline or any node the user picked), right the selected node. Rows are aligned
// (util::LineDiff), lines tinted by kind (insert green, delete red, change amber) with the
// changed characters of a changed pair highlighted more strongly, both sides scroll together,
// an overview strip shows where the changes are, and a summary line counts them.
#pragma once

#include <QWidget>
#include <vector>

#include "util/LineDiff.h"

class QsciScintilla;
class QLabel;
class QToolButton;

namespace kevo::widgets {

class DiffOverview;

class DiffView : public QWidget {
  Q_OBJECT
 public:
  enum Side { Left = 0, Right = 1 };
  // Marker numbers on each editor's display lines (one display line per row).
  enum Marker {
    InsertLineMarker = 1,
    DeleteLineMarker = 2,
    ChangeLineMarker = 3,
    FillerLineMarker = 4,
    InsertBarMarker = 5,
    DeleteBarMarker = 6,
    ChangeBarMarker = 7
  };
  // Indicator numbers for the intra-line ranges: removed text on the left, added on the right.
  enum Indicator { RemovedTextIndicator = 8, AddedTextIndicator = 9 };

  explicit DiffView(QWidget* parent = nullptr);

  // Left: the reference ("node 12 (parent)"); right: the node shown ("node 17").
  void setTexts(const QString& leftTitle, const QString& leftText, const QString& rightTitle,
                const QString& rightText);
  // Nothing to compare (a root node has no parent): empties both sides and says why.
  void showMessage(const QString& message);
  void clear() { showMessage(QString()); }

  const kevo::util::LineDiff& diff() const { return diff_; }
  QString summary() const { return summary_; }  // "+5 -3 lines", "identical", or the message
  QString title(Side side) const;
  int rowCount() const { return int(diff_.rows.size()); }
  kevo::util::RowKind rowKind(int row) const { return diff_.rows[size_t(row)].kind; }
  // The row (= display line of both editors) showing a 0-based line of either text; -1 if none.
  int rowOfOldLine(int oldLine) const;
  int rowOfNewLine(int newLine) const;
  QsciScintilla* editor(Side side) const { return editors_[side]; }
  int currentHunk() const { return currentHunk_; }

 public slots:
  void nextChange();
  void previousChange();
  void scrollToRow(int row);

 private:
  void render();
  void syncScroll(Side from);
  void goToHunk(int hunk);

  QsciScintilla* editors_[2] = {nullptr, nullptr};
  QLabel* titles_[2] = {nullptr, nullptr};
  QLabel* summaryLabel_ = nullptr;
  QToolButton* prevButton_ = nullptr;
  QToolButton* nextButton_ = nullptr;
  DiffOverview* overview_ = nullptr;
  QString titleText_[2];
  std::vector<std::string> oldLines_, newLines_;
  kevo::util::LineDiff diff_;
  QString summary_;
  int currentHunk_ = -1;
  bool syncing_ = false;
};

}  // namespace kevo::widgets

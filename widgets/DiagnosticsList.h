// The compile diagnostics of one build as a list under the source pane: severity, location and
// message per row, errors first in the summary. Clicking a row asks the source view to jump to
// it; connectDiagnostics() wires a list to a SourceView both ways.
#pragma once

#include <QTreeWidget>
#include <vector>

#include "backend/CompileDiagnostic.h"

namespace kevo::widgets {

class SourceView;

class DiagnosticsList : public QTreeWidget {
  Q_OBJECT
 public:
  enum Column { SeverityColumn = 0, LocationColumn = 1, MessageColumn = 2 };

  explicit DiagnosticsList(QWidget* parent = nullptr);

  void setDiagnostics(const std::vector<kevo::backend::CompileDiagnostic>& diagnostics);
  const std::vector<kevo::backend::CompileDiagnostic>& diagnostics() const { return diagnostics_; }
  int errorCount() const { return errors_; }
  int warningCount() const { return warnings_; }
  QString summary() const;  // "2 errors, 1 warning", "no diagnostics"

 public slots:
  // Selects the first row on this 1-based line (no signal).
  void selectLine(int line);
  // As if the user clicked row `index`.
  void activate(int index);

 signals:
  // 1-based line and column (0: none) of the diagnostic the user picked.
  void diagnosticActivated(int line, int column);

 private:
  std::vector<kevo::backend::CompileDiagnostic> diagnostics_;
  int errors_ = 0, warnings_ = 0;
};

// Clicking a list row jumps the view to its line; clicking a marker in the view's margin
// selects the row; the list follows the view's setDiagnostics(). Both must outlive neither.
void connectDiagnostics(DiagnosticsList* list, SourceView* view);

}  // namespace kevo::widgets

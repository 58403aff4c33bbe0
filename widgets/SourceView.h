// The inspector's source pane: a kernel's C++/CUDA source in QScintilla (highlighting with the
// CUDA and SIMD vocabulary, line numbers, folding), read-only unless the user edits a node, with
// the compile diagnostics of its build as annotations under their lines and markers in the
// margin. DiffView reuses its lexer and styling. The app hands it a node's source and
// diagnostics; it never looks anything up.
#pragma once

#include <Qsci/qscilexercpp.h>
#include <Qsci/qsciscintilla.h>

#include <vector>

#include "backend/CompileDiagnostic.h"

namespace kevo::widgets {

// QsciLexerCPP plus CUDA/HIP qualifiers (keyword set 1), device builtins such as threadIdx and
// __syncthreads (set 2) and vector/SIMD types such as float4, __half and __m512 (set 4).
class KernelLexer : public QsciLexerCPP {
  Q_OBJECT
 public:
  explicit KernelLexer(QObject* parent = nullptr);
  const char* keywords(int set) const override;
};

// Monospace font, colours, line-number margin, UTF-8: what every source editor in Kevo shares.
// Installs a KernelLexer owned by `editor`.
void applyKernelStyle(QsciScintilla* editor);
QFont sourceFont();

class SourceView : public QsciScintilla {
  Q_OBJECT
 public:
  // Marker numbers (also what tests look for with markersAtLine()).
  enum Marker {
    ErrorMarker = 0,
    WarningMarker = 1,
    NoteMarker = 2,
    ErrorLineMarker = 3,
    WarningLineMarker = 4
  };

  explicit SourceView(QWidget* parent = nullptr);

  // Replaces the text; clears diagnostics and the modified flag.
  void setSource(const QString& text);
  QString source() const { return text(); }

  void setEditable(bool editable);
  bool isEditable() const { return !isReadOnly(); }

  // The file name diagnostics must carry to be drawn in this view (its base name is compared;
  // default "kernel.cpp", what the CPU backend compiles). Diagnostics for other files (headers)
  // and without a line still reach the DiagnosticsList.
  void setSourceName(const QString& name) { sourceName_ = name; }
  const QString& sourceName() const { return sourceName_; }

  void setDiagnostics(std::vector<kevo::backend::CompileDiagnostic> diagnostics);
  void clearDiagnostics();
  const std::vector<kevo::backend::CompileDiagnostic>& diagnostics() const { return diagnostics_; }
  bool isShownHere(const kevo::backend::CompileDiagnostic& d) const;

 public slots:
  // 1-based line (and column, 0 for none), as compilers count: moves the cursor there, unfolds
  // and centres it.
  void jumpToLine(int line) { jumpTo(line, 0); }
  void jumpTo(int line, int column);

 signals:
  // A diagnostic marker in the margin was clicked (1-based line); the view has jumped there.
  void diagnosticActivated(int line);
  void diagnosticsChanged(const std::vector<kevo::backend::CompileDiagnostic>& diagnostics);

 private:
  void onMarginClicked(int margin, int line, Qt::KeyboardModifiers modifiers);
  void updateLineNumberWidth();

  std::vector<kevo::backend::CompileDiagnostic> diagnostics_;
  QString sourceName_ = QStringLiteral("kernel.cpp");
  int errorIndicator_ = -1, warningIndicator_ = -1;
};

}  // namespace kevo::widgets

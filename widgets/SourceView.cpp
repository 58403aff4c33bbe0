#include "SourceView.h"

#include <Qsci/qscistyle.h>
#include <Qsci/qscistyledtext.h>

#include <QFileInfo>
#include <QFontDatabase>
#include <QMap>
#include <algorithm>
#include <string>

namespace kevo::widgets {

namespace {

// QsciLexerCPP's list stops at C++98: the modern keywords, then CUDA/HIP qualifiers.
const char* kQualifiers =
    " alignas alignof char8_t char16_t char32_t concept consteval constexpr constinit co_await"
    " co_return co_yield decltype final noexcept nullptr override requires static_assert"
    " thread_local"
    " __global__ __device__ __host__ __shared__ __constant__ __managed__ __restrict__"
    " __forceinline__ __noinline__ __launch_bounds__ __grid_constant__ __align__"
    " __restrict __attribute__ __builtin_expect __builtin_assume_aligned __builtin_prefetch"
    " restrict";

const char* kBuiltins =
    "threadIdx blockIdx blockDim gridDim warpSize __syncthreads __syncthreads_count"
    " __syncthreads_and __syncthreads_or __syncwarp __threadfence __threadfence_block"
    " __shfl_sync __shfl_up_sync __shfl_down_sync __shfl_xor_sync __ballot_sync __any_sync"
    " __all_sync __activemask __reduce_add_sync __reduce_max_sync __ldg __ldcg __ldcs __stcg"
    " __stcs __fmaf_rn __fmul_rn __fadd_rn __fdividef __expf __exp10f __logf __log2f __powf"
    " __sinf __cosf __frcp_rn __fsqrt_rn rsqrtf __popc __popcll __clz __ffs __brev"
    " atomicAdd atomicSub atomicMax atomicMin atomicExch atomicCAS atomicAnd atomicOr atomicXor"
    " atomicInc atomicDec __half2float __float2half __float2bfloat16 __bfloat162float"
    " cudaStream_t cudaError_t hipStream_t hipLaunchKernelGGL wmma mma_sync load_matrix_sync"
    " store_matrix_sync fill_fragment __cvta_generic_to_shared __pipeline_commit"
    " __pipeline_wait_prior __nanosleep clock64";

const char* kTypes =
    "dim3 half half2 __half __half2 __nv_bfloat16 __nv_bfloat162 float2 float3 float4 double2"
    " double4 int2 int3 int4 uint2 uint3 uint4 char4 uchar4 short2 short4 longlong2"
    " __m128 __m128d __m128i __m256 __m256d __m256i __m512 __m512d __m512i __m512bh"
    " __mmask8 __mmask16 __mmask32 __mmask64 float16x8_t float32x4_t int8_t int16_t int32_t"
    " int64_t uint8_t uint16_t uint32_t uint64_t size_t ptrdiff_t uintptr_t intptr_t"
    " kevo_tensor kevo_scalar kevo_dtype";

}  // namespace

KernelLexer::KernelLexer(QObject* parent) : QsciLexerCPP(parent) {}

const char* KernelLexer::keywords(int set) const {
  if (set == 1) {
    static const std::string words = std::string(QsciLexerCPP::keywords(1)) + kQualifiers;
    return words.c_str();
  }
  if (set == 2) return kBuiltins;
  if (set == 4) return kTypes;
  return QsciLexerCPP::keywords(set);
}

QFont sourceFont() {
  QFont f = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  f.setStyleHint(QFont::Monospace);
  f.setPointSize(10);
  return f;
}

void applyKernelStyle(QsciScintilla* editor) {
  auto* lexer = new KernelLexer(editor);
  const QFont font = sourceFont();
  QFont italic = font;
  italic.setItalic(true);
  lexer->setDefaultFont(font);
  lexer->setFont(font, -1);
  lexer->setDefaultPaper(Qt::white);
  lexer->setPaper(Qt::white, -1);
  lexer->setDefaultColor(QColor("#1f2328"));
  lexer->setColor(QColor("#1f2328"), -1);
  // A light palette close to GitHub's: keywords red, types and builtins distinct, comments grey.
  const QColor comment("#6e7781"), keyword("#cf222e"), string("#0a3069"), number("#0550ae"),
      preprocessor("#8250df"), builtin("#953800"), type("#116329");
  for (int s : {QsciLexerCPP::Comment, QsciLexerCPP::CommentLine, QsciLexerCPP::CommentDoc,
                QsciLexerCPP::CommentLineDoc, QsciLexerCPP::CommentDocKeyword,
                QsciLexerCPP::PreProcessorComment, QsciLexerCPP::PreProcessorCommentLineDoc}) {
    lexer->setColor(comment, s);
    lexer->setFont(italic, s);
  }
  lexer->setColor(keyword, QsciLexerCPP::Keyword);
  for (int s : {QsciLexerCPP::DoubleQuotedString, QsciLexerCPP::SingleQuotedString,
                QsciLexerCPP::RawString, QsciLexerCPP::UnclosedString})
    lexer->setColor(string, s);
  lexer->setColor(number, QsciLexerCPP::Number);
  lexer->setColor(preprocessor, QsciLexerCPP::PreProcessor);
  lexer->setColor(builtin, QsciLexerCPP::KeywordSet2);
  lexer->setColor(type, QsciLexerCPP::GlobalClass);
  lexer->setColor(QColor("#1f2328"), QsciLexerCPP::Operator);
  lexer->setColor(QColor("#1f2328"), QsciLexerCPP::Identifier);

  editor->setUtf8(true);
  editor->setLexer(lexer);
  // Scintilla cannot know the compiler's predefined macros (__AVX512F__, __CUDA_ARCH__), so
  // styling "inactive" #if branches differently would grey out the real kernel: track nothing.
  editor->SendScintilla(QsciScintillaBase::SCI_SETPROPERTY, "lexer.cpp.track.preprocessor", "0");
  editor->setFont(font);
  editor->setMarginsFont(font);
  editor->setMarginsForegroundColor(QColor("#8c959f"));
  editor->setMarginsBackgroundColor(QColor("#f6f8fa"));
  editor->setTabWidth(4);
  editor->setIndentationsUseTabs(false);
  editor->setBraceMatching(QsciScintilla::SloppyBraceMatch);
  editor->setMatchedBraceBackgroundColor(QColor("#d8e6ff"));
  editor->setSelectionBackgroundColor(QColor("#b6d7ff"));
  editor->setCaretForegroundColor(QColor("#1f2328"));
  editor->setWrapMode(QsciScintilla::WrapNone);
  editor->setEolMode(QsciScintilla::EolUnix);
  editor->SendScintilla(QsciScintillaBase::SCI_SETSCROLLWIDTHTRACKING, 1L);
  editor->SendScintilla(QsciScintillaBase::SCI_SETSCROLLWIDTH, 1L);
}

SourceView::SourceView(QWidget* parent) : QsciScintilla(parent) {
  applyKernelStyle(this);

  setMarginType(0, NumberMargin);
  setMarginLineNumbers(0, true);
  setMarginType(1, SymbolMargin);
  setMarginWidth(1, 16);
  setMarginSensitivity(1, true);
  setMarginMarkerMask(1, (1 << ErrorMarker) | (1 << WarningMarker) | (1 << NoteMarker));
  setFolding(BoxedTreeFoldStyle, 2);
  setFoldMarginColors(QColor("#f6f8fa"), QColor("#f6f8fa"));
  setMarginMarkerMask(0, 0);

  markerDefine(Circle, ErrorMarker);
  setMarkerBackgroundColor(QColor("#cf222e"), ErrorMarker);
  setMarkerForegroundColor(QColor("#a40e26"), ErrorMarker);
  markerDefine(Circle, WarningMarker);
  setMarkerBackgroundColor(QColor("#d4a72c"), WarningMarker);
  setMarkerForegroundColor(QColor("#9a6700"), WarningMarker);
  markerDefine(SmallRectangle, NoteMarker);
  setMarkerBackgroundColor(QColor("#8c959f"), NoteMarker);
  setMarkerForegroundColor(QColor("#6e7781"), NoteMarker);
  markerDefine(Background, ErrorLineMarker);
  setMarkerBackgroundColor(QColor("#ffebe9"), ErrorLineMarker);
  markerDefine(Background, WarningLineMarker);
  setMarkerBackgroundColor(QColor("#fff8c5"), WarningLineMarker);

  errorIndicator_ = indicatorDefine(SquiggleIndicator);
  setIndicatorForegroundColor(QColor("#cf222e"), errorIndicator_);
  warningIndicator_ = indicatorDefine(SquiggleIndicator);
  setIndicatorForegroundColor(QColor("#bf8700"), warningIndicator_);

  setAnnotationDisplay(AnnotationIndented);
  setCaretLineVisible(true);
  setCaretLineBackgroundColor(QColor("#eef4ff"));
  setReadOnly(true);

  connect(this, &QsciScintilla::marginClicked, this, &SourceView::onMarginClicked);
  connect(this, &QsciScintilla::linesChanged, this, &SourceView::updateLineNumberWidth);
  updateLineNumberWidth();
}

void SourceView::setSource(const QString& source) {
  clearDiagnostics();
  const bool ro = isReadOnly();
  setReadOnly(false);
  setText(source);
  setReadOnly(ro);
  setModified(false);
  setCursorPosition(0, 0);
  updateLineNumberWidth();
}

void SourceView::setEditable(bool editable) {
  setReadOnly(!editable);
  setCaretWidth(editable ? 2 : 1);
  setCaretLineBackgroundColor(editable ? QColor("#fff8dc") : QColor("#eef4ff"));
}

void SourceView::updateLineNumberWidth() {
  setMarginWidth(0, QString(" %1 ").arg(std::max(lines(), 99)));
}

bool SourceView::isShownHere(const backend::CompileDiagnostic& d) const {
  if (d.line <= 0 || d.line > lines()) return false;
  if (sourceName_.isEmpty() || d.file.empty()) return true;
  return QFileInfo(QString::fromStdString(d.file)).fileName() == QFileInfo(sourceName_).fileName();
}

namespace {

enum class Severity { Error, Warning, Note };

Severity severityOf(const std::string& s) {
  if (s == "error" || s == "fatal error") return Severity::Error;
  if (s == "warning") return Severity::Warning;
  return Severity::Note;
}

// Annotation styles, allocated once: QsciStyle numbers are global to the process.
const QsciStyle& annotationStyle(Severity s) {
  static const QsciStyle error = [] {
    QsciStyle st(-1, "kevo error annotation", QColor("#82071e"), QColor("#ffebe9"), sourceFont());
    return st;
  }();
  static const QsciStyle warning = [] {
    QsciStyle st(-1, "kevo warning annotation", QColor("#7d4e00"), QColor("#fff8c5"), sourceFont());
    return st;
  }();
  static const QsciStyle note = [] {
    QsciStyle st(-1, "kevo note annotation", QColor("#57606a"), QColor("#f6f8fa"), sourceFont());
    return st;
  }();
  switch (s) {
    case Severity::Error:
      return error;
    case Severity::Warning:
      return warning;
    case Severity::Note:
      return note;
  }
  return note;
}

}  // namespace

void SourceView::clearDiagnostics() {
  diagnostics_.clear();
  clearAnnotations();
  for (int m : {ErrorMarker, WarningMarker, NoteMarker, ErrorLineMarker, WarningLineMarker})
    markerDeleteAll(m);
  const int last = std::max(0, lines() - 1);
  clearIndicatorRange(0, 0, last, lineLength(last), errorIndicator_);
  clearIndicatorRange(0, 0, last, lineLength(last), warningIndicator_);
  emit diagnosticsChanged(diagnostics_);
}

void SourceView::setDiagnostics(std::vector<backend::CompileDiagnostic> diagnostics) {
  clearDiagnostics();
  diagnostics_ = std::move(diagnostics);
  // Group by line so two messages on one line share one annotation, in compiler order.
  // Styles by number (QsciStyledText's QsciStyle constructor leaks a copy of the style).
  for (Severity sev : {Severity::Error, Severity::Warning, Severity::Note})
    annotationStyle(sev).apply(this);
  QMap<int, QList<QsciStyledText>> byLine;
  for (const auto& d : diagnostics_) {
    if (!isShownHere(d)) continue;
    const int line = d.line - 1;
    const Severity sev = severityOf(d.severity);
    QString text = QString::fromStdString(d.severity + ": " + d.message);
    if (d.column > 0) text += QString("  [col %1]").arg(d.column);
    auto& list = byLine[line];
    if (!list.isEmpty())
      list.back() = QsciStyledText(list.back().text() + "\n", list.back().style());
    list.append(QsciStyledText(text, annotationStyle(sev).style()));

    markerAdd(line, sev == Severity::Error     ? ErrorMarker
                    : sev == Severity::Warning ? WarningMarker
                                               : NoteMarker);
    if (sev == Severity::Error) markerAdd(line, ErrorLineMarker);
    if (sev == Severity::Warning) markerAdd(line, WarningLineMarker);
    if (sev != Severity::Note && d.column > 0) {
      // Underline the token at the column (at least one character).
      const QString lineText = this->text(line);
      int begin = std::min(d.column - 1, int(lineText.size()));
      int end = begin;
      auto word = [&](int i) { return lineText[i].isLetterOrNumber() || lineText[i] == '_'; };
      while (end < lineText.size() && word(end)) ++end;
      if (end == begin) end = std::min(begin + 1, int(lineText.size()));
      if (end > begin)
        fillIndicatorRange(line, begin, line, end,
                           sev == Severity::Error ? errorIndicator_ : warningIndicator_);
    }
  }
  for (auto it = byLine.begin(); it != byLine.end(); ++it) annotate(it.key(), it.value());
  emit diagnosticsChanged(diagnostics_);
}

void SourceView::jumpTo(int line, int column) {
  if (lines() == 0) return;
  const int l = std::clamp(line - 1, 0, lines() - 1);
  ensureLineVisible(l);
  setCursorPosition(l, std::max(0, column - 1));
  const int visible = std::max(1, int(SendScintilla(SCI_LINESONSCREEN)));
  const int display = int(SendScintilla(SCI_VISIBLEFROMDOCLINE, l));
  setFirstVisibleLine(std::max(0, display - visible / 3));
}

void SourceView::onMarginClicked(int margin, int line, Qt::KeyboardModifiers) {
  if (margin != 1) return;
  const unsigned mask = (1u << ErrorMarker) | (1u << WarningMarker) | (1u << NoteMarker);
  if ((markersAtLine(line) & mask) == 0) return;
  jumpTo(line + 1, 0);
  emit diagnosticActivated(line + 1);
}

}  // namespace kevo::widgets

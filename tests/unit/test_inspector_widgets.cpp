// Offscreen tests of the inspector widgets: SourceView (text, CUDA keywords, diagnostics as
// annotations and markers, the diagnostics list jumping the view), DiffView (summary, tints,
// intra-line ranges, synchronized scrolling, 2,000-line speed), RooflineChart (ceilings, point
// coordinates, the zero-FLOP placement, tooltips), ProgressChart (monotone best line, clicks map
// to node ids) and OperatorPayoffChart.
#include <Qsci/qsciscintilla.h>

#include <QElapsedTimer>
#include <QScrollBar>
#include <QSignalSpy>
#include <QtCharts/QBarSet>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <QtTest>
#include <cmath>

#include "DiagnosticsList.h"
#include "DiffView.h"
#include "OperatorPayoffChart.h"
#include "ProgressChart.h"
#include "RooflineChart.h"
#include "SourceView.h"

using namespace kevo::widgets;
using kevo::backend::CompileDiagnostic;
using kevo::util::RowKind;

namespace {

const char* kKernel =
    "#include \"kevo_abi.h\"\n"                                   // 1
    "\n"                                                          // 2
    "__global__ void scale(float* y, const float* x, int n) {\n"  // 3
    "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"          // 4
    "  if (i < n) y[i] = 2.0f * x[i]\n"                           // 5
    "}\n"                                                         // 6
    "\n"                                                          // 7
    "extern \"C\" int kevo_kernel() {\n"                          // 8
    "  int unused = 0;\n"                                         // 9
    "  return 0;\n"                                               // 10
    "}\n";                                                        // 11

std::vector<CompileDiagnostic> diagnostics() {
  return {{"kernel.cpp", 5, 32, "error", "expected ';' before '}' token"},
          {"kernel.cpp", 9, 7, "warning", "unused variable 'unused' [-Wunused-variable]"},
          {"kernel.cpp", 9, 7, "note", "declared here"},
          {"/usr/share/kevo/abi/kevo_abi.h", 2, 1, "note", "in a header: not this file"}};
}

bool near(double a, double b) {
  return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b));
}

bool hasMarker(QsciScintilla* e, int line, int marker) {
  return (e->markersAtLine(line) & (1u << marker)) != 0;
}

QString marginText(QsciScintilla* e, int line) {
  const long n =
      e->SendScintilla(QsciScintillaBase::SCI_MARGINGETTEXT, line, static_cast<void*>(nullptr));
  QByteArray buf(int(n) + 1, 0);
  e->SendScintilla(QsciScintillaBase::SCI_MARGINGETTEXT, line, static_cast<void*>(buf.data()));
  return QString::fromUtf8(buf.constData());
}

bool hasIndicator(QsciScintilla* e, int line, int index, int indicator) {
  const long pos = e->SendScintilla(QsciScintillaBase::SCI_POSITIONFROMLINE, line) + index;
  return e->SendScintilla(QsciScintillaBase::SCI_INDICATORVALUEAT, indicator, pos) != 0;
}

}  // namespace

class TestInspectorWidgets : public QObject {
  Q_OBJECT

 private slots:
  void sourceViewShowsTextAndCudaKeywords() {
    SourceView view;
    view.setSource(kKernel);
    QCOMPARE(view.text(), QString(kKernel));
    QCOMPARE(view.lines(), 12);  // 11 lines and the empty one after the last newline
    QVERIFY(!view.isEditable());
    view.setEditable(true);
    QVERIFY(view.isEditable());
    QVERIFY(!view.isReadOnly());
    view.setEditable(false);
    QVERIFY(view.isReadOnly());

    auto* lexer = qobject_cast<KernelLexer*>(view.lexer());
    QVERIFY(lexer);
    QVERIFY(QString(lexer->keywords(1)).split(' ').contains("__global__"));
    QVERIFY(QString(lexer->keywords(1)).split(' ').contains("__shared__"));
    QVERIFY(QString(lexer->keywords(1)).split(' ').contains("constexpr"));  // C++ still there
    QVERIFY(QString(lexer->keywords(2)).split(' ').contains("threadIdx"));
    QVERIFY(QString(lexer->keywords(2)).split(' ').contains("__syncthreads"));
    QVERIFY(QString(lexer->keywords(4)).split(' ').contains("__m512"));
    QVERIFY(QFontInfo(lexer->font(QsciLexerCPP::Default)).fixedPitch());
    QVERIFY(QFontInfo(lexer->font(QsciLexerCPP::Keyword)).fixedPitch());
  }

  void sourceViewShowsDiagnostics() {
    SourceView view;
    DiagnosticsList list;
    connectDiagnostics(&list, &view);
    view.resize(700, 400);
    view.setSource(kKernel);
    view.setDiagnostics(diagnostics());

    // Annotations sit under their (0-based) lines; both messages of line 9 share one.
    QVERIFY(view.annotation(4).contains("error: expected ';' before '}' token"));
    QVERIFY(view.annotation(8).contains("warning: unused variable 'unused'"));
    QVERIFY(view.annotation(8).contains("note: declared here"));
    QVERIFY(view.annotation(1).isEmpty());  // the header's note is not about this file
    QVERIFY(view.annotation(3).isEmpty());
    QVERIFY(hasMarker(&view, 4, SourceView::ErrorMarker));
    QVERIFY(hasMarker(&view, 4, SourceView::ErrorLineMarker));
    QVERIFY(hasMarker(&view, 8, SourceView::WarningMarker));
    QVERIFY(!hasMarker(&view, 1, SourceView::NoteMarker));
    QVERIFY(!hasMarker(&view, 3, SourceView::ErrorMarker));

    // The list follows the view and counts by severity.
    QCOMPARE(list.topLevelItemCount(), 4);
    QCOMPARE(list.errorCount(), 1);
    QCOMPARE(list.warningCount(), 1);
    QCOMPARE(list.summary(), QString("1 error, 1 warning, 2 notes"));
    QCOMPARE(list.topLevelItem(0)->text(DiagnosticsList::LocationColumn),
             QString("kernel.cpp:5:32"));

    // Activating a row moves the view's cursor to its line and column.
    QSignalSpy activated(&list, &DiagnosticsList::diagnosticActivated);
    int line = -1, index = -1;
    list.activate(1);
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.at(0).at(0).toInt(), 9);
    view.getCursorPosition(&line, &index);
    QCOMPARE(line, 8);
    QCOMPARE(index, 6);
    list.activate(0);
    view.getCursorPosition(&line, &index);
    QCOMPARE(line, 4);
    // A header diagnostic does not move the kernel view.
    list.activate(3);
    view.getCursorPosition(&line, &index);
    QCOMPARE(line, 4);
    // So does a click on the row.
    emit list.itemClicked(list.topLevelItem(1), 0);
    view.getCursorPosition(&line, &index);
    QCOMPARE(line, 8);

    // A click on the marker margin selects the row and says which line.
    QSignalSpy fromView(&view, &SourceView::diagnosticActivated);
    emit view.marginClicked(1, 4, Qt::NoModifier);
    QCOMPARE(fromView.count(), 1);
    QCOMPARE(fromView.at(0).at(0).toInt(), 5);
    QCOMPARE(list.indexOfTopLevelItem(list.currentItem()), 0);
    emit view.marginClicked(1, 2, Qt::NoModifier);  // no diagnostic there
    QCOMPARE(fromView.count(), 1);

    view.jumpToLine(11);
    view.getCursorPosition(&line, &index);
    QCOMPARE(line, 10);

    // New source clears everything.
    view.setSource("int x;\n");
    QVERIFY(view.annotation(4).isEmpty());
    QVERIFY(view.diagnostics().empty());
    QCOMPARE(list.topLevelItemCount(), 0);
    QCOMPARE(list.summary(), QString("no diagnostics"));
  }

  void diffViewSummaryAndTints() {
    const QString parent =
        "#define ACC 2\n"
        "#include <cmath>\n"
        "static float sq(float v) { return v * v; }\n"
        "void row(const float* x, float* y, int n) {\n"
        "  float s = 0;\n"
        "  for (int i = 0; i < n; ++i) s += std::exp(x[i]);\n"
        "  for (int i = 0; i < n; ++i) y[i] = std::exp(x[i]) / s;\n"
        "}\n";
    const QString node =
        "#define ACC 4\n"
        "#include <cmath>\n"
        "void row(const float* x, float* y, int n) {\n"
        "  float s = 0;\n"
        "  for (int i = 0; i < n; ++i) s += std::exp(x[i]);\n"
        "  const float inv = 1.0f / s;\n"
        "  for (int i = 0; i < n; ++i) y[i] = std::exp(x[i]) * inv;\n"
        "}\n";
    DiffView view;
    view.resize(1000, 500);
    view.setTexts("node 12 (parent)", parent, "node 17", node);
    QCOMPARE(view.summary(), QString("+3 -3 lines"));
    QCOMPARE(view.title(DiffView::Left), QString("node 12 (parent)"));
    QCOMPARE(view.title(DiffView::Right), QString("node 17"));
    QCOMPARE(view.diff().hunks.size(), size_t(3));

    // Rows: ~ = - = = = + ~ =
    QCOMPARE(view.rowCount(), 9);
    QCOMPARE(view.rowKind(0), RowKind::Change);
    QCOMPARE(view.rowKind(2), RowKind::Delete);
    QCOMPARE(view.rowKind(6), RowKind::Insert);
    QCOMPARE(view.rowKind(7), RowKind::Change);
    QCOMPARE(view.rowOfNewLine(5), 6);
    QCOMPARE(view.rowOfOldLine(2), 2);
    QCOMPARE(view.rowOfNewLine(2), 3);

    QsciScintilla* left = view.editor(DiffView::Left);
    QsciScintilla* right = view.editor(DiffView::Right);
    QCOMPARE(left->lines(), 9);
    QCOMPARE(right->lines(), 9);
    // Both sides show their text on aligned rows, blanks opposite inserts and deletes.
    QCOMPARE(left->text(2).trimmed(), QString("static float sq(float v) { return v * v; }"));
    QCOMPARE(right->text(2).trimmed(), QString());
    QCOMPARE(right->text(6).trimmed(), QString("const float inv = 1.0f / s;"));
    QCOMPARE(left->text(6).trimmed(), QString());

    QVERIFY(hasMarker(left, 0, DiffView::ChangeLineMarker));
    QVERIFY(hasMarker(right, 0, DiffView::ChangeLineMarker));
    QVERIFY(hasMarker(left, 2, DiffView::DeleteLineMarker));
    QVERIFY(hasMarker(right, 2, DiffView::FillerLineMarker));
    QVERIFY(hasMarker(right, 6, DiffView::InsertLineMarker));
    QVERIFY(hasMarker(left, 6, DiffView::FillerLineMarker));
    QVERIFY(hasMarker(right, 7, DiffView::ChangeLineMarker));
    for (int r : {1, 3, 4, 5, 8}) {
      QVERIFY(left->markersAtLine(r) == 0);
      QVERIFY(right->markersAtLine(r) == 0);
    }
    // Line numbers are the texts' own, not the rows'.
    QCOMPARE(marginText(right, 3).trimmed(), QString("3"));
    QCOMPARE(marginText(left, 3).trimmed(), QString("4"));
    QCOMPARE(marginText(right, 2).trimmed(), QString());

    // Intra-line: "2" -> "4" in the #define, "/ s" -> "* inv" in the last loop.
    QVERIFY(hasIndicator(left, 0, 12, DiffView::RemovedTextIndicator));
    QVERIFY(hasIndicator(right, 0, 12, DiffView::AddedTextIndicator));
    QVERIFY(!hasIndicator(right, 0, 8, DiffView::AddedTextIndicator));
    const int slash = int(left->text(7).indexOf("/ s"));
    const int star = int(right->text(7).indexOf("* inv"));
    QVERIFY(hasIndicator(left, 7, slash, DiffView::RemovedTextIndicator));
    QVERIFY(hasIndicator(right, 7, star + 2, DiffView::AddedTextIndicator));
    QVERIFY(!hasIndicator(right, 7, 2, DiffView::AddedTextIndicator));

    view.setTexts("a", node, "b", node);
    QCOMPARE(view.summary(), QString("identical (8 lines)"));
    QCOMPARE(left->markersAtLine(0), 0u);
    view.showMessage("Root node: no parent to compare with");
    QCOMPARE(view.summary(), QString("Root node: no parent to compare with"));
    QCOMPARE(view.rowCount(), 0);
  }

  void diffViewScrollsTogetherAndIsFast() {
    QString a, b;
    for (int i = 0; i < 2000; ++i) {
      const QString line = QString("  acc%1 = fma(x[i + %2], w[%2], acc%1);\n").arg(i % 4).arg(i);
      a += line;
      b += (i % 50 == 7) ? QString("  acc%1 += x[i + %2] * w[%2];\n").arg(i % 4).arg(i) : line;
      if (i % 300 == 150) b += "  _mm_prefetch(x + i + 256, _MM_HINT_T0);\n";
    }
    DiffView view;
    view.resize(1200, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QElapsedTimer t;
    t.start();
    view.setTexts("parent", a, "node", b);
    const qint64 ms = t.elapsed();
    qInfo("DiffView of 2,000 lines: %lld ms", static_cast<long long>(ms));
    QVERIFY2(ms < 1500, qPrintable(QString("%1 ms").arg(ms)));
    QCOMPARE(view.summary(), QString("+47 -40 lines"));

    QsciScintilla* left = view.editor(DiffView::Left);
    QsciScintilla* right = view.editor(DiffView::Right);
    right->setFirstVisibleLine(700);
    QCOMPARE(right->firstVisibleLine(), 700);
    QTRY_COMPARE(left->firstVisibleLine(), 700);
    left->verticalScrollBar()->setValue(1200);
    QTRY_COMPARE(right->firstVisibleLine(), 1200);

    view.scrollToRow(0);
    view.nextChange();
    QCOMPARE(view.currentHunk(), 1);
    const int row = view.diff().hunks[1].firstRow;
    QVERIFY(right->firstVisibleLine() <= row);
    QVERIFY(row <
            right->firstVisibleLine() + right->SendScintilla(QsciScintillaBase::SCI_LINESONSCREEN));
    QCOMPARE(left->firstVisibleLine(), right->firstVisibleLine());
    view.previousChange();
    QCOMPARE(view.currentHunk(), 0);
  }

  void rooflineCeilingsAndPoints() {
    RooflineChart chart;
    chart.resize(700, 480);
    chart.setTitle("softmax · inference");
    chart.setCeilings(54.5, 234, "DRAM");
    const double ridge = 234 / 54.5;
    QVERIFY(qFuzzyCompare(chart.ridgePoint(), ridge));

    std::vector<RooflinePointVisual> pts;
    pts.push_back(
        {"node 17", 0.625, 20.1, 32.2, 1.3e-4, 0.59, "memory-bound", RooflinePointVisual::Node});
    pts.push_back(
        {"node 12", 0.625, 11.4, 18.2, 2.3e-4, 0.33, "latency-bound", RooflinePointVisual::Parent});
    pts.push_back(
        {"node 31", 0.625, 24.8, 39.7, 1.05e-4, 0.73, "memory-bound", RooflinePointVisual::Best});
    pts.push_back({"baseline", 0.625, 2.6, 4.2, 1.0e-3, 0.08, "latency-bound",
                   RooflinePointVisual::Baseline});
    pts.push_back(
        {"node 40", 0.0, 0.0, 21.0, 2.0e-4, 0.4, "memory-bound", RooflinePointVisual::Node});
    chart.setPoints(pts);

    // The memory slope runs from the left edge up to the ridge, the roof from there on.
    QLineSeries* memory = chart.memoryCeiling();
    QLineSeries* compute = chart.computeCeiling();
    QCOMPARE(memory->count(), 2);
    QCOMPARE(compute->count(), 2);
    QVERIFY(qFuzzyCompare(memory->at(0).y() / memory->at(0).x(), 54.5));
    QVERIFY(qFuzzyCompare(memory->at(1).x(), ridge));
    QVERIFY(qFuzzyCompare(memory->at(1).y(), 234.0));
    QCOMPARE(compute->at(0), memory->at(1));
    QVERIFY(qFuzzyCompare(compute->at(1).y(), 234.0));
    QVERIFY(near(compute->at(1).x(), chart.intensityAxis()->max()));
    QVERIFY(memory->name().contains("54.5 GB/s"));
    QVERIFY(compute->name().contains("234 GFLOP/s"));

    // Log-log axes that hold every point and the ridge.
    QCOMPARE(chart.intensityAxis()->base(), 10.0);
    QCOMPARE(chart.performanceAxis()->base(), 10.0);
    QVERIFY(chart.intensityAxis()->min() < 0.625 && chart.intensityAxis()->max() > ridge);
    QVERIFY(chart.performanceAxis()->min() < 2.6 && chart.performanceAxis()->max() > 234);

    QCOMPARE(chart.pointSeries(RooflinePointVisual::Node)->count(), 2);
    QCOMPARE(chart.pointSeries(RooflinePointVisual::Node)->at(0), QPointF(0.625, 20.1));
    QCOMPARE(chart.pointSeries(RooflinePointVisual::Parent)->at(0), QPointF(0.625, 11.4));
    QCOMPARE(chart.pointSeries(RooflinePointVisual::Best)->at(0), QPointF(0.625, 24.8));
    QCOMPARE(chart.pointSeries(RooflinePointVisual::Baseline)->at(0), QPointF(0.625, 2.6));
    QCOMPARE(chart.pointSeries(RooflinePointVisual::Baseline)->brush().style(), Qt::NoBrush);

    // The zero-FLOP point: at the left edge, at GB/s x that intensity, and the tooltip says so.
    QVERIFY(chart.isClamped(4));
    QVERIFY(!chart.isClamped(0));
    const QPointF z = chart.plottedPosition(4);
    QVERIFY(near(z.x(), chart.intensityAxis()->min() * 1.5));
    QVERIFY(qFuzzyCompare(z.y(), 21.0 * z.x()));
    QVERIFY(chart.tooltip(4).contains("No floating-point work"));

    const QString tip = chart.tooltip(0);
    for (const char* s : {"node 17", "this node", "130 \u00b5s", "20.1 GFLOP/s", "32.2 GB/s",
                          "59% of the roofline floor", "memory-bound"})
      QVERIFY2(tip.contains(QString::fromUtf8(s)), qPrintable(tip));
    QVERIFY(chart.tooltip(3).contains("baseline"));

    QSignalSpy clicked(&chart, &RooflineChart::pointClicked);
    emit chart.pointSeries(RooflinePointVisual::Parent)->clicked(QPointF(0.625, 11.4));
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.at(0).at(0).toInt(), 1);

    // Without measured ceilings: no roof lines, points still placed.
    chart.setCeilings(0, 0);
    QCOMPARE(chart.memoryCeiling()->count(), 0);
    QCOMPARE(chart.computeCeiling()->count(), 0);
    QCOMPARE(chart.pointSeries(RooflinePointVisual::Node)->at(0), QPointF(0.625, 20.1));
  }

  void progressChartBestLineAndClicks() {
    ProgressChart chart;
    chart.resize(700, 400);
    struct E {
      int64_t node;
      double speedup;
      const char* verdict;
    };
    const std::vector<E> evals = {
        {1, 0.8, "ok"}, {2, 1.2, "ok"},           {3, 0, "compile_error"}, {4, 1.1, "ok"},
        {5, 2.0, "ok"}, {6, 0, "wrong_answer"},   {7, 1.5, "ok"},          {8, 0, "timeout"},
        {9, 2.5, "ok"}, {10, 0, "compile_error"}, {11, 2.4, "ok"}};
    for (size_t i = 0; i < evals.size(); ++i)
      chart.addEvaluation(evals[i].node, int(i) + 1, evals[i].speedup, evals[i].verdict);
    chart.flush();

    QCOMPARE(chart.evaluationCount(), 11);
    QCOMPARE(chart.bestSpeedup(), 2.5);
    QVERIFY(chart.bestNode() == std::optional<int64_t>(9));
    QCOMPARE(chart.okCount(), 7);
    int drawn = 0;
    for (int k = 0; k < ProgressChart::kSpeedupClasses; ++k) {
      QCOMPARE(chart.okSeries(k)->count(), chart.okCount(k));
      drawn += chart.okSeries(k)->count();
    }
    QCOMPARE(drawn, 7);
    QCOMPARE(ProgressChart::speedupClass(0.8), 0);
    QCOMPARE(ProgressChart::speedupClass(1.0), 1);
    QCOMPARE(ProgressChart::speedupClass(2.5), 3);
    QCOMPARE(ProgressChart::speedupClass(7.0), 5);
    QCOMPARE(chart.okSeries(3)->count(), 3);  // 2.0, 2.5, 2.4
    QCOMPARE(chart.verdictSeries("compile_error")->count(), 2);
    QCOMPARE(chart.verdictSeries("timeout")->count(), 1);
    QCOMPARE(chart.verdictSeries("crash")->count(), 0);
    QCOMPARE(chart.verdictSeries("wrong_answer")->at(0), QPointF(6, 0));

    auto checkMonotone = [&](double last, int lastIndex) {
      QLineSeries* best = chart.bestSeries();
      QVERIFY(best->count() >= 2);
      for (int i = 1; i < best->count(); ++i) {
        QVERIFY(best->at(i).x() >= best->at(i - 1).x());
        QVERIFY(best->at(i).y() >= best->at(i - 1).y());
        // A step line: each segment is horizontal or vertical.
        QVERIFY(best->at(i).x() == best->at(i - 1).x() || best->at(i).y() == best->at(i - 1).y());
      }
      QCOMPARE(best->at(best->count() - 1), QPointF(lastIndex, last));
    };
    checkMonotone(2.5, 11);
    QCOMPARE(chart.bestSeries()->at(0), QPointF(1, 0.8));

    // Clicking a point emits its node; the nearest evaluation wins.
    QSignalSpy spy(&chart, &ProgressChart::nodeClicked);
    chart.handlePointClicked(QPointF(5, 2.0));
    chart.handlePointClicked(QPointF(3, 0));
    chart.handlePointClicked(QPointF(9.1, 2.45));
    QCOMPARE(spy.count(), 3);
    QCOMPARE(spy.at(0).at(0).value<int64_t>(), int64_t(5));
    QCOMPARE(spy.at(1).at(0).value<int64_t>(), int64_t(3));
    QCOMPARE(spy.at(2).at(0).value<int64_t>(), int64_t(9));
    emit chart.okSeries(ProgressChart::speedupClass(1.5))->clicked(QPointF(7, 1.5));
    QCOMPARE(spy.count(), 4);
    QCOMPARE(spy.at(3).at(0).value<int64_t>(), int64_t(7));

    // An evaluation that arrives late (lower index) still leaves the line monotone.
    chart.addEvaluation(12, 4, 3.0, "ok");
    chart.flush();
    QCOMPARE(chart.bestSpeedup(), 3.0);
    QVERIFY(chart.bestNode() == std::optional<int64_t>(12));
    checkMonotone(3.0, 11);
    QVERIFY(chart.speedupAxis()->max() >= 3.0);
    QVERIFY(chart.indexAxis()->max() >= 11);

    // Evaluations that arrive without flush() are drawn by the next event-loop pass.
    chart.addEvaluation(13, 12, 0, "crash");
    QTRY_COMPARE(chart.verdictSeries("crash")->count(), 1);

    chart.setSelectedNode(5);
    chart.reset();
    QCOMPARE(chart.evaluationCount(), 0);
    QCOMPARE(chart.bestSeries()->count(), 0);
    QCOMPARE(chart.okSeries(3)->count(), 0);
    QCOMPARE(chart.bestSpeedup(), 0.0);
  }

  // A long session: evaluations keep arriving one at a time without slowing down.
  void progressChartScales() {
    ProgressChart chart;
    chart.resize(800, 400);
    QElapsedTimer t;
    t.start();
    // Live: a redraw every 20 evaluations (the chart coalesces arrivals for 50 ms).
    for (int i = 1; i <= 10000; ++i) {
      chart.addEvaluation(i, i,
                          i % 9 == 0 ? 0.0 : 0.5 + 3.0 * ((i * 7919) % 1000) / 1000.0 + i * 1e-4,
                          i % 9 == 0 ? "compile_error" : "ok");
      if (i % 20 == 0) chart.flush();
    }
    const qint64 ms = t.elapsed();
    qInfo("10,000 evaluations added in %lld ms", static_cast<long long>(ms));
    QVERIFY2(ms < 5000, qPrintable(QString("%1 ms").arg(ms)));
    QCOMPARE(chart.evaluationCount(), 10000);
    QVERIFY(chart.bestSpeedup() > 3.0);
    QCOMPARE(chart.verdictCount("compile_error"), 1111);
    int drawn = 0;
    for (auto* s : chart.chart()->series())
      if (auto* scatter = qobject_cast<QScatterSeries*>(s)) drawn += scatter->count();
    QCOMPARE(drawn, 10000);
    t.restart();
    chart.grab();  // and it paints
    qInfo("painting 10,000 points: %lld ms", static_cast<long long>(t.elapsed()));
  }

  void operatorPayoff() {
    OperatorPayoffChart chart;
    chart.setPayoff({{"inherit", {10, 4}}, {"fresh", {3, 0}}, {"llm-hint", {2, 1}}});
    QCOMPARE(chart.categories(),
             QStringList({"inherit", "siblings", "combined", "fresh", "user", "llm-hint"}));
    // Bars run bottom-up: the first operator is the last bar.
    QCOMPARE(chart.usesSet()->count(), 6);
    QCOMPARE(chart.usesSet()->at(5), 10.0);
    QCOMPARE(chart.improvementsSet()->at(5), 4.0);
    QCOMPARE(chart.usesSet()->at(4), 0.0);
    QCOMPARE(chart.usesSet()->at(2), 3.0);
    QCOMPARE(chart.improvementsSet()->at(0), 1.0);
    QCOMPARE(chart.labels().last(), QString("inherit  4/10 (40%)"));
    QCOMPARE(chart.labels().at(4), QString("siblings  unused"));
    QCOMPARE(chart.labels().first(), QString("llm-hint  1/2 (50%)"));
  }
};

QTEST_MAIN(TestInspectorWidgets)
#include "test_inspector_widgets.moc"

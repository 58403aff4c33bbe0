// Unit tests for util/LineDiff: the side-by-side rows (equal, insert, delete, change), hunks,
// counts, intra-line ranges, empty inputs, the work bound, and a golden unified diff of a kernel
// edit checked line by line.
#include <QtTest>

#include <random>
#include <string>
#include <vector>

#include "util/LineDiff.h"

using namespace kevo::util;

namespace {

using Lines = std::vector<std::string>;

// "=" equal, "+" insert, "-" delete, "~" change: one letter per row.
QString kinds(const LineDiff& d) {
  QString s;
  for (const auto& r : d.rows) {
    switch (r.kind) {
      case RowKind::Equal:
        s += '=';
        break;
      case RowKind::Insert:
        s += '+';
        break;
      case RowKind::Delete:
        s += '-';
        break;
      case RowKind::Change:
        s += '~';
        break;
    }
  }
  return s;
}

QString text(std::string_view line, const std::vector<CharRange>& ranges) {
  QString s;
  for (const auto& r : ranges) {
    if (!s.isEmpty()) s += '|';
    s += QString::fromStdString(std::string(line.substr(size_t(r.begin), size_t(r.end - r.begin))));
  }
  return s;
}

// Every old and new line appears exactly once, in order, and equal rows hold equal text.
void checkConsistent(const Lines& a, const Lines& b, const LineDiff& d) {
  int i = 0, j = 0;
  for (const auto& r : d.rows) {
    if (r.oldLine >= 0) QCOMPARE(r.oldLine, i++);
    if (r.newLine >= 0) QCOMPARE(r.newLine, j++);
    switch (r.kind) {
      case RowKind::Equal:
        QVERIFY(r.oldLine >= 0 && r.newLine >= 0);
        QCOMPARE(a[size_t(r.oldLine)], b[size_t(r.newLine)]);
        break;
      case RowKind::Change:
        QVERIFY(r.oldLine >= 0 && r.newLine >= 0);
        break;
      case RowKind::Insert:
        QVERIFY(r.oldLine < 0 && r.newLine >= 0);
        break;
      case RowKind::Delete:
        QVERIFY(r.oldLine >= 0 && r.newLine < 0);
        break;
    }
  }
  QCOMPARE(i, int(a.size()));
  QCOMPARE(j, int(b.size()));
}

}  // namespace

class TestLineDiff : public QObject {
  Q_OBJECT

 private slots:
  void splitsLines() {
    QCOMPARE(splitLines(""), Lines{});
    QCOMPARE(splitLines("a"), Lines{"a"});
    QCOMPARE(splitLines("a\n"), Lines{"a"});
    QCOMPARE(splitLines("a\r\nb\n\nc"), (Lines{"a", "b", "", "c"}));
  }

  void identical() {
    const Lines a = {"int x = 0;", "x += 1;", "return x;"};
    const LineDiff d = diffLines(a, a);
    QCOMPARE(kinds(d), QString("==="));
    QVERIFY(d.identical());
    QVERIFY(d.hunks.empty());
    QCOMPARE(d.insertedLines, 0);
    QCOMPARE(d.deletedLines, 0);
    QVERIFY(d.exact);
    QCOMPARE(unifiedDiff(a, a, d), std::string());
    checkConsistent(a, a, d);
  }

  void pureInsert() {
    const Lines a = {"a", "b", "c"};
    const Lines b = {"a", "b", "x", "y", "c"};
    const LineDiff d = diffLines(a, b);
    QCOMPARE(kinds(d), QString("==++="));
    QCOMPARE(d.insertedLines, 2);
    QCOMPARE(d.deletedLines, 0);
    QCOMPARE(d.hunks.size(), size_t(1));
    QCOMPARE(d.hunks[0].firstRow, 2);
    QCOMPARE(d.hunks[0].rowCount, 2);
    QCOMPARE(d.hunks[0].oldStart, 2);
    QCOMPARE(d.hunks[0].oldCount, 0);
    QCOMPARE(d.hunks[0].newStart, 2);
    QCOMPARE(d.hunks[0].newCount, 2);
    QCOMPARE(d.rows[2].newLine, 2);
    QCOMPARE(d.rows[2].oldLine, -1);
    checkConsistent(a, b, d);
  }

  void pureDelete() {
    const Lines a = {"a", "b", "c", "d"};
    const Lines b = {"b", "d"};
    const LineDiff d = diffLines(a, b);
    QCOMPARE(kinds(d), QString("-=-="));
    QCOMPARE(d.insertedLines, 0);
    QCOMPARE(d.deletedLines, 2);
    QCOMPARE(d.hunks.size(), size_t(2));
    QCOMPARE(d.rows[0].oldLine, 0);
    QCOMPARE(d.rows[0].newLine, -1);
    checkConsistent(a, b, d);
  }

  void changeInTheMiddle() {
    const Lines a = {"for (int i = 0; i < n; ++i) {", "  s += x[i];", "}"};
    const Lines b = {"for (int i = 0; i < n; ++i) {", "  s += x[i] * w[i];", "}"};
    const LineDiff d = diffLines(a, b);
    QCOMPARE(kinds(d), QString("=~="));
    QCOMPARE(d.insertedLines, 1);
    QCOMPARE(d.deletedLines, 1);
    QCOMPARE(d.hunks.size(), size_t(1));
    QCOMPARE(d.hunks[0].oldStart, 1);
    QCOMPARE(d.hunks[0].oldCount, 1);
    QCOMPARE(d.hunks[0].newCount, 1);
    QVERIFY(d.rows[1].oldRanges.empty());  // nothing removed from the old line
    QCOMPARE(text(b[1], d.rows[1].newRanges), QString("* w[i]"));
    checkConsistent(a, b, d);
  }

  // A line inserted before a changed line is an insert, and the changed line pairs with its
  // edited version, not with the inserted one.
  void pairsBySimilarity() {
    const Lines a = {"{", "  acc = a * b;", "}"};
    const Lines b = {"{", "  prefetch(p + 64);", "  acc = fma(a, b, acc);", "}"};
    const LineDiff d = diffLines(a, b);
    QCOMPARE(kinds(d), QString("=+~="));
    QCOMPARE(d.rows[2].oldLine, 1);
    QCOMPARE(d.rows[2].newLine, 2);
    QCOMPARE(d.insertedLines, 2);
    QCOMPARE(d.deletedLines, 1);
    checkConsistent(a, b, d);
  }

  void intraLineRanges() {
    auto [l, r] = diffLineChars("#define ACC 4", "#define ACC 8");
    QCOMPARE(l, (std::vector<CharRange>{{12, 13}}));
    QCOMPARE(r, (std::vector<CharRange>{{12, 13}}));

    // Two words that changed, separated by unchanged text: two ranges per side.
    std::tie(l, r) = diffLineChars("y[i] = exp(x[i] - m) / s;", "y[i] = exp2(x[i] - c) / s;");
    QCOMPARE(text("y[i] = exp(x[i] - m) / s;", l), QString("exp|m"));
    QCOMPARE(text("y[i] = exp2(x[i] - c) / s;", r), QString("exp2|c"));

    // Changed words separated only by spaces merge into one range.
    std::tie(l, r) = diffLineChars("float a b;", "double c d;");
    QCOMPARE(text("float a b;", l), QString("float a b"));
    QCOMPARE(text("double c d;", r), QString("double c d"));

    QCOMPARE(lineSimilarity("", ""), 1.0);
    QCOMPARE(lineSimilarity("abc", "abc"), 1.0);
    QCOMPARE(lineSimilarity("abc", "xyz"), 0.0);

    // A rewritten line is a change row without ranges: the tint says it all.
    const LineDiff d = diffLines({"a", "int x = compute(y);", "b"}, {"a", "return;", "b"});
    QCOMPARE(kinds(d), QString("=~="));
    QVERIFY(d.rows[1].oldRanges.empty());
    QVERIFY(d.rows[1].newRanges.empty());

    LineDiffOptions noIntra;
    noIntra.intraLine = false;
    const LineDiff plain = diffLines({"x = 1;"}, {"x = 2;"}, noIntra);
    QCOMPARE(kinds(plain), QString("~"));
    QVERIFY(plain.rows[0].newRanges.empty());
  }

  void emptyInputs() {
    const LineDiff none = diffLines({}, {});
    QVERIFY(none.rows.empty());
    QVERIFY(none.hunks.empty());
    QVERIFY(none.identical());

    const Lines b = {"x", "y"};
    const LineDiff ins = diffLines({}, b);
    QCOMPARE(kinds(ins), QString("++"));
    QCOMPARE(ins.insertedLines, 2);
    QCOMPARE(unifiedDiff({}, b, ins), std::string("--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n"));

    const LineDiff del = diffTexts("x\ny\n", "");
    QCOMPARE(kinds(del), QString("--"));
    QCOMPARE(del.deletedLines, 2);
    QCOMPARE(unifiedDiff({"x", "y"}, {}, del),
             std::string("--- a\n+++ b\n@@ -1,2 +0,0 @@\n-x\n-y\n"));

    auto [l, r] = diffLineChars("", "abc");
    QVERIFY(l.empty());
    QCOMPARE(r, (std::vector<CharRange>{{0, 3}}));
  }

  // Random edits of a random text: the rows always account for every line, in order, and the
  // number of unmatched lines is at most what the edits touched.
  void randomEditsStayConsistent() {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
      Lines a;
      const int n = int(rng() % 40);
      for (int i = 0; i < n; ++i) a.push_back("line " + std::to_string(rng() % 12));
      Lines b = a;
      const int edits = int(rng() % 6);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = b.empty() ? 0 : rng() % (b.size() + 1);
        switch (rng() % 3) {
          case 0:
            b.insert(b.begin() + long(pos), "new " + std::to_string(rng() % 5));
            break;
          case 1:
            if (pos < b.size()) b.erase(b.begin() + long(pos));
            break;
          default:
            if (pos < b.size()) b[pos] += " changed";
        }
      }
      const LineDiff d = diffLines(a, b);
      checkConsistent(a, b, d);
      QVERIFY(d.exact);
      QVERIFY(d.insertedLines <= edits);
      QVERIFY(d.deletedLines <= edits);
      QCOMPARE(d.identical(), a == b);
    }
  }

  // Past the work bound the result is still a valid (not minimal) diff, flagged inexact.
  void workBound() {
    Lines a, b;
    for (int i = 0; i < 400; ++i) {
      a.push_back("a" + std::to_string(i % 7) + " " + std::to_string(i));
      b.push_back("a" + std::to_string(i % 7) + " " + std::to_string(i % 3 ? i : i + 1));
    }
    LineDiffOptions o;
    o.maxWork = 10;
    const LineDiff bounded = diffLines(a, b, o);
    checkConsistent(a, b, bounded);
    QVERIFY(!bounded.exact);
    const LineDiff full = diffLines(a, b);
    checkConsistent(a, b, full);
    QVERIFY(full.exact);
    QCOMPARE(full.deletedLines, 134);
    QVERIFY(bounded.deletedLines >= full.deletedLines);
  }

  // 2,000-line sources (the size DiffView must handle) diff quickly.
  void largeFilesAreFast() {
    Lines a, b;
    for (int i = 0; i < 2000; ++i)
      a.push_back("  v" + std::to_string(i) + " = load(x + " + std::to_string(i) + ");");
    b = a;
    for (int i = 0; i < 2000; i += 37) b[size_t(i)] += " // tuned";
    for (int i = 1900; i > 0; i -= 211) b.insert(b.begin() + i, "  prefetch(x + 256);");
    QElapsedTimer t;
    t.start();
    const LineDiff d = diffLines(a, b);
    const qint64 ms = t.elapsed();
    checkConsistent(a, b, d);
    QCOMPARE(d.deletedLines, 55);
    QCOMPARE(d.insertedLines, 55 + 10);
    QVERIFY2(ms < 500, qPrintable(QString("diff of 2,000 lines took %1 ms").arg(ms)));

    // Two unrelated 2,000-line files: the worst case for Myers, still bounded.
    Lines c;
    for (int i = 0; i < 2000; ++i) c.push_back("other " + std::to_string(i));
    t.restart();
    const LineDiff worst = diffLines(a, c);
    checkConsistent(a, c, worst);
    QCOMPARE(worst.deletedLines, 2000);
    QVERIFY2(t.elapsed() < 2000, qPrintable(QString("worst case took %1 ms").arg(t.elapsed())));
  }

  // Golden: a softmax kernel edit (knob change, a loop restructured, a prefetch added, a
  // helper removed) with its rows and the unified diff exactly as `diff -u` prints it.
  void golden() {
    const Lines a = splitLines(
        "#define ACC 2\n"
        "#define PF 0\n"
        "#include <cmath>\n"
        "\n"
        "static float sq(float v) { return v * v; }\n"
        "\n"
        "void row(const float* x, float* y, int n) {\n"
        "  float m = x[0];\n"
        "  for (int i = 1; i < n; ++i) m = std::fmax(m, x[i]);\n"
        "  float s = 0;\n"
        "  for (int i = 0; i < n; ++i) s += std::exp(x[i] - m);\n"
        "  for (int i = 0; i < n; ++i) y[i] = std::exp(x[i] - m) / s;\n"
        "}\n");
    const Lines b = splitLines(
        "#define ACC 4\n"
        "#define PF 0\n"
        "#include <cmath>\n"
        "\n"
        "void row(const float* x, float* y, int n) {\n"
        "  float m = x[0];\n"
        "  for (int i = 1; i < n; ++i) m = std::fmax(m, x[i]);\n"
        "  float s = 0;\n"
        "  for (int i = 0; i < n; ++i) s += std::exp(x[i] - m);\n"
        "  const float inv = 1.0f / s;\n"
        "  for (int i = 0; i < n; ++i) y[i] = std::exp(x[i] - m) * inv;\n"
        "}\n");
    const LineDiff d = diffLines(a, b);
    checkConsistent(a, b, d);
    QCOMPARE(kinds(d), QString("~===--=====+~="));
    QCOMPARE(d.insertedLines, 3);
    QCOMPARE(d.deletedLines, 4);
    QCOMPARE(d.hunks.size(), size_t(3));
    QCOMPARE(text(a[0], d.rows[0].oldRanges), QString("2"));
    QCOMPARE(text(b[0], d.rows[0].newRanges), QString("4"));
    QCOMPARE(text(a[11], d.rows[12].oldRanges), QString("/ s"));
    QCOMPARE(text(b[10], d.rows[12].newRanges), QString("* inv"));

    // Both texts, checked against GNU diff 3.8: `diff -u` and `diff -U1`.
    const std::string expected =
        "--- parent/kernel.cpp\n"
        "+++ node/kernel.cpp\n"
        "@@ -1,13 +1,12 @@\n"
        "-#define ACC 2\n"
        "+#define ACC 4\n"
        " #define PF 0\n"
        " #include <cmath>\n"
        " \n"
        "-static float sq(float v) { return v * v; }\n"
        "-\n"
        " void row(const float* x, float* y, int n) {\n"
        "   float m = x[0];\n"
        "   for (int i = 1; i < n; ++i) m = std::fmax(m, x[i]);\n"
        "   float s = 0;\n"
        "   for (int i = 0; i < n; ++i) s += std::exp(x[i] - m);\n"
        "-  for (int i = 0; i < n; ++i) y[i] = std::exp(x[i] - m) / s;\n"
        "+  const float inv = 1.0f / s;\n"
        "+  for (int i = 0; i < n; ++i) y[i] = std::exp(x[i] - m) * inv;\n"
        " }\n";
    QCOMPARE(
        QString::fromStdString(unifiedDiff(a, b, d, 3, "parent/kernel.cpp", "node/kernel.cpp")),
        QString::fromStdString(expected));

    // With one line of context the changes are three hunks.
    const std::string oneContext =
        "--- a\n"
        "+++ b\n"
        "@@ -1,2 +1,2 @@\n"
        "-#define ACC 2\n"
        "+#define ACC 4\n"
        " #define PF 0\n"
        "@@ -4,4 +4,2 @@\n"
        " \n"
        "-static float sq(float v) { return v * v; }\n"
        "-\n"
        " void row(const float* x, float* y, int n) {\n"
        "@@ -11,3 +9,4 @@\n"
        "   for (int i = 0; i < n; ++i) s += std::exp(x[i] - m);\n"
        "-  for (int i = 0; i < n; ++i) y[i] = std::exp(x[i] - m) / s;\n"
        "+  const float inv = 1.0f / s;\n"
        "+  for (int i = 0; i < n; ++i) y[i] = std::exp(x[i] - m) * inv;\n"
        " }\n";
    QCOMPARE(QString::fromStdString(unifiedDiff(a, b, d, 1)), QString::fromStdString(oneContext));
  }
};

QTEST_APPLESS_MAIN(TestLineDiff)
#include "test_line_diff.moc"

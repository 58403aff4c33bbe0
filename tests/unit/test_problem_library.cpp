// Every bundled problem validates: its reference and baseline agree, and every canary kernel
// (zeros, a copy of an input, a constant, the poison left untouched) fails on it.
#include <QtTest>

#include "TestSupport.h"
#include "eval/ProblemValidation.h"
#include "problem/ProblemLibrary.h"

using namespace kevo;

class ProblemLibraryTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(cache_.isValid());
    evaluator_ = std::make_unique<eval::Evaluator>(test::testEvaluatorConfig(cache_));
  }

  void validates_data() {
    QTest::addColumn<QString>("dir");
    for (const auto& d : problem::bundledProblemDirs())
      QTest::newRow(d.filename().c_str()) << QString::fromStdString(d.string());
  }

  void validates() {
    QFETCH(QString, dir);
    eval::ValidationReport report = eval::validateProblem(*evaluator_, dir.toStdString());
    QString text;
    for (const auto& c : report.checks)
      text +=
          QString::fromStdString((c.passed ? "ok   " : "FAIL ") + c.name + ": " + c.detail + "\n");
    QVERIFY2(report.passed(), qPrintable(text));
    QCOMPARE(int(report.checks.size()), 3 + int(eval::canaryKernels().size()));
  }

  // A problem whose tolerance is too weak is caught by the canaries.
  void weakToleranceIsReported() {
    QTemporaryDir dir;
    std::filesystem::path src =
        std::filesystem::path(KEVO_TEST_FIXTURES_DIR) / "problems" / "scale";
    for (const char* f : {"problem.json", "reference.cpp", "baseline.cpp"})
      std::filesystem::copy_file(src / f, std::filesystem::path(dir.path().toStdString()) / f);
    std::string spec = test::readFile(src / "problem.json");
    spec.replace(spec.find("\"atol\": 1e-6"), 12, "\"atol\": 1e9");
    std::ofstream(std::filesystem::path(dir.path().toStdString()) / "problem.json") << spec;
    auto report = eval::validateProblem(*evaluator_, dir.path().toStdString());
    QVERIFY(!report.passed());
    bool zerosPassed = false;
    for (const auto& c : report.checks)
      if (c.name == "canary:zeros" && !c.passed &&
          QString::fromStdString(c.detail).contains("too weak"))
        zerosPassed = true;
    QVERIFY(zerosPassed);
  }

 private:
  QTemporaryDir cache_;
  std::unique_ptr<eval::Evaluator> evaluator_;
};

QTEST_APPLESS_MAIN(ProblemLibraryTest)
#include "test_problem_library.moc"

// Problem specs: every broken spec in tests/fixtures/bad_problems/ fails with the message its
// expected_error.txt holds (file, field, expectation); expressions; input generation.
#include <QtTest>
#include <filesystem>
#include <set>

#include "TestSupport.h"
#include "problem/Expression.h"
#include "problem/InputGenerator.h"
#include "problem/ProblemLibrary.h"

using namespace kevo;

class ProblemSpecTest : public QObject {
  Q_OBJECT

 private slots:
  void cdivIsCeilingDivision() {
    problem::SymbolTable t = {{"N", 1000}};
    QCOMPARE(problem::evaluateExpression("cdiv(N, 256)", t), int64_t(4));
    QCOMPARE(problem::evaluateExpression("cdiv(1024, 256)", t), int64_t(4));
    QCOMPARE(problem::evaluateExpression("cdiv(0, 256)", t), int64_t(0));
    QVERIFY_THROWS_EXCEPTION(problem::ExpressionError,
                             problem::evaluateExpression("cdiv(N, 0)", t));
    QVERIFY_THROWS_EXCEPTION(problem::ExpressionError, problem::evaluateExpression("ceil(N)", t));
  }

  void everyBundledProblemHasCudaKernels() {
    // The CUDA backend needs a reference and a baseline per problem (docs/cuda-backend.md).
    for (const auto& d : problem::bundledProblemDirs()) {
      auto p = problem::loadProblem(d);
      QVERIFY2(p.referenceCuda && p.baselineCuda, p.id.c_str());
      QCOMPARE(QString::fromStdString(p.baselineCuda->source.extension().string()), QString(".cu"));
    }
  }

  void brokenSpec_data() {
    QTest::addColumn<QString>("dir");
    std::filesystem::path root = std::filesystem::path(KEVO_TEST_FIXTURES_DIR) / "bad_problems";
    std::vector<std::filesystem::path> dirs;
    for (const auto& e : std::filesystem::directory_iterator(root)) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    QVERIFY(dirs.size() >= 10);
    for (const auto& d : dirs)
      QTest::newRow(d.filename().c_str()) << QString::fromStdString(d.string());
  }

  void brokenSpec() {
    QFETCH(QString, dir);
    std::string expected = test::readFile(dir.toStdString() + "/expected_error.txt");
    expected.erase(expected.find_last_not_of("\n") + 1);
    try {
      problem::loadProblem(dir.toStdString());
      QFAIL("a broken spec loaded");
    } catch (const problem::ProblemError& e) {
      QString message = e.what();
      QVERIFY2(message.contains(QString::fromStdString(expected)), qPrintable(message));
      // Every message names the file it is about.
      for (const auto& line : e.errors())
        QVERIFY2(QString::fromStdString(line).contains("problem.json") ||
                     QString::fromStdString(line).contains(dir),
                 line.c_str());
    }
  }

  void missingFolderIsAClearError() {
    try {
      problem::loadProblem("/nonexistent/problem");
      QFAIL("loaded a missing folder");
    } catch (const problem::ProblemError& e) {
      QVERIFY(QString(e.what()).contains("not a directory"));
    }
    try {
      problem::resolveProblemDir("no_such_problem");
      QFAIL("resolved an unknown id");
    } catch (const problem::ProblemError& e) {
      QVERIFY2(QString(e.what()).contains("softmax"), e.what());  // lists the known ids
    }
  }

  void bundledLibraryLoads() {
    auto dirs = problem::bundledProblemDirs();
    QVERIFY(dirs.size() >= 19);
    std::set<std::string> ids;
    for (const auto& d : dirs) {
      problem::Problem p = problem::loadProblem(d);
      ids.insert(p.id);
      QCOMPARE(QString::fromStdString(p.id), QString::fromStdString(d.filename().string()));
      QVERIFY2(p.findShapeSet("inference") && p.findShapeSet("training"), p.id.c_str());
      QVERIFY2(p.baselineCpu.has_value(), p.id.c_str());
      QVERIFY2(p.tolerance.kind == problem::Tolerance::Kind::Bitwise || !p.tolerance.why.empty(),
               p.id.c_str());
      // training moves data several times a 32 MiB last-level cache (GEMM is compute-heavy instead)
      auto training = problem::resolveShapes(p, *p.findShapeSet("training"));
      if (p.category != "gemm")
        QVERIFY2(training.inputBytes() + training.outputBytes() >= (64LL << 20), p.id.c_str());
    }
    for (const char* id :
         {"gelu", "bias_gelu", "row_sum", "row_max", "softmax", "log_softmax", "layernorm",
          "rmsnorm", "gemm_square", "gemm_tall_skinny", "feature_hash", "bucketize", "jagged_pad",
          "embedding_bag", "dlrm_interaction", "gemm_bf16", "layernorm_bf16", "rmsnorm_bf16"})
      QVERIFY2(ids.count(id), id);
  }

  void expressions() {
    problem::SymbolTable s = {{"F", 27}, {"B", 8}};
    QCOMPARE(problem::evaluateExpression("F*(F-1)/2", s), int64_t(351));
    QCOMPARE(problem::evaluateExpression(" B + 1 ", s), int64_t(9));
    QCOMPARE(problem::evaluateExpression("min(B, 4) * max(2, 3) - -1", s), int64_t(13));
    QCOMPARE(problem::evaluateExpression("17 % 5", s), int64_t(2));
    QVERIFY_THROWS_EXCEPTION(problem::ExpressionError, problem::evaluateExpression("B*Q", s));
    QVERIFY_THROWS_EXCEPTION(problem::ExpressionError, problem::evaluateExpression("B/(F-27)", s));
    QVERIFY_THROWS_EXCEPTION(problem::ExpressionError, problem::evaluateExpression("(B", s));
    QVERIFY_THROWS_EXCEPTION(problem::ExpressionError,
                             problem::evaluateExpression("99999999999*99999999999", s));
  }

  void inputsAreDeterministicInTheSeed() {
    problem::Problem p = problem::loadProblem(problem::resolveProblemDir("embedding_bag"));
    const auto& ss = *p.findShapeSet("inference");
    auto shapes = problem::resolveShapes(p, ss);
    for (size_t i = 0; i < p.inputs.size(); ++i) {
      std::vector<uint8_t> a(size_t(shapes.inputs[i].bytes)), b(a.size()), c(a.size());
      problem::generateInput(p.inputs[i], shapes.inputs[i], ss.symbols, 42, a.data());
      problem::generateInput(p.inputs[i], shapes.inputs[i], ss.symbols, 42, b.data());
      problem::generateInput(p.inputs[i], shapes.inputs[i], ss.symbols, 43, c.data());
      QVERIFY(a == b);
      QVERIFY(a != c);
    }
    // offsets: start at 0, never decrease, end at the total
    int offsetsIndex = -1;
    for (size_t i = 0; i < p.inputs.size(); ++i)
      if (p.inputs[i].dist.kind == "offsets") offsetsIndex = int(i);
    QVERIFY(offsetsIndex >= 0);
    const auto& t = shapes.inputs[size_t(offsetsIndex)];
    std::vector<int64_t> off(size_t(t.elements));
    problem::generateInput(p.inputs[size_t(offsetsIndex)], t, ss.symbols, 7, off.data());
    QCOMPARE(off.front(), int64_t(0));
    QCOMPARE(off.back(), problem::evaluateExpression(p.inputs[size_t(offsetsIndex)].dist.totalExpr,
                                                     ss.symbols));
    QVERIFY(std::is_sorted(off.begin(), off.end()));
  }
};

QTEST_APPLESS_MAIN(ProblemSpecTest)
#include "test_problem_spec.moc"

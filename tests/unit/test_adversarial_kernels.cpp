// Every kernel in tests/kernels/ evaluated against the fixture problem: the verdict and the
// detail its first line announces. One file per case (add a file to add a case).
#include <QtTest>
#include <filesystem>
#include <regex>
#include <set>

#include "TestSupport.h"

using namespace kevo;

class AdversarialKernelsTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(cache_.isValid());
    evaluator_ = std::make_unique<eval::Evaluator>(test::testEvaluatorConfig(cache_));
    problem_ = test::fixtureProblem();
  }

  void kernel_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("detail");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(KEVO_TEST_KERNELS_DIR))
      if (e.path().extension() == ".cpp") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    QVERIFY(files.size() >= 18);
    static const std::regex header(R"(^// expect: (\w+) \|\s*(.*)$)");
    for (const auto& f : files) {
      std::string text = test::readFile(f);
      std::string first = text.substr(0, text.find('\n'));
      std::smatch m;
      QVERIFY2(std::regex_match(first, m, header),
               qPrintable("no '// expect:' line in " + QString::fromStdString(f.string())));
      QTest::newRow(f.filename().c_str())
          << QString::fromStdString(f.string()) << QString::fromStdString(m[1])
          << QString::fromStdString(m[2]);
    }
  }

  void kernel() {
    QFETCH(QString, file);
    QFETCH(QString, verdict);
    QFETCH(QString, detail);
#if defined(__SANITIZE_ADDRESS__)
    // In the asan preset the worker is instrumented too: AddressSanitizer turns a SIGSEGV into
    // its own report and exit code 1, and its shadow mappings (terabytes of address space) make
    // the memory scanner run past any timeout. The verdicts stay right; these details differ.
    if (file.endsWith("reads_reference_memory.cpp"))
      QSKIP("the memory scanner cannot finish under AddressSanitizer's shadow mappings");
    if (detail == "SIGSEGV") detail = "exited with code 1";
#endif
    std::string source = test::readFile(file.toStdString());
    eval::EvaluationResult r =
        evaluator_->evaluate(problem_, source, std::filesystem::path(file.toStdString()).filename(),
                             test::quickOptions());
    QString got = eval::verdictName(r.verdict);
    QString why = QString::fromStdString(r.detail + "\nstderr: " + r.stderrTail);
    QCOMPARE(got, verdict);
    QVERIFY2(QString::fromStdString(r.detail).contains(detail), qPrintable(why));
    if (r.verdict == eval::Verdict::Ok) {
      QVERIFY(!r.shapeSets.empty());
      QVERIFY(r.shapeSets[0].timing.reps >= 5);
      QVERIFY(r.shapeSets[0].callsChecked >= r.shapeSets[0].timing.reps);
    }
    if (r.verdict == eval::Verdict::CompileError && detail.startsWith("line")) {
      QVERIFY(!r.build.diagnostics.empty());
      QCOMPARE(r.build.diagnostics.front().line, 6);
    }
  }

  // A stale-memory or memoizing kernel is caught because the poison differs between calls and
  // the timed calls are checked too: the mismatch names the poison.
  void memoizerIsCaughtInTimedCalls() {
    eval::EvalOptions o = test::quickOptions();
    auto r = evaluator_->evaluate(
        problem_, test::readFile(std::string(KEVO_TEST_KERNELS_DIR) + "/memoize.cpp"),
        "memoize.cpp", o);
    QCOMPARE(r.verdict, eval::Verdict::WrongAnswer);
    QVERIFY(r.shapeSets.at(0).mismatch.has_value());
    QVERIFY(r.shapeSets[0].mismatch->stillPoisoned);
    // It got through the correctness phase (2 calls per rotation set) before being caught.
    QVERIFY(r.shapeSets[0].callsChecked > 2 * r.shapeSets[0].rotationSets);
  }

  // The sandbox report says every layer is on (as root: the worker runs as nobody).
  void sandboxLayersAreOn() {
    auto r = evaluator_->evaluate(problem_,
                                  test::readFile(std::string(KEVO_TEST_KERNELS_DIR) + "/good.cpp"),
                                  "good.cpp", test::quickOptions());
    QCOMPARE(r.verdict, eval::Verdict::Ok);
    for (const char* layer : {"seccomp", "no_new_privs", "limits", "exec_memory"})
      QVERIFY2(r.sandbox.value(layer, std::string()).rfind("ok", 0) == 0, layer);
    if (geteuid() == 0) QVERIFY(r.sandbox.value("user", std::string()).rfind("ok", 0) == 0);
  }

  // A time below the roofline floor is impossible: with ceilings set absurdly low, a correct
  // kernel's time falls under the floor and is rejected.
  void timeBelowTheFloorIsRejected() {
    QTemporaryDir cache;
    eval::EvaluatorConfig c = test::testEvaluatorConfig(cache);
    c.ceilings.memoryGBs = 1e-3;
    c.ceilings.cacheGBs = 1e-3;
    eval::Evaluator slowMachine(c);
    auto r = slowMachine.evaluate(problem_,
                                  test::readFile(std::string(KEVO_TEST_KERNELS_DIR) + "/good.cpp"),
                                  "good.cpp", test::quickOptions());
    QCOMPARE(r.verdict, eval::Verdict::Rejected);
    QVERIFY2(QString::fromStdString(r.detail).contains("physical floor"), r.detail.c_str());
  }

  // The parent never dies with a worker: after a crash, a hang and a good run in a row, the
  // evaluator still works and no worker is left behind.
  void parentSurvivesAndCleansUp() {
    // The workers' temp dirs go under $TMPDIR: a private one shows exactly what this test left.
    QTemporaryDir tmp;
    // The worker runs as nobody when started as root: it must be able to reach its dir.
    std::filesystem::permissions(tmp.path().toStdString(), std::filesystem::perms(0755));
    QByteArray oldTmp = qgetenv("TMPDIR");
    qputenv("TMPDIR", tmp.path().toUtf8());
    auto workerDirs = [&tmp] {
      std::set<std::string> dirs;
      for (const auto& e : std::filesystem::directory_iterator(tmp.path().toStdString()))
        if (e.path().filename().string().rfind("kevo-worker-", 0) == 0)
          dirs.insert(e.path().string());
      return dirs;
    };
    // Only directories this test creates count: a parent killed elsewhere (kill -9) leaves its own.
    std::set<std::string> before = workerDirs();
    for (const char* name : {"segfault.cpp", "infinite_loop.cpp", "good.cpp"}) {
      auto r = evaluator_->evaluate(problem_,
                                    test::readFile(std::string(KEVO_TEST_KERNELS_DIR) + "/" + name),
                                    name, test::quickOptions());
      Q_UNUSED(r);
    }
    int leftovers = 0;
    for (const auto& d : workerDirs())
      if (!before.count(d)) ++leftovers;
    qputenv("TMPDIR", oldTmp);
    QCOMPARE(leftovers, 0);
  }

 private:
  QTemporaryDir cache_;
  std::unique_ptr<eval::Evaluator> evaluator_;
  problem::Problem problem_;
};

QTEST_APPLESS_MAIN(AdversarialKernelsTest)
#include "test_adversarial_kernels.moc"

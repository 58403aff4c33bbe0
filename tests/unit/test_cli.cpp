// kevo-cli as a user runs it: JSON documents on stdout, documented exit codes, clear errors for
// bad input, sessions that record evaluations and refuse corrupt files without touching them.
#include <QProcess>
#include <QtTest>

#include "TestSupport.h"
#include "eval/EvaluationResult.h"
#include "store/NodeProfiles.h"
#include "store/SessionStore.h"

using namespace kevo;

class CliTest : public QObject {
  Q_OBJECT

  struct Run {
    int exitCode;
    QByteArray out, err;
    nlohmann::json json() const { return nlohmann::json::parse(out.toStdString()); }
  };

  Run cli(const QStringList& args) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("KEVO_CACHE_DIR", cache_.path());
    p.setProcessEnvironment(env);
    p.start(KEVO_CLI_PATH, args);
    if (!p.waitForFinished(300000)) return {-1, {}, "timed out"};
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
  }

  QString fixture() const { return QString(KEVO_TEST_FIXTURES_DIR) + "/problems/scale"; }
  QString kernel(const char* name) const { return QString(KEVO_TEST_KERNELS_DIR) + "/" + name; }

 private slots:
  void initTestCase() { QVERIFY(cache_.isValid()); }

  void problemsListsTheLibrary() {
    Run r = cli({"problems", "--json"});
    QCOMPARE(r.exitCode, 0);
    auto j = r.json();
    QVERIFY(j["problems"].size() >= 14);
    for (const auto& p : j["problems"]) QVERIFY(!p.contains("error"));
    Run table = cli({"problems"});
    QCOMPARE(table.exitCode, 0);
    QVERIFY(table.out.contains("softmax"));
  }

  void hwReportsMeasuredCeilings() {
    Run r = cli({"hw", "--json"});
    QCOMPARE(r.exitCode, 0);
    auto j = r.json();
    QVERIFY(j.dump().find("peak") != std::string::npos);
    Run again = cli({"hw"});
    QCOMPARE(again.exitCode, 0);
    QVERIFY(again.out.contains("memory bandwidth"));
  }

  void evalGoodKernel() {
    Run r = cli({"eval", "--problem", fixture(), "--source", kernel("good.cpp"), "--shape-set",
                 "inference", "--seed", "5", "--json"});
    QCOMPARE(r.exitCode, 0);
    auto j = r.json();
    QCOMPARE(j["verdict"].get<std::string>(), std::string("ok"));
    QCOMPARE(j["seed"].get<uint64_t>(), uint64_t(5));
    const auto& s = j["shape_sets"][0];
    QVERIFY(s["timing"]["median_seconds"].get<double>() > 0);
    QVERIFY(s["baseline"]["median_seconds"].get<double>() > 0);
    QVERIFY(s["speedup"].get<double>() > 0);
    QVERIFY(s["roofline"]["achieved_gbs"].get<double>() > 0);
    QVERIFY(!s["roofline"]["explanation"].get<std::string>().empty());
    // Where the time went: every phase was measured, and the phases account for the wall time.
    double phases = 0;
    for (const char* phase : eval::kEvaluationPhases) {
      QVERIFY2(j["phase_seconds"].contains(phase), phase);
      phases += j["phase_seconds"][phase].get<double>();
    }
    double wall = j["wall_seconds"].get<double>();
    QVERIFY(phases > 0.9 * wall && phases <= wall * 1.001);

    Run table = cli({"eval", "--problem", fixture(), "--source", kernel("good.cpp"), "--shape-set",
                     "inference"});
    QCOMPARE(table.exitCode, 0);
    QVERIFY(table.out.contains("verdict: ok"));
    QVERIFY(table.out.contains("speedup"));
    QVERIFY(table.out.contains("evaluation took"));
    QVERIFY(table.out.contains("candidate_calls"));
  }

  // A cold shape set: the worker flushes the caches inside each call, outside the kernel's
  // timer; that time must not be taken for a tampered timer (every cold evaluation was once
  // rejected for it).
  void evalColdShapeSetIsTimedNotRejected() {
    Run r = cli({"eval", "--problem", fixture(), "--source", kernel("good.cpp"), "--shape-set",
                 "training", "--json"});
    auto j = r.json();
#if defined(__SANITIZE_ADDRESS__)
    // Under AddressSanitizer the worker's replies after a flush run a few hundred microseconds
    // slower than its calibrated ping; this microsecond kernel can then trip the cross-check.
    if (r.exitCode == 1 &&
        j["detail"].get<std::string>().find("timer mismatch") != std::string::npos)
      QSKIP("timer cross-check under AddressSanitizer: not a timing build");
#endif
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(j["verdict"].get<std::string>() == "ok", j["detail"].get<std::string>().c_str());
    QCOMPARE(j["shape_sets"][0]["cache"].get<std::string>(), std::string("cold"));
    QVERIFY(j["shape_sets"][0]["timing"]["median_seconds"].get<double>() > 0);
  }

  void evalBadVerdictExitsOne() {
    Run r = cli({"eval", "--problem", fixture(), "--source", kernel("wrong_answer.cpp"),
                 "--shape-set", "inference"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.contains("wrong_answer"));
  }

  void badInputsAreClearErrors() {
    Run missing = cli({"eval", "--problem", fixture(), "--source", "/no/such/kernel.cpp"});
    QCOMPARE(missing.exitCode, 3);
    QVERIFY(missing.err.contains("/no/such/kernel.cpp"));

    Run badProblem =
        cli({"eval", "--problem", QString(KEVO_TEST_FIXTURES_DIR) + "/bad_problems/bad_dtype",
             "--source", kernel("good.cpp")});
    QCOMPARE(badProblem.exitCode, 3);
    QVERIFY(badProblem.err.contains("inputs[0].dtype"));

    Run unknown = cli({"eval", "--frobnicate"});
    QCOMPARE(unknown.exitCode, 2);
    QVERIFY(unknown.err.contains("--frobnicate"));

    Run noSet = cli(
        {"eval", "--problem", fixture(), "--source", kernel("good.cpp"), "--shape-set", "huge"});
    QCOMPARE(noSet.exitCode, 2);
    QVERIFY(noSet.err.contains("huge"));

    Run validate =
        cli({"problems", "validate", QString(KEVO_TEST_FIXTURES_DIR) + "/bad_problems/bad_cache",
             "--spec-only"});
    QCOMPARE(validate.exitCode, 1);
    QVERIFY(validate.out.contains("shape_sets.training.cache"));
  }

  void cudaBackendWithoutAGpuSaysWhy() {
    if (QFile::exists("/dev/nvidiactl") || QFile::exists("/dev/nvidia0"))
      QSKIP("this machine has an NVIDIA GPU: the no-GPU message cannot be checked here");
    Run eval = cli({"eval", "--backend", "cuda", "--problem", "add_relu", "--source",
                    kernel("cuda/wrong_answer.cu")});
    QCOMPARE(eval.exitCode, 4);
    QVERIFY2(eval.err.contains("cuda") && eval.err.contains("libcuda.so.1"), eval.err.constData());
    Run hw = cli({"hw", "--backend", "cuda"});
    QCOMPARE(hw.exitCode, 4);
    Run bad =
        cli({"eval", "--backend", "rocm", "--problem", "add_relu", "--source", kernel("good.cpp")});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY(bad.err.contains("unknown backend"));
  }

  // profile and sanitize say what is missing (exit 4: environment), refuse what cannot be
  // (exit 2: usage; exit 3: a CPU session), and never touch a GPU to find that out.
  void profileAndSanitizeExplainWhatIsMissing() {
    QString source = QString(KEVO_SOURCE_DIR) + "/resources/problems/add_relu/baseline.cu";
    Run noNcu =
        cli({"profile", "--problem", "add_relu", "--source", source, "--ncu", "/nonexistent/ncu"});
    QCOMPARE(noNcu.exitCode, 4);
    QVERIFY2(noNcu.err.contains("Nsight Compute (ncu) was not found"), qPrintable(noNcu.err));
    Run noSanitizer = cli({"sanitize", "--problem", "add_relu", "--source", source, "--sanitizer",
                           "/nonexistent/compute-sanitizer"});
    QCOMPARE(noSanitizer.exitCode, 4);
    QVERIFY(noSanitizer.err.contains("compute-sanitizer was not found"));
    Run badLayer = cli({"profile", "--problem", "add_relu", "--source", source, "--relax", "dns"});
    QCOMPARE(badLayer.exitCode, 2);
    QVERIFY(badLayer.err.contains("no sandbox layer \"dns\""));
    Run badTool = cli({"sanitize", "--problem", "add_relu", "--source", source, "--tool", "x"});
    QCOMPARE(badTool.exitCode, 2);

    QTemporaryDir dir;
    QString session = dir.filePath("cpu.kevo");
    Run search = cli({"search", "--problem", "add_relu", "--budget", "1", "--shape-set",
                      "inference", "-o", session});
    QVERIFY2(search.exitCode == 0 || search.exitCode == 1, qPrintable(search.err));
    // A profile stored for a node (as `kevo-cli profile FILE --node N` stores it) shows in
    // `kevo-cli show --node N`, in text and JSON.
    {
      auto store = store::SessionStore::open(session.toStdString());
      store::StoredEvaluation e;
      e.problemId = "add_relu";
      e.backend = "cuda";
      e.role = store::kProfileRole;
      e.label = store::profileLabel(1);
      e.verdict = "ok";
      e.result = {
          {"tool", "ncu"},
          {"shape_set", "training"},
          {"kernels", {{{"kernel", "add_relu_naive"}, {"diagnosis", "Memory-bound: 76%"}}}}};
      store.addEvaluation(e);
    }
    Run shown = cli({"show", session, "--node", "1"});
    QCOMPARE(shown.exitCode, 0);
    QVERIFY2(shown.out.contains("add_relu_naive: Memory-bound: 76%"), qPrintable(shown.out));
    Run shownJson = cli({"show", session, "--node", "1", "--json"});
    QCOMPARE(shownJson.json()["ncu_profile"]["kernels"][0]["kernel"].get<std::string>(),
             std::string("add_relu_naive"));

    Run cpuSession = cli({"sanitize", session, "--finalists", "2"});
    QCOMPARE(cpuSession.exitCode, 3);
    QVERIFY(cpuSession.err.contains("a cpu session"));
    Run noNode = cli({"profile", session});
    QCOMPARE(noNode.exitCode, 3);
  }

  void buildCompilesWithoutRunning() {
    Run cpu = cli({"build", "--source", kernel("good.cpp"), "--json"});
    QCOMPARE(cpu.exitCode, 0);
    QVERIFY(cpu.json().at("ok").get<bool>());
    Run broken = cli({"build", "--source", kernel("compile_error.cpp")});
    QCOMPARE(broken.exitCode, 1);
    QVERIFY2(broken.out.contains("error"), broken.out.constData());
    if (!QFile::exists("/usr/local/cuda/bin/nvcc") && qEnvironmentVariableIsEmpty("CUDA_HOME"))
      QSKIP("no CUDA toolkit: the cuda half of build is not checked here");
    Run cuda = cli({"build", "--backend", "cuda", "--arch", "sm_90a", "--source",
                    kernel("cuda/oob_write.cu"), "--json"});
    QCOMPARE(cuda.exitCode, 0);
    auto j = cuda.json();
    QCOMPARE(QString::fromStdString(j.at("artifact").get<std::string>()), QString("cubin"));
    QCOMPARE(j.at("launches").size(), size_t(1));
    QVERIFY(j.at("kernel_resources").at(0).at("registers").get<int>() > 0);
  }

  void sessionRecordsEvaluations() {
    QTemporaryDir dir;
    QString session = dir.filePath("s.kevo");
    for (const char* k : {"good.cpp", "segfault.cpp"}) {
      Run r = cli({"eval", "--problem", fixture(), "--source", kernel(k), "--shape-set",
                   "inference", "--session", session});
      QVERIFY(r.exitCode == 0 || r.exitCode == 1);
    }
    auto store = store::SessionStore::open(session.toStdString(), store::OpenMode::ReadOnly);
    auto evals = store.evaluations();
    QCOMPARE(int(evals.size()), 2);
    QCOMPARE(evals[0].verdict, std::string("ok"));
    QCOMPARE(evals[0].backend, std::string("cpu"));
    QCOMPARE(evals[1].verdict, std::string("crash"));
    QVERIFY(evals[0].source.find("kevo_kernel") != std::string::npos);
    QVERIFY(evals[0].result["shape_sets"][0]["seeds"].size() >= 2);
  }

  void corruptSessionIsRefusedAndKept() {
    QTemporaryDir dir;
    QString session = dir.filePath("broken.kevo");
    QByteArray garbage = "this is not a session file\n";
    {
      QFile f(session);
      QVERIFY(f.open(QIODevice::WriteOnly));
      f.write(garbage);
    }
    Run r = cli({"eval", "--problem", fixture(), "--source", kernel("good.cpp"), "--shape-set",
                 "inference", "--session", session});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains("broken.kevo"), r.err.constData());
    QFile f(session);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), garbage);
  }

 private:
  QTemporaryDir cache_;
};

QTEST_GUILESS_MAIN(CliTest)
#include "test_cli.moc"

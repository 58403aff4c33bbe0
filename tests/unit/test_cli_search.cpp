// kevo-cli search, show, export and steer as a user runs them, on the fixture problem with the
// fixture recipes: a session file that holds everything, resume after kill -9, steering from
// another process.
#include <QProcess>
#include <QtTest>
#include <csignal>

#include "TestSupport.h"
#include "store/SessionStore.h"

using namespace kevo;

class CliSearchTest : public QObject {
  Q_OBJECT

  struct Run {
    int exitCode;
    QByteArray out, err;
    nlohmann::json json() const { return nlohmann::json::parse(out.toStdString()); }
  };

  QProcessEnvironment env() const {
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert("KEVO_CACHE_DIR", cache_.path());
    e.insert("KEVO_RECIPES_DIR", QString(KEVO_TEST_FIXTURES_DIR) + "/recipes");
    return e;
  }

  Run cli(const QStringList& args) {
    QProcess p;
    p.setProcessEnvironment(env());
    p.start(KEVO_CLI_PATH, args);
    if (!p.waitForFinished(300000)) return {-1, {}, "timed out"};
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
  }

  QString fixture() const { return QString(KEVO_TEST_FIXTURES_DIR) + "/problems/scale"; }

 private slots:
  void initTestCase() { QVERIFY(cache_.isValid() && dir_.isValid()); }

  void searchShowExport() {
    QString session = dir_.filePath("s.kevo");
    Run r = cli({"search", "--problem", fixture(), "--budget", "6", "--seed", "3", "--shape-set",
                 "inference", "-o", session});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(r.out.contains("best: node"));
    QVERIFY(r.out.contains("path:"));
    QVERIFY(r.out.contains("why:"));
    QVERIFY(r.err.contains("eval 6/6"));  // plain progress lines when stderr is not a terminal

    Run again = cli({"search", "--problem", fixture(), "-o", session});
    QCOMPARE(again.exitCode, 3);
    QVERIFY(again.err.contains("--resume"));

    Run show = cli({"show", session, "--tree"});
    QCOMPARE(show.exitCode, 0);
    QVERIFY(show.out.contains("#1 [root]"));
    QVERIFY(show.out.contains("<== best"));

    Run node = cli({"show", session, "--node", "1", "--json"});
    QCOMPARE(node.exitCode, 0);
    auto n = node.json();
    QCOMPARE(n["id"].get<int>(), 1);
    QVERIFY(n["source"].get<std::string>().find("#define") != std::string::npos);
    QVERIFY(n["context"].contains("memory_operator"));

    QString out = dir_.filePath("best.cpp");
    Run exp = cli({"export", session, "--best", "-o", out});
    QCOMPARE(exp.exitCode, 0);
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().contains("kevo_kernel"));

    // The exported kernel evaluates ok on its own.
    Run ev = cli({"eval", "--problem", fixture(), "--source", out, "--shape-set", "inference"});
    QCOMPARE(ev.exitCode, 0);

    Run resume = cli({"search", "--resume", session, "--budget", "2", "--json"});
    QCOMPARE(resume.exitCode, 0);
    QCOMPARE(resume.json()["evaluated"].get<int>(), 2);
    auto store = store::SessionStore::open(session.toStdString(), store::OpenMode::ReadOnly);
    QCOMPARE(int(store.nodes().size()), 8);
    QCOMPARE(int(store.evaluations().size()), 8);
  }

  void steerQueuesAndResumeApplies() {
    QString session = dir_.filePath("steer.kevo");
    QCOMPARE(cli({"search", "--problem", fixture(), "--budget", "3", "--shape-set", "inference",
                  "-o", session})
                 .exitCode,
             0);
    Run steer =
        cli({"steer", session, "expand", "1", "--operator", "fresh", "--hint", "try threads"});
    QCOMPARE(steer.exitCode, 0);
    Run bad = cli({"steer", session, "explode", "1"});
    QCOMPARE(bad.exitCode, 2);
    QCOMPARE(cli({"search", "--resume", session, "--budget", "1"}).exitCode, 0);
    auto store = store::SessionStore::open(session.toStdString(), store::OpenMode::ReadOnly);
    auto rows = store.steering();
    QCOMPARE(int(rows.size()), 1);
    QVERIFY(!rows[0].appliedAt.empty());
    auto nodes = store.nodes();
    QCOMPARE(nodes.back()["parent"].get<int>(), 1);
    QCOMPARE(nodes.back()["operator"].get<std::string>(), std::string("fresh"));
  }

  void resumeAfterKill9() {
    QString session = dir_.filePath("killed.kevo");
    QProcess p;
    p.setProcessEnvironment(env());
    p.start(KEVO_CLI_PATH, {"search", "--problem", fixture(), "--budget", "200", "--shape-set",
                            "inference", "-o", session});
    QVERIFY(p.waitForStarted());
    // Let it evaluate a few nodes, then kill it without warning.
    int nodes = 0;
    for (int i = 0; i < 200 && nodes < 4; ++i) {
      QTest::qWait(100);
      try {
        if (QFile::exists(session))
          nodes = int(store::SessionStore::open(session.toStdString(), store::OpenMode::ReadOnly)
                          .evaluations()
                          .size());
      } catch (const std::exception&) {
      }
    }
    QVERIFY(nodes >= 4);
    ::kill(pid_t(p.processId()), SIGKILL);
    p.waitForFinished();
    int before = int(store::SessionStore::open(session.toStdString(), store::OpenMode::ReadOnly)
                         .evaluations()
                         .size());
    Run r = cli({"search", "--resume", session, "--budget", "3", "--json"});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    auto store = store::SessionStore::open(session.toStdString(), store::OpenMode::ReadOnly);
    QCOMPARE(int(store.evaluations().size()), before + 3);
    int lost = 0;
    for (const auto& n : store.nodes()) lost += n["status"] == "lost";
    QVERIFY(lost <= 2);  // at most the batch in flight
  }

  void badArguments() {
    QCOMPARE(cli({"search", "--problem", fixture()}).exitCode, 2);  // no -o
    QCOMPARE(cli({"search", "--problem", fixture(), "--policy", "annealing", "-o",
                  dir_.filePath("x.kevo")})
                 .exitCode,
             2);
    QCOMPARE(cli({"show", dir_.filePath("missing.kevo")}).exitCode, 3);
    QCOMPARE(cli({"search", "--resume", dir_.filePath("missing.kevo")}).exitCode, 3);
  }

 private:
  QTemporaryDir cache_, dir_;
};

QTEST_GUILESS_MAIN(CliSearchTest)
#include "test_cli_search.moc"

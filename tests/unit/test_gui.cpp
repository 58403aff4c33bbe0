// The GUI, offscreen: the node model under QAbstractItemModelTester follows engine events row by
// row; opening a session fills the tree and the inspector; a real search (fixture problem and
// recipes) runs from the window; steering actions reach the engine, show at once and undo;
// a corrupt session file gives an error dialog, not a crash.
#include <QAbstractItemModelTester>
#include <QApplication>
#include <QLabel>
#include <QMessageBox>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <fstream>
#include <sstream>

#include "EvaluationTableModel.h"
#include "InspectorPanel.h"
#include "MainWindow.h"
#include "NodeTableModel.h"
#include "SyntheticObjective.h"
#include "TestSupport.h"
#include "profile/NcuReport.h"
#include "search/SearchRunner.h"
#include "store/NodeProfiles.h"
#include "store/SessionStore.h"
#include "synth/RulesSynthesizer.h"

using namespace kevo;

namespace {

// A session written by a synthetic search (no compiler): realistic nodes, quickly.
void writeSyntheticSession(const std::string& file, int evaluations,
                           const std::string& backend = "cpu") {
  auto store = store::SessionStore::create(file);
  search::SearchConfig c;
  c.backend = backend;
  c.problem = std::string(KEVO_TEST_FIXTURES_DIR) + "/problems/scale";
  c.seed = 3;
  store.setMeta("problem_id", "scale");
  synth::RulesSynthesizer synth(test::syntheticRecipes());
  test::SyntheticEvaluator evaluator;
  search::SearchRunner runner(c, synth, evaluator, &store);
  runner.run(evaluations);
}

// Closes the next message box and returns its text.
QString closeNextMessageBox() {
  QString text;
  for (int i = 0; i < 100 && text.isEmpty(); ++i) {
    QTest::qWait(20);
    for (QWidget* w : QApplication::topLevelWidgets())
      if (auto* box = qobject_cast<QMessageBox*>(w); box && box->isVisible()) {
        text = box->text();
        box->accept();
      }
  }
  return text;
}

}  // namespace

class GuiTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    qputenv("KEVO_CACHE_DIR", dir_.filePath("cache").toUtf8());
    qputenv("KEVO_RECIPES_DIR", QByteArray(KEVO_TEST_FIXTURES_DIR) + "/recipes");
    qputenv("KEVO_WORKER", KEVO_WORKER_PATH);
    QCoreApplication::setOrganizationName("KevoTest");
  }

  void nodeModelFollowsEvents() {
    app::NodeTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    app::NodeFilterProxy proxy;
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy,
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    search::SearchNode a;
    a.id = 1;
    a.recipe = "r";
    model.addNode(a);
    search::SearchNode b = a;
    b.id = 2;
    b.parentId = 1;
    model.addNode(b);
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(reset.count(), 0);  // row inserts, never a reset per event
    b.status = search::NodeStatus::Evaluated;
    b.verdict = "ok";
    b.score = std::log(2.0);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.updateNode(b);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.data(model.index(1, app::NodeTableModel::Speedup), Qt::DisplayRole).toString(),
             QString("2.00x"));
    QCOMPARE(*model.best(), int64_t(2));
    proxy.setVerdicts({"ok"});
    QCOMPARE(proxy.rowCount(), 1);
    proxy.setVerdicts({});
    proxy.setText("2");
    QCOMPARE(proxy.rowCount(), 1);
    a.status = search::NodeStatus::Pruned;
    model.updateNode(a);
    QVERIFY(model.isPruned(2));  // through its parent

    app::EvaluationTableModel eval;
    QAbstractItemModelTester evalTester(&eval,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
    b.summary = {{"inference",
                  {{"median_seconds", 1e-5},
                   {"baseline_seconds", 2e-5},
                   {"speedup", 2.0},
                   {"fraction_of_floor", 0.5}}}};
    search::SearchNode pinned = b;
    pinned.summary["inference"]["median_seconds"] = 4e-5;
    eval.setNode(b, pinned);
    QCOMPARE(eval.rowCount(), 1);
    QCOMPARE(
        eval.data(eval.index(0, app::EvaluationTableModel::VsPinned), Qt::DisplayRole).toString(),
        QString("4.00x"));
  }

  void openSessionFillsEverything() {
    std::string file = dir_.filePath("synthetic.kevo").toStdString();
    writeSyntheticSession(file, 12);
    app::MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(window.openSession(QString::fromStdString(file)));
    QCOMPARE(int(window.nodeModel().nodes().size()), 12);
    QVERIFY(window.selectedNode().has_value());  // the best node is selected on open
    for (const auto& n : window.nodeModel().nodes()) {
      window.selectNode(n.id);
      QCOMPARE(window.inspector()->shownNode(), std::optional<int64_t>(n.id));
    }
    // Steering on a session another process may be writing is queued in the file.
    window.selectNode(2);
    window.pinSelected(true);
    auto rows = store::SessionStore::open(file, store::OpenMode::ReadOnly).steering();
    QCOMPARE(int(rows.size()), 1);
    QCOMPARE(rows[0].command.value("kind", ""), std::string("pin"));
    QCOMPARE(rows[0].who, std::string("kevo (GUI)"));
  }

  // The screenshot mode the README's images come from (tools/make-screenshots.sh).
  void screenshotsOfASession() {
    std::string file = dir_.filePath("shots.kevo").toStdString();
    writeSyntheticSession(file, 10);
    QString out = dir_.filePath("shots");
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    p.setProcessEnvironment(env);
    p.start(KEVO_GUI_PATH, {"--screenshots", out, QString::fromStdString(file)});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    for (const char* name : {"main-window", "inspector-source", "inspector-diff",
                             "inspector-context", "inspector-evaluation", "inspector-profile"}) {
      QImage image(out + "/" + name + ".png");
      QVERIFY2(!image.isNull() && image.width() > 300 && image.height() > 200, name);
    }
  }

  void corruptSessionShowsAnError() {
    QString file = dir_.filePath("corrupt.kevo");
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("SQLite format 3\0 but not really", 32);
    f.close();
    app::MainWindow window;
    window.show();
    QString text;
    QTimer::singleShot(0, [&] { text = closeNextMessageBox(); });
    QVERIFY(!window.openSession(file));
    QTest::qWait(50);
    QVERIFY2(text.contains("corrupt.kevo"), qPrintable(text));
  }

  void cudaSessionWithoutAGpuIsAClearErrorAndLeavesNoFile() {
    if (QFile::exists("/dev/nvidiactl"))
      QSKIP("this machine has an NVIDIA GPU: the no-GPU error cannot be checked here");
    app::MainWindow window;
    window.show();
    app::NewSessionRequest r;
    r.file = dir_.filePath("cuda.kevo");
    r.problem = "add_relu";
    r.config.backend = "cuda";
    r.budget = 2;
    QSignalSpy errors(&window.controller(), &app::SessionController::errorOccurred);
    QString text;
    QTimer::singleShot(0, [&] { text = closeNextMessageBox(); });
    QVERIFY(!window.controller().startNew(r));
    QCOMPARE(errors.count(), 1);
    QString message = errors.at(0).at(0).toString();
    QVERIFY2(message.contains("cuda backend") && message.contains("libcuda.so.1"),
             qPrintable(message));
    QVERIFY(!QFile::exists(r.file));
  }

  void evaluationTabShowsKernelResources() {
    // A CUDA node's summary carries ptxas's report; the Evaluation tab lists it under the score.
    std::string file = dir_.filePath("resources.kevo").toStdString();
    writeSyntheticSession(file, 3);
    {
      auto store = store::SessionStore::open(file);
      for (auto j : store.nodes()) {
        auto n = search::SearchNode::fromJson(j);
        if (!n.ok()) continue;
        // The synthetic objective leaves summaries empty: give the node one shape set.
        if (n.summary.empty()) n.summary["inference"] = {{"speedup", std::exp(n.score)}};
        for (auto& [name, s] : n.summary.items())
          s["kernel_resources"] = {"softmax_rows: 40 registers, no spills"};
        store.saveNode(n.id, n.parentId, search::nodeStatusName(n.status), n.verdict, n.toJson());
      }
    }
    app::MainWindow window;
    window.show();
    QVERIFY(window.openSession(QString::fromStdString(file)));
    auto best = window.nodeModel().best();
    QVERIFY(best);
    window.selectNode(*best);
    auto* label = window.inspector()->findChild<QLabel*>("evaluationVerdict");
    QVERIFY(label);
    QVERIFY2(label->text().contains("softmax_rows: 40 registers, no spills"),
             qPrintable(label->text()));
  }

  void profileTabShowsTheNodesNsightComputeProfile() {
    // `kevo-cli profile FILE --node N` appends a "profile" evaluation; the Profile tab shows its
    // numbers and diagnosis (here the one ncu measured for the naive add_relu on an H100), and
    // follows a profile written while the session is open.
    std::string file = dir_.filePath("ncu.kevo").toStdString();
    writeSyntheticSession(file, 3);
    std::ifstream in(std::string(KEVO_TEST_FIXTURES_DIR) + "/ncu/add_relu_naive.csv");
    std::stringstream csv;
    csv << in.rdbuf();
    nlohmann::json kernels = nlohmann::json::array();
    for (const auto& k : profile::parseNcuCsv(csv.str())) kernels.push_back(k.toJson());
    app::MainWindow window;
    window.show();
    QVERIFY(window.openSession(QString::fromStdString(file)));
    auto best = window.nodeModel().best();
    QVERIFY(best);
    window.selectNode(*best);
    auto* label = window.inspector()->findChild<QLabel*>("ncuProfile");
    QVERIFY(label);
    QVERIFY(!label->text().contains("Nsight Compute</b>"));
    {
      auto store = store::SessionStore::open(file);
      store::StoredEvaluation e;
      e.problemId = "add_relu";
      e.backend = "cuda";
      e.role = store::kProfileRole;
      e.label = store::profileLabel(*best);
      e.verdict = "ok";
      e.result = {
          {"tool", "ncu"}, {"shape_set", "training"}, {"verdict", "ok"}, {"kernels", kernels}};
      store.addEvaluation(e);
    }
    QTRY_VERIFY_WITH_TIMEOUT(label->text().contains("add_relu_naive"), 10000);
    QVERIFY2(label->text().contains("memory SOL 76.1%"), qPrintable(label->text()));
    QVERIFY(label->text().contains("long_scoreboard"));
    QVERIFY(label->text().contains("Memory-bound"));
  }

  void profilingFromTheNodeMenuSaysWhatWentWrong() {
    // Node > Profile with Nsight Compute runs kevo-cli profile in the background; on a machine
    // without ncu or a GPU (CI) its own message reaches the user, and a CPU session is refused.
    qputenv("KEVO_CLI", KEVO_CLI_PATH);
    std::string cpuFile = dir_.filePath("profile-cpu.kevo").toStdString();
    writeSyntheticSession(cpuFile, 3);
    std::string cudaFile = dir_.filePath("profile-cuda.kevo").toStdString();
    writeSyntheticSession(cudaFile, 3, "cuda");
    // The error arrives in a modal box, possibly while a nested event loop runs: a timer closes
    // it and keeps its text.
    QString text;
    QTimer closer;
    closer.setInterval(50);
    connect(&closer, &QTimer::timeout, [&] {
      for (QWidget* w : QApplication::topLevelWidgets())
        if (auto* box = qobject_cast<QMessageBox*>(w); box && box->isVisible()) {
          text = box->text();
          box->accept();
        }
    });
    closer.start();
    {
      app::MainWindow window;
      window.show();
      QVERIFY(window.openSession(QString::fromStdString(cpuFile)));
      window.selectNode(window.nodeModel().best());
      window.profileSelected();
      QTRY_VERIFY(!text.isEmpty());
      QVERIFY2(text.contains("CUDA kernels"), qPrintable(text));
    }
    text.clear();
    app::MainWindow window;
    window.show();
    QVERIFY(window.openSession(QString::fromStdString(cudaFile)));
    window.selectNode(window.nodeModel().best());
    window.profileSelected();
    QTRY_VERIFY_WITH_TIMEOUT(!text.isEmpty(), 30000);
    QVERIFY2(text.contains("profiling node") &&
                 (text.contains("ncu") || text.contains("GPU") || text.contains("driver")),
             qPrintable(text));
  }

  void realSearchAndSteering() {
    app::MainWindow window;
    window.show();
    app::NewSessionRequest r;
    r.file = dir_.filePath("real.kevo");
    r.problem = QString(KEVO_TEST_FIXTURES_DIR) + "/problems/scale";
    r.config.shapeSets = {"inference"};
    r.config.seed = 5;
    r.budget = 4;
    QSignalSpy finished(&window.controller(), &app::SessionController::runFinished);
    QVERIFY(window.controller().startNew(r));
    QVERIFY(finished.wait(120000));
    QCOMPARE(int(window.nodeModel().nodes().size()), 4);
    auto best = window.nodeModel().best();
    QVERIFY(best);
    window.selectNode(*best);

    // Pin: reaches the engine, shows at once, undoes.
    window.pinSelected(true);
    QTRY_VERIFY_WITH_TIMEOUT(window.nodeModel().node(*best)->pinned, 5000);
    window.undoStack().undo();
    QTRY_VERIFY_WITH_TIMEOUT(!window.nodeModel().node(*best)->pinned, 5000);

    // Expand with an operator and a hint: one new child of the chosen node, with the hint.
    int64_t unrolled = 0;
    for (const auto& n : window.nodeModel().nodes())
      if (n.ok() && n.recipe == "scale_unrolled" && n.knobs.at("UNROLL") != 8 &&
          n.knobs.at("SPLIT") == 0)
        unrolled = n.id;
    QVERIFY(unrolled > 0);
    window.selectNode(unrolled);
    window.expandSelected("inherit", "UNROLL=8");
    QVERIFY(finished.wait(60000));
    const auto last = window.nodeModel().nodes().back();
    QCOMPARE(last.parentId, unrolled);
    QCOMPARE(last.memoryOperator, std::string("inherit"));
    QCOMPARE(last.knobs.at("UNROLL"), int64_t(8));

    // Edit and evaluate: the edit is a user-made child.
    window.selectNode(*best);
    window.editAndEvaluateSelected(
        QString::fromStdString(window.nodeModel().node(*best)->source + "\n// tuned by hand\n"));
    QVERIFY(finished.wait(60000));
    QVERIFY(window.nodeModel().nodes().back().userMade);
    QCOMPARE(window.nodeModel().nodes().back().verdict, std::string("ok"));

    // Prune: the subtree fades, and the session records who did it.
    window.selectNode(unrolled);
    window.pruneSelected(true);
    QTRY_VERIFY_WITH_TIMEOUT(window.nodeModel().isPruned(last.id), 5000);
    auto rows =
        store::SessionStore::open(r.file.toStdString(), store::OpenMode::ReadOnly).steering();
    QVERIFY(rows.size() >= 4);
    window.controller().close();
  }

 private:
  QTemporaryDir dir_;
};

QTEST_MAIN(GuiTest)
#include "test_gui.moc"

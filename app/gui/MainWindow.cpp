#include "MainWindow.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QThreadPool>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <cmath>

#include "InspectorPanel.h"
#include "NewSessionDialog.h"
#include "OperatorPayoffChart.h"
#include "ProgressChart.h"
#include "SearchTreeView.h"
#include "SourceView.h"
#include "SteeringCommands.h"
#include "store/SessionStore.h"

namespace kevo::app {

namespace {
constexpr int kMaxRecent = 8;
const QStringList kVerdicts = {"ok",           "compile_error", "crash",   "timeout",
                               "wrong_answer", "rejected",      "pending", "lost"};
const QStringList kOperators = {"root", "inherit", "siblings", "combined", "fresh", "user"};
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), nodeModel_(this), proxy_(this) {
  setWindowTitle("Kevo");
  proxy_.setSourceModel(&nodeModel_);
  tree_ = new widgets::SearchTreeView;
  setCentralWidget(tree_);
  inspector_ = new InspectorPanel(nodeModel_);
  buildActions();
  buildToolbar();
  buildDocks();
  statusBar()->showMessage("Open a session (File > Open) or start a search (File > New).");

  connect(&controller_, &SessionController::sessionOpened, this, &MainWindow::onSessionOpened);
  connect(&controller_, &SessionController::sessionClosed, this, &MainWindow::onSessionClosed);
  connect(&controller_, &SessionController::nodeAdded, this, &MainWindow::onNodeAdded);
  connect(&controller_, &SessionController::nodeUpdated, this, &MainWindow::onNodeUpdated);
  connect(&controller_, &SessionController::profilesLoaded, inspector_,
          &InspectorPanel::setNcuProfiles);
  connect(&controller_, &SessionController::errorOccurred, this, &MainWindow::error);
  connect(&controller_, &SessionController::logMessage, this,
          [this](const QString& m) { log_->appendPlainText(m); });
  connect(&controller_, &SessionController::steeringApplied, this, [this](const QString& m) {
    log_->appendPlainText("steering: " + m);
    statusBar()->showMessage("steering: " + m, 5000);
  });
  connect(&controller_, &SessionController::runStateChanged, this, [this](bool running) {
    if (running) elapsed_.start();
    updateActions();
    refreshProgress();
  });
  connect(&controller_, &SessionController::runFinished, this, [this](const QString& reason) {
    log_->appendPlainText("search stopped: " + reason);
    statusBar()->showMessage("Search stopped (" + reason + ")", 8000);
  });
  connect(tree_, &widgets::SearchTreeView::nodeSelected, this,
          [this](int64_t id) { selectNode(id); });
  connect(tree_, &widgets::SearchTreeView::contextMenuRequested, this,
          &MainWindow::showContextMenu);
  connect(inspector_, &InspectorPanel::nodeLinkActivated, this,
          [this](int64_t id) { selectNode(id); });
  connect(progressChart_, &widgets::ProgressChart::nodeClicked, this,
          [this](int64_t id) { selectNode(id); });

  auto* ticker = new QTimer(this);
  connect(ticker, &QTimer::timeout, this, &MainWindow::refreshProgress);
  ticker->start(1000);

  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  restoreState(settings.value("window/state").toByteArray());
  rebuildRecentMenu();
  updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions() {
  QMenu* file = menuBar()->addMenu("&File");
  file->addAction("&New search...", QKeySequence::New, this, &MainWindow::newSession);
  file->addAction("&Open session...", QKeySequence::Open, this, &MainWindow::openDialog);
  recentMenu_ = file->addMenu("Open &recent");
  closeAction_ = file->addAction("&Close session", QKeySequence::Close, this, [this] {
    if (controller_.isRunning() &&
        QMessageBox::question(this, "Close session",
                              "A search is running. Stop it and close the session?") !=
            QMessageBox::Yes)
      return;
    controller_.close();
  });
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu("&Edit");
  QAction* undo = undo_.createUndoAction(this, "&Undo");
  undo->setShortcut(QKeySequence::Undo);
  QAction* redo = undo_.createRedoAction(this, "&Redo");
  redo->setShortcut(QKeySequence::Redo);
  edit->addAction(undo);
  edit->addAction(redo);

  nodeMenu_ = menuBar()->addMenu("&Node");
  QMenu* expand = nodeMenu_->addMenu("E&xpand with operator");
  for (const char* op : {"inherit", "siblings", "combined", "fresh"})
    expand->addAction(op, this, [this, op] { expandSelected(op, {}); });
  hintAction_ = nodeMenu_->addAction("Expand with a &hint...", QKeySequence("H"), this, [this] {
    bool ok = false;
    QString hint = QInputDialog::getText(this, "Expand with a hint",
                                         "Hint for the synthesizer (knob values such as THREADS=2, "
                                         "or words such as \"wider vectors\"):",
                                         QLineEdit::Normal, {}, &ok);
    if (!ok || hint.trimmed().isEmpty()) return;
    QString op = QInputDialog::getItem(this, "Expand with a hint", "Memory operator:",
                                       {"inherit", "siblings", "combined", "fresh"}, 0, false, &ok);
    if (ok) expandSelected(op, hint);
  });
  pinAction_ = nodeMenu_->addAction("&Pin / unpin", QKeySequence("P"), this, [this] {
    if (const auto* n = selected_ ? nodeModel_.node(*selected_) : nullptr) pinSelected(!n->pinned);
  });
  pruneAction_ =
      nodeMenu_->addAction("P&rune / restore subtree", QKeySequence::Delete, this, [this] {
        if (const auto* n = selected_ ? nodeModel_.node(*selected_) : nullptr)
          pruneSelected(n->status != search::NodeStatus::Pruned);
      });
  editAction_ = nodeMenu_->addAction("&Edit and evaluate...", QKeySequence("Ctrl+E"), this, [this] {
    const auto* n = selected_ ? nodeModel_.node(*selected_) : nullptr;
    if (!n) return;
    QDialog dialog(this);
    dialog.setWindowTitle(
        QString("Edit node %1: the edit becomes a new child, marked as yours").arg(n->id));
    auto* layout = new QVBoxLayout(&dialog);
    auto* editor = new widgets::SourceView;
    editor->setEditable(true);
    editor->setText(QString::fromStdString(n->source));
    layout->addWidget(editor);
    auto* buttons = new QHBoxLayout;
    auto* ok = new QPushButton("Evaluate as a child");
    auto* cancel = new QPushButton("Cancel");
    buttons->addStretch();
    buttons->addWidget(cancel);
    buttons->addWidget(ok);
    layout->addLayout(buttons);
    connect(ok, &QPushButton::clicked, &dialog, &QDialog::accept);
    connect(cancel, &QPushButton::clicked, &dialog, &QDialog::reject);
    dialog.resize(900, 700);
    if (dialog.exec() == QDialog::Accepted) editAndEvaluateSelected(editor->text());
  });
  baselineAction_ = nodeMenu_->addAction("Pin as &baseline", QKeySequence("B"), this,
                                         &MainWindow::pinSelectedAsBaseline);
  compareAction_ = nodeMenu_->addAction("&Compare with node...", this, [this] {
    bool ok = false;
    int id =
        QInputDialog::getInt(this, "Compare", "Show the diff against node:", 1, 1, 1 << 30, 1, &ok);
    if (ok && nodeModel_.node(id)) {
      inspector_->setCompareWith(id);
      inspector_->setCurrentIndex(1);
    }
  });
  profileAction_ =
      nodeMenu_->addAction("Profile with &Nsight Compute", this, &MainWindow::profileSelected);
  copyAction_ = nodeMenu_->addAction("Cop&y source", QKeySequence("Ctrl+Shift+C"), this, [this] {
    if (const auto* n = selected_ ? nodeModel_.node(*selected_) : nullptr)
      QApplication::clipboard()->setText(QString::fromStdString(n->source));
  });
  exportAction_ = nodeMenu_->addAction("E&xport kernel...", this, [this] {
    const auto* n = selected_ ? nodeModel_.node(*selected_) : nullptr;
    if (!n) return;
    QString f = QFileDialog::getSaveFileName(this, "Export kernel",
                                             QString("node%1.cpp").arg(n->id), "C++ (*.cpp)");
    if (f.isEmpty()) return;
    QFile out(f);
    if (!out.open(QIODevice::WriteOnly) ||
        out.write(n->source.data(), qint64(n->source.size())) < 0)
      error(f + ": cannot be written");
    else
      statusBar()->showMessage(QString("node %1 written to %2").arg(n->id).arg(f), 5000);
  });

  QMenu* view = menuBar()->addMenu("&View");
  view->addAction("&Fit tree", QKeySequence("Ctrl+0"), tree_, &widgets::SearchTreeView::fitToView);
  view->addAction("&Radial layout", this,
                  [this] { tree_->setLayoutMode(widgets::SearchTreeView::Mode::Radial); });
  view->addAction("&Top-down layout", this,
                  [this] { tree_->setLayoutMode(widgets::SearchTreeView::Mode::TopDown); });
  view->addAction("&Jump to node...", QKeySequence("Ctrl+G"), this, [this] {
    bool ok = false;
    int id = QInputDialog::getInt(this, "Jump to node", "Node id:", 1, 1, 1 << 30, 1, &ok);
    if (ok) {
      if (nodeModel_.node(id))
        selectNode(id);
      else
        error(QString("no node %1 in this session").arg(id));
    }
  });
}

void MainWindow::buildToolbar() {
  QToolBar* bar = addToolBar("Search");
  bar->setObjectName("search-toolbar");
  bar->addAction("New", this, &MainWindow::newSession);
  bar->addAction("Open", this, &MainWindow::openDialog);
  bar->addSeparator();
  runBudget_ = new QSpinBox;
  runBudget_->setRange(1, 100000);
  runBudget_->setValue(32);
  runBudget_->setPrefix("+");
  runBudget_->setSuffix(" evals");
  runBudget_->setToolTip("Evaluations to add when you press Run");
  runAction_ = bar->addAction("Run", this, [this] {
    if (paused_) {
      controller_.steer({{"kind", "resume"}});
      paused_ = false;
    } else {
      controller_.run(runBudget_->value());
    }
    updateActions();
  });
  bar->addWidget(runBudget_);
  pauseAction_ = bar->addAction("Pause", this, [this] {
    controller_.steer({{"kind", "pause"}});
    paused_ = true;
    updateActions();
  });
  stepAction_ = bar->addAction("Step", this, [this] { controller_.steer({{"kind", "step"}}); });
  stopAction_ = bar->addAction("Stop", this, [this] { controller_.stop(); });
  bar->addSeparator();
  progress_ = new QLabel;
  progress_->setTextFormat(Qt::RichText);
  bar->addWidget(progress_);
}

void MainWindow::buildDocks() {
  auto dock = [this](const QString& title, const QString& name, QWidget* w,
                     Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(w);
    addDockWidget(area, d);
    menuBar()->actions().last()->menu()->addAction(d->toggleViewAction());
    return d;
  };
  auto* inspectorDock = dock("Inspector", "inspector", inspector_, Qt::RightDockWidgetArea);

  auto* charts = new QTabWidget;
  progressChart_ = new widgets::ProgressChart;
  payoffChart_ = new widgets::OperatorPayoffChart;
  charts->addTab(progressChart_, "Best speedup vs evaluations");
  charts->addTab(payoffChart_, "Operator payoff");
  auto* chartsDock = dock("Charts", "charts", charts, Qt::BottomDockWidgetArea);

  auto* list = new QWidget;
  auto* listLayout = new QVBoxLayout(list);
  listLayout->setContentsMargins(2, 2, 2, 2);
  auto* filters = new QHBoxLayout;
  filterText_ = new QLineEdit;
  filterText_->setPlaceholderText("node id or text");
  filterVerdict_ = new QComboBox;
  filterVerdict_->addItem("any verdict");
  filterVerdict_->addItems(kVerdicts);
  filterVerdict_->addItem("failures");
  filterOperator_ = new QComboBox;
  filterOperator_->addItem("any operator");
  filterOperator_->addItems(kOperators);
  filterMin_ = new QDoubleSpinBox;
  filterMax_ = new QDoubleSpinBox;
  for (auto* s : {filterMin_, filterMax_}) {
    s->setRange(0, 10000);
    s->setDecimals(2);
    s->setSuffix("x");
  }
  filterMin_->setPrefix("speedup ");
  filterMax_->setPrefix("to ");
  filterBest_ = new QCheckBox("best path only");
  filters->addWidget(filterText_, 1);
  filters->addWidget(filterVerdict_);
  filters->addWidget(filterOperator_);
  filters->addWidget(filterMin_);
  filters->addWidget(filterMax_);
  filters->addWidget(filterBest_);
  listLayout->addLayout(filters);
  nodeTable_ = new QTableView;
  nodeTable_->setModel(&proxy_);
  nodeTable_->setSortingEnabled(true);
  nodeTable_->sortByColumn(NodeTableModel::Id, Qt::AscendingOrder);
  nodeTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
  nodeTable_->setSelectionMode(QAbstractItemView::SingleSelection);
  nodeTable_->verticalHeader()->hide();
  nodeTable_->horizontalHeader()->setStretchLastSection(true);
  listLayout->addWidget(nodeTable_);
  connect(nodeTable_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& idx) {
            if (idx.isValid()) selectNode(idx.data(NodeTableModel::NodeIdRole).toLongLong());
          });
  connect(filterText_, &QLineEdit::textChanged, this, &MainWindow::applyFilters);
  connect(filterVerdict_, &QComboBox::currentIndexChanged, this, &MainWindow::applyFilters);
  connect(filterOperator_, &QComboBox::currentIndexChanged, this, &MainWindow::applyFilters);
  connect(filterMin_, &QDoubleSpinBox::valueChanged, this, &MainWindow::applyFilters);
  connect(filterMax_, &QDoubleSpinBox::valueChanged, this, &MainWindow::applyFilters);
  connect(filterBest_, &QCheckBox::toggled, this, &MainWindow::applyFilters);
  auto* nodesDock = dock("Nodes", "nodes", list, Qt::BottomDockWidgetArea);
  tabifyDockWidget(chartsDock, nodesDock);

  log_ = new QPlainTextEdit;
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);
  auto* logDock = dock("Log", "log", log_, Qt::BottomDockWidgetArea);
  tabifyDockWidget(nodesDock, logDock);
  chartsDock->raise();
  resizeDocks({inspectorDock}, {640}, Qt::Horizontal);
  resizeDocks({chartsDock}, {260}, Qt::Vertical);
}

widgets::TreeNodeVisual MainWindow::visual(const search::SearchNode& n) const {
  widgets::TreeNodeVisual v;
  v.id = n.id;
  v.parentId = n.parentId;
  v.speedup = n.ok() ? std::exp(n.score) : 0;
  v.verdict = n.status == search::NodeStatus::Lost ? QString("lost")
              : n.verdict.empty()                  ? QString("pending")
                                                   : QString::fromStdString(n.verdict);
  v.memoryOperator = QString::fromStdString(n.memoryOperator);
  v.pinned = n.pinned;
  v.pruned = nodeModel_.isPruned(n.id);
  v.userMade = n.userMade;
  v.approved = false;
  v.label = QString("#%1").arg(n.id);
  return v;
}

bool MainWindow::openSession(const QString& file) {
  return controller_.open(file);
}

void MainWindow::onSessionOpened(const QString& file,
                                 const std::vector<search::SearchNode>& nodes) {
  setWindowTitle("Kevo - " + QFileInfo(file).fileName());
  undo_.clear();
  pinnedBaseline_ = 0;
  selected_.reset();
  nodeModel_.reset(nodes);
  inspector_->setHardware(controller_.hardware());
  inspector_->setBackend(controller_.config().backend);
  inspector_->setSessionFile(file);
  inspector_->setPinnedBaseline(0);
  std::vector<widgets::TreeNodeVisual> visuals;
  for (const auto& n : nodes) visuals.push_back(visual(n));
  tree_->reset(visuals);
  progressChart_->reset();
  evaluatedCount_ = 0;
  for (const auto& n : nodes)
    if (!n.verdict.empty())
      progressChart_->addEvaluation(n.id, ++evaluatedCount_, n.ok() ? std::exp(n.score) : 0,
                                    QString::fromStdString(n.verdict));
  refreshBestPath();
  refreshPayoff();
  tree_->fitToView();
  addRecent(file);
  if (auto best = nodeModel_.best())
    selectNode(*best);
  else
    inspector_->showNode(std::nullopt);
  statusBar()->showMessage(QString("Opened %1: %2 nodes").arg(file).arg(nodes.size()), 8000);
  log_->appendPlainText(QString("opened %1: %2 nodes, problem %3")
                            .arg(file)
                            .arg(nodes.size())
                            .arg(QString::fromStdString(controller_.config().problem)));
  updateActions();
  refreshProgress();
}

void MainWindow::onSessionClosed() {
  setWindowTitle("Kevo");
  nodeModel_.reset({});
  tree_->reset({});
  progressChart_->reset();
  inspector_->showNode(std::nullopt);
  selected_.reset();
  undo_.clear();
  updateActions();
  refreshProgress();
}

void MainWindow::onNodeAdded(const search::SearchNode& n) {
  nodeModel_.addNode(n);
  tree_->addNode(visual(n));
  if (!n.verdict.empty()) onNodeUpdated(n);
  refreshProgress();
}

void MainWindow::onNodeUpdated(const search::SearchNode& n) {
  const search::SearchNode* before = nodeModel_.node(n.id);
  bool newlyEvaluated = !n.verdict.empty() && (!before || before->verdict.empty());
  bool pruneChanged = before && ((before->status == search::NodeStatus::Pruned) !=
                                 (n.status == search::NodeStatus::Pruned));
  nodeModel_.updateNode(n);
  tree_->updateNode(visual(n));
  if (pruneChanged) {
    // The whole subtree fades (or comes back).
    std::vector<int64_t> stack = {n.id};
    while (!stack.empty()) {
      int64_t id = stack.back();
      stack.pop_back();
      for (const auto& m : nodeModel_.nodes())
        if (m.parentId == id) {
          tree_->updateNode(visual(m));
          stack.push_back(m.id);
        }
    }
  }
  if (newlyEvaluated) {
    progressChart_->addEvaluation(n.id, ++evaluatedCount_, n.ok() ? std::exp(n.score) : 0,
                                  QString::fromStdString(n.verdict));
    refreshBestPath();
    refreshPayoff();
  }
  if (selected_ && *selected_ == n.id) {
    inspector_->showNode(n.id);
    loadDiagnostics(n);
  }
  applyFilters();
  updateActions();
  refreshProgress();
}

void MainWindow::refreshPayoff() {
  // How often each memory operator produced a child better than its parent, from the tree
  // itself, so a followed session shows it too.
  std::map<QString, std::pair<int, int>> payoff;
  for (const auto& n : nodeModel_.nodes()) {
    if (n.verdict.empty() || n.parentId <= 0) continue;
    const auto* p = nodeModel_.node(n.parentId);
    auto& [uses, wins] = payoff[QString::fromStdString(n.memoryOperator)];
    ++uses;
    if (p && p->ok() && n.ok() && n.score > p->score) ++wins;
  }
  payoffChart_->setPayoff(payoff);
}

void MainWindow::refreshBestPath() {
  auto best = nodeModel_.best();
  tree_->setBestPath(best ? nodeModel_.pathTo(*best) : std::vector<int64_t>{});
  double lo = 1, hi = 1;
  for (const auto& n : nodeModel_.nodes())
    if (n.ok()) {
      lo = std::min(lo, std::exp(n.score));
      hi = std::max(hi, std::exp(n.score));
    }
  tree_->setColorRange(lo, hi);
}

void MainWindow::refreshProgress() {
  if (!controller_.isOpen()) {
    progress_->setText("no session");
    return;
  }
  int evaluated = 0;
  std::map<std::string, int> failures;
  for (const auto& n : nodeModel_.nodes())
    if (!n.verdict.empty()) {
      ++evaluated;
      if (n.verdict != "ok") ++failures[n.verdict];
    }
  QString text = QString("<b>%1</b> evaluations").arg(evaluated);
  if (controller_.isRunning() && controller_.budget() > 0)
    text += QString(" (budget %1)").arg(controller_.budget());
  if (auto best = nodeModel_.best())
    text += QString(" &nbsp;|&nbsp; best <b>%1x</b> (node %2)")
                .arg(std::exp(nodeModel_.node(*best)->score), 0, 'f', 2)
                .arg(*best);
  if (controller_.isRunning()) {
    qint64 s = elapsed_.elapsed() / 1000;
    text += QString(" &nbsp;|&nbsp; %1:%2 %3")
                .arg(s / 60)
                .arg(s % 60, 2, 10, QChar('0'))
                .arg(paused_ ? "paused" : "running");
  } else if (controller_.isFollowing()) {
    text += " &nbsp;|&nbsp; following the file";
  }
  QString f;
  for (const auto& [v, c] : failures) f += QString(" %1 %2").arg(QString::fromStdString(v)).arg(c);
  text += " &nbsp;|&nbsp; failures:" + (f.isEmpty() ? QString(" none") : f);
  progress_->setText(text);
}

void MainWindow::applyFilters() {
  std::set<QString> verdicts;
  QString v = filterVerdict_->currentText();
  if (v == "failures")
    verdicts = {"compile_error", "crash", "timeout", "wrong_answer", "rejected"};
  else if (filterVerdict_->currentIndex() > 0)
    verdicts = {v};
  proxy_.setVerdicts(verdicts);
  std::set<QString> ops;
  if (filterOperator_->currentIndex() > 0) ops = {filterOperator_->currentText()};
  proxy_.setOperators(ops);
  proxy_.setSpeedupRange(filterMin_->value(), filterMax_->value());
  auto best = nodeModel_.best();
  proxy_.setBestPathOnly(filterBest_->isChecked(),
                         best ? nodeModel_.pathTo(*best) : std::vector<int64_t>{});
  proxy_.setText(filterText_->text());
  // The same filter on the tree: nodes that do not match are drawn faded.
  const NodeFilterProxy* proxy = &proxy_;
  const NodeTableModel* model = &nodeModel_;
  tree_->setFilter([proxy, model](const widgets::TreeNodeVisual& nv) {
    const auto* n = model->node(nv.id);
    return !n || proxy->accepts(*n);
  });
}

void MainWindow::selectNode(std::optional<int64_t> id) {
  if (id && !nodeModel_.node(*id)) return;
  if (selected_ == id) return;
  selected_ = id;
  if (id) tree_->setSelected(*id);
  inspector_->showNode(id);
  if (id) {
    int row = nodeModel_.rowOf(*id);
    QModelIndex idx = proxy_.mapFromSource(nodeModel_.index(row, 0));
    if (idx.isValid()) {
      QSignalBlocker block(nodeTable_->selectionModel());
      nodeTable_->selectionModel()->setCurrentIndex(
          idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    }
    loadDiagnostics(*nodeModel_.node(*id));
  }
  updateActions();
}

void MainWindow::loadDiagnostics(const search::SearchNode& n) {
  if (n.verdict != "compile_error" || n.evaluationId <= 0) return;
  // The diagnostics live in the session's evaluation row: read it off the GUI thread, and drop
  // the answer if the user has selected something else meanwhile.
  uint64_t generation = ++diagnosticsGeneration_;
  QString file = controller_.file();
  int64_t nodeId = n.id, evaluationId = n.evaluationId;
  QPointer<MainWindow> self(this);
  QThreadPool::globalInstance()->start([self, file, nodeId, evaluationId, generation] {
    std::vector<backend::CompileDiagnostic> diags;
    try {
      auto store = store::SessionStore::open(file.toStdString(), store::OpenMode::ReadOnly);
      if (auto e = store.evaluation(evaluationId))
        for (const auto& d : e->result["build"].value("diagnostics", nlohmann::json::array()))
          diags.push_back(backend::diagnosticFromJson(d));
    } catch (const std::exception&) {
    }
    QMetaObject::invokeMethod(
        qApp,
        [self, nodeId, diags, generation] {
          if (self && generation == self->diagnosticsGeneration_)
            self->inspector_->setDiagnostics(nodeId, diags);
        },
        Qt::QueuedConnection);
  });
}

void MainWindow::pinSelected(bool pin) {
  if (!selected_) return;
  int64_t id = *selected_;
  undo_.push(new SteeringUndoCommand(&controller_,
                                     QString(pin ? "Pin node %1" : "Unpin node %1").arg(id),
                                     {{"kind", pin ? "pin" : "unpin"}, {"node", id}},
                                     {{"kind", pin ? "unpin" : "pin"}, {"node", id}}));
}

void MainWindow::pruneSelected(bool prune) {
  if (!selected_) return;
  int64_t id = *selected_;
  const auto* n = nodeModel_.node(id);
  if (prune && n && n->pinned) {
    error(QString("node %1 is pinned: unpin it before pruning").arg(id));
    return;
  }
  undo_.push(new SteeringUndoCommand(
      &controller_, QString(prune ? "Prune subtree of node %1" : "Restore node %1").arg(id),
      {{"kind", prune ? "prune" : "unprune"}, {"node", id}},
      {{"kind", prune ? "unprune" : "prune"}, {"node", id}}));
}

void MainWindow::expandSelected(const QString& op, const QString& hint) {
  if (!selected_) return;
  nlohmann::json cmd = {{"kind", "expand"}, {"node", *selected_}, {"operator", op.toStdString()}};
  if (!hint.isEmpty()) cmd["hint"] = hint.toStdString();
  controller_.steer(cmd);
  if (!controller_.isRunning()) controller_.run(1);
}

void MainWindow::editAndEvaluateSelected(const QString& source) {
  if (!selected_) return;
  controller_.steer({{"kind", "edit"}, {"node", *selected_}, {"source", source.toStdString()}});
  if (!controller_.isRunning()) controller_.run(1);
}

void MainWindow::pinSelectedAsBaseline() {
  int64_t next = selected_ && *selected_ != pinnedBaseline_ ? *selected_ : 0;
  QPointer<MainWindow> self(this);
  undo_.push(new PinBaselineCommand(
      [self](int64_t id) {
        if (!self) return;
        self->pinnedBaseline_ = id;
        self->inspector_->setPinnedBaseline(id);
        self->statusBar()->showMessage(
            id ? QString("node %1 is the baseline: tables, roofline and diff compare with it")
                     .arg(id)
               : QString("baseline: the problem's own"),
            5000);
      },
      pinnedBaseline_, next));
}

void MainWindow::showContextMenu(int64_t id, const QPoint& pos) {
  selectNode(id);
  nodeMenu_->exec(pos);
}

void MainWindow::updateActions() {
  bool open = controller_.isOpen(), running = controller_.isRunning(), node = selected_.has_value();
  runAction_->setEnabled(open && (!running || paused_));
  runAction_->setText(paused_ && running ? "Resume" : "Run");
  pauseAction_->setEnabled(running && !paused_);
  stepAction_->setEnabled(running && paused_);
  stopAction_->setEnabled(running);
  closeAction_->setEnabled(open);
  for (QAction* a : nodeMenu_->actions()) a->setEnabled(open && node);
  if (!running) paused_ = false;
}

void MainWindow::newSession() {
  NewSessionDialog dialog(this);
  if (dialog.exec() != QDialog::Accepted) return;
  if (controller_.isRunning() &&
      QMessageBox::question(this, "New search",
                            "A search is running. Stop it and start a new one?") !=
          QMessageBox::Yes)
    return;
  controller_.startNew(dialog.request());
}

void MainWindow::openDialog() {
  QString f = QFileDialog::getOpenFileName(this, "Open session", {},
                                           "Kevo sessions (*.kevo);;All files (*)");
  if (!f.isEmpty()) openSession(f);
}

void MainWindow::addRecent(const QString& file) {
  QSettings settings;
  QStringList recent = settings.value("recent").toStringList();
  recent.removeAll(file);
  recent.prepend(QFileInfo(file).absoluteFilePath());
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue("recent", recent);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  recentMenu_->clear();
  QStringList recent = QSettings().value("recent").toStringList();
  for (const QString& f : recent) recentMenu_->addAction(f, this, [this, f] { openSession(f); });
  recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::profileSelected() {
  const auto* n = selected_ ? nodeModel_.node(*selected_) : nullptr;
  if (!n) return;
  if (controller_.config().backend != "cuda") {
    error("Nsight Compute profiles CUDA kernels: this is a " +
          QString::fromStdString(controller_.config().backend) + " session");
    return;
  }
  if (!n->ok()) {
    error(QString("node %1 has no correct evaluation to profile").arg(n->id));
    return;
  }
  if (profiling_) {
    statusBar()->showMessage("a profile is already being made; wait for it", 5000);
    return;
  }
  QString cli = qEnvironmentVariable("KEVO_CLI");
  if (cli.isEmpty()) cli = QCoreApplication::applicationDirPath() + "/kevo-cli";
  int64_t id = n->id;
  profiling_ = new QProcess(this);
  profiling_->setProgram(cli);
  profiling_->setArguments({controller_.file(), "--node", QString::number(id), "--quiet"});
  connect(profiling_, &QProcess::finished, this, [this, id](int code, QProcess::ExitStatus status) {
    QString err = QString::fromUtf8(profiling_->readAllStandardError()).trimmed();
    profiling_->deleteLater();
    profiling_ = nullptr;
    if (status == QProcess::NormalExit && code == 0) {
      controller_.reloadProfiles();
      log_->appendPlainText(QString("Nsight Compute profile of node %1 stored").arg(id));
      statusBar()->showMessage(QString("Nsight Compute profile of node %1 stored").arg(id), 5000);
    } else {
      error(QString("profiling node %1 failed: %2")
                .arg(id)
                .arg(err.isEmpty() ? "kevo-cli exited with code " + QString::number(code) : err));
    }
  });
  connect(profiling_, &QProcess::errorOccurred, this, [this, cli](QProcess::ProcessError e) {
    if (e != QProcess::FailedToStart) return;
    profiling_->deleteLater();
    profiling_ = nullptr;
    error("cannot start " + cli + " to profile the node");
  });
  statusBar()->showMessage(
      QString("profiling node %1 with Nsight Compute (the kernel runs many times over)...")
          .arg(id));
  log_->appendPlainText(
      QString("profiling node %1: %2 %3").arg(id).arg(cli, profiling_->arguments().join(' ')));
  profiling_->start();
}

void MainWindow::error(const QString& text) {
  statusBar()->showMessage(text, 10000);
  log_->appendPlainText("error: " + text);
  QMessageBox::warning(this, "Kevo", text);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (controller_.isRunning()) {
    if (QMessageBox::question(
            this, "Quit",
            "A search is running. Stop it after the evaluation in progress and quit? "
            "Everything evaluated so far is in the session file.") != QMessageBox::Yes) {
      event->ignore();
      return;
    }
    statusBar()->showMessage("Stopping after the evaluation in progress...");
    QEventLoop wait;
    connect(&controller_, &SessionController::runFinished, &wait, &QEventLoop::quit);
    QTimer::singleShot(120000, &wait, &QEventLoop::quit);
    controller_.stop();
    wait.exec();
  }
  controller_.close();
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  event->accept();
}

}  // namespace kevo::app

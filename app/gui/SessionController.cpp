#include "SessionController.h"

#include <QDateTime>
#include <QFileInfo>
#include <QMetaObject>
#include <chrono>
#include <filesystem>

#include "eval/Evaluator.h"
#include "eval/EvaluatorSetup.h"
#include "hw/HardwareProbe.h"
#include "problem/ProblemLibrary.h"
#include "search/NodeEvaluator.h"
#include "store/SessionStore.h"
#include "synth/RulesSynthesizer.h"
#include "util/Paths.h"

namespace kevo::app {

struct SessionController::Engine {
  std::unique_ptr<store::SessionStore> store;
  std::unique_ptr<eval::Evaluator> evaluator;
  std::unique_ptr<synth::RulesSynthesizer> synth;
  std::unique_ptr<search::HarnessNodeEvaluator> nodes;
  std::unique_ptr<search::SearchRunner> runner;
  QObject worker;  // lives on the engine thread: work is queued to it
};

SessionController::SessionController(QObject* parent) : QObject(parent) {
  qRegisterMetaType<kevo::search::SearchNode>();
  qRegisterMetaType<std::vector<kevo::search::SearchNode>>();
  qRegisterMetaType<nlohmann::json>();
  thread_ = new QThread(this);
  thread_->setObjectName("kevo-engine");
  thread_->start();
  pollWorker_.moveToThread(thread_);
  followTimer_.setInterval(1000);
  connect(&followTimer_, &QTimer::timeout, this, &SessionController::pollFile);
}

SessionController::~SessionController() {
  if (engine_ && engine_->runner) engine_->runner->requestStop();
  thread_->quit();
  thread_->wait();
}

bool SessionController::buildEngine(bool create) {
  // Runs on the GUI thread but touches nothing slow except the first hardware probe (1-2 s;
  // about 6 s more for the first GPU probe of a cuda session), which is cached per machine;
  // loading a spec and the recipes reads a few small files.
  try {
    problem_ = problem::loadProblem(problem::resolveProblemDir(config_.problem));
    hardware_ = hw::loadOrProbeHardware(hw::defaultHardwareCacheDir(), false);
    auto engine = std::make_unique<Engine>();
    engine->store = std::make_unique<store::SessionStore>(
        create ? store::SessionStore::create(file_.toStdString())
               : store::SessionStore::open(file_.toStdString()));
    if (create) {
      engine->store->setMeta("problem_id", problem_.id);
      engine->store->setMeta("hardware", hw::toJson(hardware_).dump());
      engine->store->setMeta("search_config", config_.toJson().dump());
    }
    engine->evaluator =
        std::make_unique<eval::Evaluator>(eval::evaluatorConfigFor(config_.backend, hardware_));
    synth::RecipeLibrary library =
        synth::loadRecipeLibrary(synth::defaultRecipeRoot(config_.backend));
    std::vector<synth::Recipe> recipes;
    for (const auto* r : library.forProblem(problem_.id)) recipes.push_back(*r);
    if (recipes.empty())
      throw std::runtime_error("no recipe applies to problem " + problem_.id + " (in " +
                               synth::defaultRecipeRoot(config_.backend).string() + ")");
    engine->synth = std::make_unique<synth::RulesSynthesizer>(recipes);
    eval::EvalOptions options;
    options.shapeSets = config_.shapeSets;
    engine->nodes = std::make_unique<search::HarnessNodeEvaluator>(
        *engine->evaluator, problem_, options, engine->store.get(), config_.seed);
    engine->runner = std::make_unique<search::SearchRunner>(config_, *engine->synth, *engine->nodes,
                                                            engine->store.get());
    engine->runner->restore();
    engine->runner->events().subscribe(
        [this](const search::SearchEvent& e) { publishFromEngine(e); });
    engine->worker.moveToThread(thread_);
    engine_ = std::move(engine);
    return true;
  } catch (const std::exception& e) {
    if (create) {
      std::error_code ec;
      // Nothing was evaluated yet: leave no half-made session behind.
      if (!engine_) std::filesystem::remove(file_.toStdString(), ec);
    }
    emit errorOccurred(QString::fromStdString(e.what()));
    return false;
  }
}

bool SessionController::startNew(const NewSessionRequest& request) {
  close();
  file_ = request.file;
  config_ = request.config;
  config_.problem = request.problem.toStdString();
  budget_ = request.budget;
  if (QFileInfo::exists(file_)) {
    emit errorOccurred(file_ + ": already exists; open it to continue it, or choose another name");
    return false;
  }
  if (!buildEngine(true)) return false;
  open_ = true;
  emit sessionOpened(file_, {});
  run(budget_);
  return true;
}

bool SessionController::open(const QString& file) {
  close();
  file_ = file;
  std::vector<search::SearchNode> nodes;
  store::NodeProfiles profiles;
  try {
    auto reader = store::SessionStore::open(file.toStdString(), store::OpenMode::ReadOnly);
    profiles = store::latestNodeProfiles(reader);
    auto text = reader.meta("search_config");
    if (!text)
      throw std::runtime_error(file.toStdString() +
                               ": a session without a search (evaluations only)");
    config_ = search::SearchConfig::fromJson(nlohmann::json::parse(*text));
    for (const auto& j : reader.nodes()) nodes.push_back(search::SearchNode::fromJson(j));
  } catch (const std::exception& e) {
    emit errorOccurred(QString::fromStdString(e.what()));
    file_.clear();
    return false;
  }
  budget_ = 0;
  for (const auto& n : nodes)
    seen_[n.id] = std::string(search::nodeStatusName(n.status)) + n.verdict;
  try {
    problem_ = problem::loadProblem(problem::resolveProblemDir(config_.problem));
    hardware_ = hw::loadOrProbeHardware(hw::defaultHardwareCacheDir(), false);
  } catch (const std::exception& e) {
    emit errorOccurred(QString::fromStdString(e.what()));
  }
  open_ = true;
  emit sessionOpened(file_, nodes);
  knownProfiles_ = profiles;
  emit profilesLoaded(profiles);
  // Another process may be writing it: follow until this window runs it itself.
  followTimer_.start();
  return true;
}

void SessionController::close() {
  followTimer_.stop();
  if (engine_) {
    engine_->runner->requestStop();
    // The engine thread finishes the evaluation in progress, then the engine is destroyed
    // there; the GUI keeps painting meanwhile.
    Engine* raw = engine_.release();
    QMetaObject::invokeMethod(
        &raw->worker, [raw] { delete raw; }, Qt::QueuedConnection);
  }
  seen_.clear();
  if (open_) {
    open_ = false;
    emit sessionClosed();
  }
}

void SessionController::run(int evaluations) {
  if (!open_ || running_) return;
  if (!engine_) {
    // An opened session: take it over from follow mode, unless someone else is writing it.
    QFileInfo wal(file_ + "-wal");
    if (wal.exists() && wal.lastModified().secsTo(QDateTime::currentDateTime()) < 5) {
      emit errorOccurred(file_ +
                         " is being written by another process (kevo-cli search?); "
                         "following it instead of running it twice");
      return;
    }
    followTimer_.stop();
    if (!buildEngine(false)) return;
  }
  budget_ += evaluations;
  running_ = true;
  emit runStateChanged(true);
  search::SearchRunner* runner = engine_->runner.get();
  QMetaObject::invokeMethod(
      &engine_->worker,
      [this, runner, evaluations] {
        search::RunSummary s;
        try {
          s = runner->run(evaluations);
        } catch (const std::exception& e) {
          QString what = QString::fromStdString(e.what());
          QMetaObject::invokeMethod(
              this, [this, what] { emit errorOccurred(what); }, Qt::QueuedConnection);
          s.stopReason = "error";
        }
        QString reason = QString::fromStdString(s.stopReason);
        QMetaObject::invokeMethod(
            this,
            [this, reason] {
              running_ = false;
              emit runStateChanged(false);
              emit runFinished(reason);
            },
            Qt::QueuedConnection);
      },
      Qt::QueuedConnection);
}

void SessionController::stop() {
  if (engine_ && engine_->runner) engine_->runner->requestStop();
}

void SessionController::steer(const nlohmann::json& command) {
  if (!open_) return;
  if (engine_) {
    engine_->runner->post(command, "kevo (GUI)");
    if (!running_) {
      // Not running: apply it now with a zero-evaluation step so the view reflects it at once.
      search::SearchRunner* runner = engine_->runner.get();
      QMetaObject::invokeMethod(
          &engine_->worker, [runner] { runner->applyPendingSteering(); }, Qt::QueuedConnection);
    }
    return;
  }
  // Following another process's search: queue it in the file; that search applies it.
  try {
    auto writer = store::SessionStore::open(file_.toStdString());
    writer.addSteering(command, "kevo (GUI)");
    emit logMessage("queued for the process running this search: " +
                    QString::fromStdString(command.dump()));
  } catch (const std::exception& e) {
    emit errorOccurred(QString::fromStdString(e.what()));
  }
}

void SessionController::publishFromEngine(const search::SearchEvent& e) {
  // Called on the engine thread: copy and hand over.
  using Kind = search::SearchEvent::Kind;
  if (e.kind == Kind::NodeAdded || e.kind == Kind::NodeEvaluated) {
    search::SearchNode n = search::SearchNode::fromJson(e.data);
    bool added = e.kind == Kind::NodeAdded;
    QMetaObject::invokeMethod(
        this,
        [this, n, added] {
          if (added)
            emit nodeAdded(n);
          else
            emit nodeUpdated(n);
        },
        Qt::QueuedConnection);
  } else if (e.kind == Kind::NodeChanged) {
    search::SearchNode n = search::SearchNode::fromJson(e.data);
    QMetaObject::invokeMethod(
        this, [this, n] { emit nodeUpdated(n); }, Qt::QueuedConnection);
  } else if (e.kind == Kind::Steering) {
    QString m = QString::fromStdString(e.message);
    QMetaObject::invokeMethod(
        this, [this, m] { emit steeringApplied(m); }, Qt::QueuedConnection);
  } else if (e.kind == Kind::Log) {
    QString m = QString::fromStdString(e.message);
    QMetaObject::invokeMethod(
        this, [this, m] { emit logMessage(m); }, Qt::QueuedConnection);
  }
}

void SessionController::reloadProfiles() {
  if (file_.isEmpty()) return;
  QString file = file_;
  // A session read: on the engine thread, like the follow-up polls; delivered on the GUI thread.
  QMetaObject::invokeMethod(
      &pollWorker_,
      [this, file] {
        store::NodeProfiles profiles;
        QString error;
        try {
          auto reader = store::SessionStore::open(file.toStdString(), store::OpenMode::ReadOnly);
          profiles = store::latestNodeProfiles(reader);
        } catch (const std::exception& e) {
          error = QString::fromStdString(e.what());
        }
        QMetaObject::invokeMethod(
            this,
            [this, file, profiles, error] {
              if (file != file_) return;
              if (!error.isEmpty()) {
                emit errorOccurred(error);
                return;
              }
              knownProfiles_ = profiles;
              emit profilesLoaded(profiles);
            },
            Qt::QueuedConnection);
      },
      Qt::QueuedConnection);
}

void SessionController::pollFile() {
  if (polling_ || file_.isEmpty()) return;
  polling_ = true;
  QString file = file_;
  // Read on the engine thread (SQLite is disk I/O); deliver changes on the GUI thread.
  QMetaObject::invokeMethod(
      &pollWorker_,
      [this, file] {
        std::vector<search::SearchNode> nodes;
        store::NodeProfiles profiles;
        bool read = false;
        try {
          auto reader = store::SessionStore::open(file.toStdString(), store::OpenMode::ReadOnly);
          for (const auto& j : reader.nodes()) nodes.push_back(search::SearchNode::fromJson(j));
          profiles = store::latestNodeProfiles(reader);
          read = true;
        } catch (const std::exception&) {
          // Mid-write or gone: try again next tick.
        }
        QMetaObject::invokeMethod(
            this,
            [this, file, nodes, profiles, read] {
              polling_ = false;
              if (file != file_ || engine_) return;
              if (read && profiles != knownProfiles_) {
                knownProfiles_ = profiles;
                emit profilesLoaded(profiles);
              }
              for (const auto& n : nodes) {
                std::string state = std::string(search::nodeStatusName(n.status)) + n.verdict +
                                    (n.pinned ? "p" : "");
                auto it = seen_.find(n.id);
                if (it == seen_.end()) {
                  seen_[n.id] = state;
                  emit nodeAdded(n);
                } else if (it->second != state) {
                  it->second = state;
                  emit nodeUpdated(n);
                }
              }
            },
            Qt::QueuedConnection);
      },
      Qt::QueuedConnection);
}

}  // namespace kevo::app

// Owns one session for the GUI: the engine (problem, evaluator, synthesizer, search runner,
// session store) lives on its own thread; the GUI talks to it only through this object.
// Requests go in as steering commands or run/stop calls; results come back as queued signals
// carrying copies of nodes, never pointers into live state. A session written by another
// process (kevo-cli search) is followed by polling its file on a background thread.
#pragma once

#include <QObject>
#include <QString>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>

#include "hw/HardwareInfo.h"
#include "problem/Problem.h"
#include "search/SearchNode.h"
#include "search/SearchRunner.h"
#include "store/NodeProfiles.h"

namespace kevo::app {

struct NewSessionRequest {
  QString file;
  QString problem;  // bundled id or folder
  search::SearchConfig config;
  int budget = 64;
};

class SessionController : public QObject {
  Q_OBJECT

 public:
  explicit SessionController(QObject* parent = nullptr);
  ~SessionController() override;

  // Both report failure through errorOccurred (never throw into the GUI).
  bool startNew(const NewSessionRequest& request);
  bool open(const QString& file);
  void close();

  bool isOpen() const { return open_; }
  bool isRunning() const { return running_; }
  bool isFollowing() const { return followTimer_.isActive(); }
  const QString& file() const { return file_; }
  // Reads the session's Nsight Compute profiles again (after a kevo-cli profile run), off the
  // GUI thread; profilesLoaded follows.
  void reloadProfiles();
  const problem::Problem& problem() const { return problem_; }
  const hw::HardwareInfo& hardware() const { return hardware_; }
  const search::SearchConfig& config() const { return config_; }
  int budget() const { return budget_; }

  void run(int evaluations);                  // continue the search for this many evaluations
  void stop();                                // after the evaluation in progress
  void steer(const nlohmann::json& command);  // prune, pin, expand, edit, pause, resume, step, set

 signals:
  void sessionOpened(const QString& file, const std::vector<kevo::search::SearchNode>& nodes);
  void sessionClosed();
  void nodeAdded(const kevo::search::SearchNode& node);
  void nodeUpdated(const kevo::search::SearchNode& node);
  // The Nsight Compute profiles stored in the session (kevo-cli profile FILE --node N), on open
  // and whenever the file changes.
  void profilesLoaded(const kevo::store::NodeProfiles& profiles);
  void steeringApplied(const QString& message);
  void runStateChanged(bool running);
  void runFinished(const QString& reason);
  void logMessage(const QString& text);
  void errorOccurred(const QString& text);

 private:
  void publishFromEngine(const search::SearchEvent& e);
  void pollFile();
  store::NodeProfiles knownProfiles_;
  bool buildEngine(bool create);

  QString file_;
  bool open_ = false;
  std::atomic<bool> running_{false};
  problem::Problem problem_;
  hw::HardwareInfo hardware_;
  search::SearchConfig config_;
  int budget_ = 0;
  struct Engine;
  std::unique_ptr<Engine> engine_;
  QThread* thread_ = nullptr;
  QTimer followTimer_;
  std::atomic<bool> polling_{false};
  QObject pollWorker_;                   // on the engine thread: reads the file in follow mode
  std::map<int64_t, std::string> seen_;  // follow mode: node id -> status+verdict last shown
};

}  // namespace kevo::app

Q_DECLARE_METATYPE(kevo::search::SearchNode)
Q_DECLARE_METATYPE(std::vector<kevo::search::SearchNode>)
Q_DECLARE_METATYPE(nlohmann::json)

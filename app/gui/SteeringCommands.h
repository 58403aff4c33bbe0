// Steering actions a person can take back, as QUndoCommands (Edit > Undo): pin, prune, and
// pinning a node as the comparison baseline. Each sends its command (and the reverse) to the
// session controller, which records it in the session.
#pragma once

#include <QUndoCommand>
#include <functional>
#include <nlohmann/json.hpp>

namespace kevo::app {

class SessionController;

// A reversible steering command: `forward` on redo, `backward` on undo.
class SteeringUndoCommand : public QUndoCommand {
 public:
  SteeringUndoCommand(SessionController* controller, const QString& text, nlohmann::json forward,
                      nlohmann::json backward);
  void redo() override;
  void undo() override;

 private:
  SessionController* controller_;
  nlohmann::json forward_, backward_;
};

// Pinning a node as the baseline the inspector compares against (a view setting, not engine
// state): `apply` receives the node id to pin, or 0 for the problem's own baseline.
class PinBaselineCommand : public QUndoCommand {
 public:
  PinBaselineCommand(std::function<void(int64_t)> apply, int64_t before, int64_t after);
  void redo() override { apply_(after_); }
  void undo() override { apply_(before_); }

 private:
  std::function<void(int64_t)> apply_;
  int64_t before_, after_;
};

}  // namespace kevo::app

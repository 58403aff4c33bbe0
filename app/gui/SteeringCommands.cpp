#include "SteeringCommands.h"

#include "SessionController.h"

namespace kevo::app {

SteeringUndoCommand::SteeringUndoCommand(SessionController* controller, const QString& text,
                                         nlohmann::json forward, nlohmann::json backward)
    : QUndoCommand(text),
      controller_(controller),
      forward_(std::move(forward)),
      backward_(std::move(backward)) {}

void SteeringUndoCommand::redo() {
  controller_->steer(forward_);
}
void SteeringUndoCommand::undo() {
  controller_->steer(backward_);
}

PinBaselineCommand::PinBaselineCommand(std::function<void(int64_t)> apply, int64_t before,
                                       int64_t after)
    : QUndoCommand(after ? QString("Pin node %1 as baseline").arg(after)
                         : QString("Unpin baseline")),
      apply_(std::move(apply)),
      before_(before),
      after_(after) {}

}  // namespace kevo::app

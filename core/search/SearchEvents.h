// The search's event stream: node added, node evaluated, node changed (pinned, pruned), best
// improved, steering applied, log.
// Subscribers are called on the search thread, in order; a GUI subscriber copies the event into
// its own queue and returns (app/ turns that into Qt signals on the GUI thread).
#pragma once

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kevo::search {

struct SearchEvent {
  enum class Kind { NodeAdded, NodeEvaluated, NodeChanged, BestImproved, Steering, Log, Finished };
  Kind kind = Kind::Log;
  int64_t nodeId = 0;
  std::string message;
  nlohmann::json data;  // the node (as JSON) for node events
};
const char* eventKindName(SearchEvent::Kind k);

class EventBus {
 public:
  using Handler = std::function<void(const SearchEvent&)>;
  int subscribe(Handler h);
  void unsubscribe(int id);
  void publish(const SearchEvent& e);

 private:
  std::mutex mutex_;
  std::vector<std::pair<int, Handler>> handlers_;
  int next_ = 1;
};

}  // namespace kevo::search

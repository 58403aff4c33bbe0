#include "search/SearchEvents.h"

namespace kevo::search {

const char* eventKindName(SearchEvent::Kind k) {
  switch (k) {
    case SearchEvent::Kind::NodeAdded:
      return "node_added";
    case SearchEvent::Kind::NodeEvaluated:
      return "node_evaluated";
    case SearchEvent::Kind::NodeChanged:
      return "node_changed";
    case SearchEvent::Kind::BestImproved:
      return "best_improved";
    case SearchEvent::Kind::Steering:
      return "steering";
    case SearchEvent::Kind::Log:
      return "log";
    case SearchEvent::Kind::Finished:
      return "finished";
  }
  return "?";
}

int EventBus::subscribe(Handler h) {
  std::lock_guard lock(mutex_);
  handlers_.emplace_back(next_, std::move(h));
  return next_++;
}

void EventBus::unsubscribe(int id) {
  std::lock_guard lock(mutex_);
  std::erase_if(handlers_, [id](const auto& p) { return p.first == id; });
}

void EventBus::publish(const SearchEvent& e) {
  std::vector<Handler> copy;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, h] : handlers_) copy.push_back(h);
  }
  for (const auto& h : copy) h(e);
}

}  // namespace kevo::search

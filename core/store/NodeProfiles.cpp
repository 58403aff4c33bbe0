#include "store/NodeProfiles.h"

namespace kevo::store {

std::string profileLabel(int64_t nodeId) {
  return "node " + std::to_string(nodeId);
}

NodeProfiles latestNodeProfiles(const SessionStore& store) {
  NodeProfiles out;
  for (const auto& e : store.evaluationsWithRole(kProfileRole)) {
    if (e.label.rfind("node ", 0) != 0) continue;
    try {
      int64_t id = std::stoll(e.label.substr(5));
      nlohmann::json j = e.result;
      j["created_at"] = e.createdAt;
      out[id] = j;  // ordered by id: the latest wins
    } catch (const std::exception&) {
      // A label Kevo did not write: not a node's profile.
    }
  }
  return out;
}

}  // namespace kevo::store

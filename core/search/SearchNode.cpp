#include "search/SearchNode.h"

namespace kevo::search {

const char* nodeStatusName(NodeStatus s) {
  switch (s) {
    case NodeStatus::Pending:
      return "pending";
    case NodeStatus::Evaluated:
      return "evaluated";
    case NodeStatus::Pruned:
      return "pruned";
    case NodeStatus::Lost:
      return "lost";
  }
  return "?";
}

NodeStatus parseNodeStatus(const std::string& s) {
  if (s == "evaluated") return NodeStatus::Evaluated;
  if (s == "pruned") return NodeStatus::Pruned;
  if (s == "lost") return NodeStatus::Lost;
  return NodeStatus::Pending;
}

nlohmann::json SearchNode::toJson() const {
  return {{"id", id},
          {"parent", parentId},
          {"depth", depth},
          {"island", island},
          {"recipe", recipe},
          {"knobs", knobs},
          {"operator", memoryOperator},
          {"change", change},
          {"reason", reason},
          {"context", context},
          {"source", source},
          {"source_key", sourceKey},
          {"flags", flags},
          {"status", nodeStatusName(status)},
          {"verdict", verdict},
          {"detail", detail},
          {"score", score},
          {"summary", summary},
          {"bottleneck", bottleneck},
          {"pinned", pinned},
          {"user_made", userMade},
          {"evaluation_id", evaluationId},
          {"created_at", createdAt}};
}

SearchNode SearchNode::fromJson(const nlohmann::json& j) {
  SearchNode n;
  n.id = j.value("id", int64_t(0));
  n.parentId = j.value("parent", int64_t(-1));
  n.depth = j.value("depth", 0);
  n.island = j.value("island", 0);
  n.recipe = j.value("recipe", "");
  if (j.contains("knobs")) n.knobs = j["knobs"].get<synth::KnobValues>();
  n.memoryOperator = j.value("operator", "");
  n.change = j.value("change", "");
  n.reason = j.value("reason", "");
  n.context = j.value("context", nlohmann::json::object());
  n.source = j.value("source", "");
  n.sourceKey = j.value("source_key", "");
  if (j.contains("flags")) n.flags = j["flags"].get<std::vector<std::string>>();
  n.status = parseNodeStatus(j.value("status", "pending"));
  n.verdict = j.value("verdict", "");
  n.detail = j.value("detail", "");
  n.score = j.value("score", 0.0);
  n.summary = j.value("summary", nlohmann::json::object());
  n.bottleneck = j.value("bottleneck", "");
  n.pinned = j.value("pinned", false);
  n.userMade = j.value("user_made", false);
  n.evaluationId = j.value("evaluation_id", int64_t(0));
  n.createdAt = j.value("created_at", "");
  return n;
}

}  // namespace kevo::search

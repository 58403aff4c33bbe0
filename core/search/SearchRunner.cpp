#include "search/SearchRunner.h"

#include <chrono>
#include <ctime>
#include <thread>

#include "search/MemoryOperator.h"
#include "store/SessionStore.h"
#include "util/Sha256.h"

namespace kevo::search {

namespace {

std::string nowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

nlohmann::json SearchConfig::toJson() const {
  return {{"problem", problem},
          {"policy", policy},
          {"policy_params", policyParams},
          {"operator_mode", operatorMode},
          {"seed", seed},
          {"batch", batch},
          {"time_limit_seconds", timeLimitSeconds},
          {"plateau", plateau},
          {"shape_sets", shapeSets},
          {"backend", backend}};
}

SearchConfig SearchConfig::fromJson(const nlohmann::json& j) {
  SearchConfig c;
  c.problem = j.value("problem", "");
  c.policy = j.value("policy", "mcts");
  c.policyParams = j.value("policy_params", nlohmann::json::object());
  c.operatorMode = j.value("operator_mode", "adaptive");
  c.seed = j.value("seed", uint64_t(1));
  c.batch = j.value("batch", 2);
  c.timeLimitSeconds = j.value("time_limit_seconds", 0.0);
  c.plateau = j.value("plateau", 0);
  c.backend = j.value("backend", "cpu");
  if (j.contains("shape_sets")) c.shapeSets = j["shape_sets"].get<std::vector<std::string>>();
  return c;
}

SearchRunner::SearchRunner(SearchConfig config, synth::Synthesizer& synthesizer,
                           NodeEvaluator& evaluator, store::SessionStore* store)
    : config_(std::move(config)),
      synth_(synthesizer),
      evaluator_(evaluator),
      store_(store),
      policy_(makePolicy(config_.policy, config_.policyParams)),
      schedule_(config_.operatorMode),
      rng_(config_.seed) {
  if (config_.batch < 1) config_.batch = 1;
}

void SearchRunner::restore() {
  if (!store_) return;
  std::vector<int64_t> evaluated;
  for (const auto& j : store_->nodes()) {
    SearchNode n = SearchNode::fromJson(j);
    if (n.status == NodeStatus::Pending) {
      // It was being built or run when the process stopped: its result is gone.
      n.status = NodeStatus::Lost;
      store_->saveNode(n.id, n.parentId, nodeStatusName(n.status), n.verdict, n.toJson());
    }
    if (!n.verdict.empty()) evaluated.push_back(n.id);
    tree_.add(n);
  }
  for (int64_t id : evaluated) {
    const SearchNode& n = tree_.at(id);
    ++counts_.verdicts[n.verdict];
    policy_->observe(tree_, id);
    if (n.parentId > 0 && tree_.contains(n.parentId)) {
      const SearchNode& p = tree_.at(n.parentId);
      schedule_.observe(n.memoryOperator, n.ok() && p.ok() && n.score > p.score);
    }
    if (n.ok() && n.score > bestScore_) bestScore_ = n.score;
  }
  // A different stream from the first run's, but fixed by the seed and the tree size.
  rng_.seed(config_.seed ^ (0x9E3779B97F4A7C15ULL * (tree_.size() + 1)));
}

void SearchRunner::post(const nlohmann::json& command, const std::string& who) {
  std::lock_guard lock(postMutex_);
  posted_.emplace_back(command, who);
}

void SearchRunner::log(const std::string& message) {
  SearchEvent e;
  e.kind = SearchEvent::Kind::Log;
  e.message = message;
  events_.publish(e);
}

void SearchRunner::record(const SearchNode& n) {
  if (store_) store_->saveNode(n.id, n.parentId, nodeStatusName(n.status), n.verdict, n.toJson());
}

void SearchRunner::applySteering() {
  std::vector<std::pair<nlohmann::json, std::string>> posted;
  {
    std::lock_guard lock(postMutex_);
    posted.swap(posted_);
  }
  if (!store_) {
    for (const auto& [cmd, who] : posted) {
      std::string outcome = applyCommand(cmd);
      SearchEvent e{SearchEvent::Kind::Steering, cmd.value("node", int64_t(0)), outcome, cmd};
      events_.publish(e);
    }
    return;
  }
  for (const auto& [cmd, who] : posted) store_->addSteering(cmd, who);
  for (const auto& row : store_->steering(true)) {
    std::string outcome = applyCommand(row.command);
    store_->markSteeringApplied(row.id, outcome);
    SearchEvent e{SearchEvent::Kind::Steering, row.command.value("node", int64_t(0)),
                  row.who + ": " + outcome, row.command};
    events_.publish(e);
  }
}

std::string SearchRunner::applyCommand(const nlohmann::json& cmd) {
  std::string kind = cmd.value("kind", "");
  int64_t id = cmd.value("node", int64_t(0));
  auto needNode = [&]() -> SearchNode* { return tree_.contains(id) ? &tree_.at(id) : nullptr; };
  if (kind == "pause") {
    paused_ = true;
    return "paused";
  }
  if (kind == "resume") {
    paused_ = false;
    return "resumed";
  }
  if (kind == "step") {
    ++stepsAllowed_;
    return "one step";
  }
  if (kind == "set") {
    nlohmann::json p = cmd.value("params", nlohmann::json::object());
    policy_->setParams(p);
    if (p.contains("batch")) config_.batch = std::max(1, p["batch"].get<int>());
    if (p.contains("operator_mode")) {
      try {
        schedule_ = OperatorSchedule(p["operator_mode"].get<std::string>());
        config_.operatorMode = schedule_.mode();
      } catch (const std::exception& e) {
        return std::string("refused: ") + e.what();
      }
    }
    if (store_) store_->setMeta("search_config", config_.toJson().dump());
    return "parameters set: " + p.dump();
  }
  SearchNode* n = needNode();
  if (!n) return "refused: no node " + std::to_string(id);
  if (kind == "prune" || kind == "unprune") {
    if (kind == "prune" && n->pinned) return "refused: node " + std::to_string(id) + " is pinned";
    if (kind == "unprune" && n->status != NodeStatus::Pruned)
      return "node " + std::to_string(id) + " was not pruned";
    n->status = kind == "prune" ? NodeStatus::Pruned
                                : (n->verdict.empty() ? NodeStatus::Lost : NodeStatus::Evaluated);
    record(*n);
    events_.publish({SearchEvent::Kind::NodeChanged, n->id, kind, n->toJson()});
    std::erase_if(forced_,
                  [&](const Expansion& e) { return e.parent > 0 && tree_.isPruned(e.parent); });
    return (kind == "prune" ? "pruned subtree of node " : "restored node ") + std::to_string(id);
  }
  if (kind == "pin" || kind == "unpin") {
    n->pinned = kind == "pin";
    record(*n);
    events_.publish({SearchEvent::Kind::NodeChanged, n->id, kind, n->toJson()});
    return (n->pinned ? "pinned node " : "unpinned node ") + std::to_string(id);
  }
  if (kind == "expand") {
    std::string op = cmd.value("operator", "");
    if (!op.empty() && !isMemoryOperator(op))
      return "refused: unknown memory operator \"" + op + "\"";
    if (tree_.isPruned(id)) return "refused: node " + std::to_string(id) + " is pruned";
    forced_.push_back({id, op, cmd.value("hint", ""), -1, ""});
    return "will expand node " + std::to_string(id) + (op.empty() ? "" : " with " + op) +
           (cmd.value("hint", "").empty() ? "" : ", hint \"" + cmd.value("hint", "") + "\"");
  }
  if (kind == "edit") {
    std::string source = cmd.value("source", "");
    if (source.empty()) return "refused: an edit needs the source";
    forced_.push_front({id, "user", cmd.value("hint", ""), -1, source});
    return "will evaluate a user edit as a child of node " + std::to_string(id);
  }
  return "refused: unknown command \"" + kind + "\"";
}

std::optional<SearchNode> SearchRunner::makeNode(const Expansion& e,
                                                 const std::vector<std::string>& batchKeys) {
  SearchNode n;
  n.parentId = e.parent;
  n.createdAt = nowUtc();
  if (e.parent > 0 && tree_.contains(e.parent)) n.island = tree_.at(e.parent).island;
  if (e.island >= 0) n.island = e.island;
  if (!e.userSource.empty()) {
    const SearchNode& p = tree_.at(e.parent);
    n.memoryOperator = "user";
    n.userMade = true;
    n.source = e.userSource;
    n.recipe = "";
    n.flags = p.flags;
    n.change = "edited by hand";
    n.reason = e.hint.empty() ? "a person's edit of node " + std::to_string(p.id) : e.hint;
    n.context = {{"edited_from", p.id}, {"hint", e.hint}};
    n.sourceKey = "user|" + util::sha256Hex(n.source);
    return n;
  }
  std::string op = e.parent > 0 ? e.op : "fresh";
  synth::SynthesisContext ctx = buildContext(tree_, e.parent, op, config_.problem, e.hint);
  for (int attempt = 0; attempt < 12; ++attempt) {
    auto proposal = synth_.propose(ctx, rng_, attempt);
    if (!proposal) break;
    if (tree_.hasSourceKey(proposal->key) ||
        std::find(batchKeys.begin(), batchKeys.end(), proposal->key) != batchKeys.end()) {
      ++counts_.duplicatesSkipped;
      continue;
    }
    n.recipe = proposal->recipe;
    n.knobs = proposal->knobs;
    n.source = proposal->source;
    n.flags = proposal->flags;
    n.change = proposal->change;
    n.reason = proposal->reason;
    n.sourceKey = proposal->key;
    n.memoryOperator = e.parent > 0 ? op : "root";
    n.context = ctx.toJson();
    n.context["synthesizer"] = synth_.name();
    n.context["attempt"] = attempt;
    return n;
  }
  return std::nullopt;
}

void SearchRunner::finishNode(SearchNode& n, const NodeOutcome& o) {
  n.status = n.status == NodeStatus::Pruned ? NodeStatus::Pruned : NodeStatus::Evaluated;
  n.verdict = o.verdict;
  n.detail = o.detail;
  n.score = o.score;
  n.summary = o.summary;
  n.bottleneck = o.bottleneck;
  n.evaluationId = o.evaluationId;
  record(n);
  ++counts_.verdicts[n.verdict];
  policy_->observe(tree_, n.id);
  bool improved = false;
  if (n.parentId > 0 && tree_.contains(n.parentId)) {
    const SearchNode& p = tree_.at(n.parentId);
    improved = n.ok() && p.ok() && n.score > p.score;
    schedule_.observe(n.memoryOperator, improved);
  }
  events_.publish({SearchEvent::Kind::NodeEvaluated, n.id, n.verdict, n.toJson()});
  if (n.ok() && n.score > bestScore_) {
    bestScore_ = n.score;
    sinceBest_ = 0;
    events_.publish({SearchEvent::Kind::BestImproved, n.id, "new best", n.toJson()});
  } else {
    ++sinceBest_;
  }
}

RunSummary SearchRunner::run(int evaluations) {
  RunSummary summary;
  if (store_) store_->setMeta("search_config", config_.toJson().dump());
  auto start = std::chrono::steady_clock::now();
  int stalls = 0;
  stop_ = false;
  while (summary.evaluated < evaluations) {
    applySteering();
    if (stop_) {
      summary.stopReason = "stopped";
      break;
    }
    if (paused_ && stepsAllowed_ == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (stepsAllowed_ > 0) --stepsAllowed_;
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (config_.timeLimitSeconds > 0 && elapsed >= config_.timeLimitSeconds) {
      summary.stopReason = "time";
      break;
    }
    if (config_.plateau > 0 && sinceBest_ >= config_.plateau && bestScore_ > -1e300) {
      summary.stopReason = "plateau";
      break;
    }

    // Choose a batch from one tree state.
    std::vector<int64_t> batch;
    std::vector<std::string> keys;
    int want = std::min(config_.batch, evaluations - summary.evaluated);
    for (int b = 0; b < want; ++b) {
      Expansion e;
      bool forced = !forced_.empty();
      if (forced) {
        e = forced_.front();
        forced_.pop_front();
        if (e.op.empty()) e.op = schedule_.choose(rng_);
      } else {
        Selection s = policy_->select(tree_, rng_);
        e.parent = s.parent;
        e.island = s.island;
        std::string preferred = policy_->preferredOperator(rng_);
        e.op = !preferred.empty() ? preferred : schedule_.choose(rng_);
      }
      auto node = makeNode(e, keys);
      if (!node && forced) {
        // A person asked for a child of this node: say why there is none rather than
        // expanding somewhere else in their name.
        events_.publish({SearchEvent::Kind::Steering, e.parent,
                         "nothing new to propose from node " + std::to_string(e.parent) + " with " +
                             e.op + ": every neighbour already exists",
                         nullptr});
        continue;
      }
      if (!node && e.parent > 0) {
        // This node's neighbourhood is exhausted: start somewhere new instead.
        e.parent = -1;
        node = makeNode(e, keys);
      }
      if (!node) continue;
      keys.push_back(node->sourceKey);
      int64_t id = tree_.add(*node);
      record(tree_.at(id));
      events_.publish(
          {SearchEvent::Kind::NodeAdded, id, tree_.at(id).change, tree_.at(id).toJson()});
      batch.push_back(id);
    }
    if (batch.empty()) {
      if (++stalls >= 3) {
        summary.stopReason = "exhausted";
        log("no new candidate can be proposed: the recipes' knob space is exhausted");
        break;
      }
      continue;
    }
    stalls = 0;
    std::vector<const SearchNode*> pending;
    for (int64_t id : batch) pending.push_back(&tree_.at(id));
    evaluator_.prebuild(pending);
    for (int64_t id : batch) {
      if (tree_.isPruned(id)) continue;  // pruned while the batch was being built
      NodeOutcome o = evaluator_.evaluate(tree_.at(id));
      finishNode(tree_.at(id), o);
      ++summary.evaluated;
    }
  }
  if (summary.stopReason.empty()) summary.stopReason = "budget";
  events_.publish({SearchEvent::Kind::Finished, 0, summary.stopReason, nullptr});
  return summary;
}

}  // namespace kevo::search

// The search loop: select (policy) -> context (memory operator) -> propose (synthesizer) ->
// evaluate (harness) -> score -> persist -> publish, with steering commands applied between
// steps. Given a seed the tree it builds is fixed by the batch size, whatever the build
// parallelism: candidates of a batch are chosen from the same tree state and their results
// applied in order. Every node is written to the session when created and when evaluated, so a
// crash loses only the candidates in flight.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "search/NodeEvaluator.h"
#include "search/OperatorSchedule.h"
#include "search/Policy.h"
#include "search/SearchEvents.h"
#include "search/SearchTree.h"
#include "synth/Synthesizer.h"

namespace kevo::store {
class SessionStore;
}

namespace kevo::search {

struct SearchConfig {
  std::string problem;  // bundled id or folder
  std::string policy = "mcts";
  nlohmann::json policyParams = nlohmann::json::object();
  std::string operatorMode = "adaptive";
  uint64_t seed = 1;
  int batch = 2;                // candidates chosen per step (builds run in parallel)
  double timeLimitSeconds = 0;  // 0: none
  int plateau = 0;              // stop after this many evaluations without a new best (0: never)
  std::vector<std::string> shapeSets;  // empty: all
  std::string backend = "cpu";         // cpu or cuda: which recipes, compiler and device
  nlohmann::json toJson() const;
  static SearchConfig fromJson(const nlohmann::json& j);
};

struct RunSummary {
  int evaluated = 0;       // in this run
  std::string stopReason;  // budget, time, plateau, stopped, exhausted
};

class SearchRunner {
 public:
  SearchRunner(SearchConfig config, synth::Synthesizer& synthesizer, NodeEvaluator& evaluator,
               store::SessionStore* store = nullptr);

  // Loads the tree from the session: nodes in flight when it stopped become `lost`.
  void restore();
  RunSummary run(int evaluations);

  // Steering, from any thread: {"kind": "prune"|"unprune"|"pin"|"unpin"|"expand"|"edit"|
  // "pause"|"resume"|"step"|"set", "node": id, "operator", "hint", "source", "params"}.
  // Queued; applied between steps and recorded in the session with who and when.
  void post(const nlohmann::json& command, const std::string& who = "api");
  void requestStop() { stop_ = true; }
  // Applies queued steering now (when no search is running, so a view reflects it at once).
  void applyPendingSteering() { applySteering(); }

  const SearchTree& tree() const { return tree_; }
  EventBus& events() { return events_; }
  Policy& policy() { return *policy_; }
  const OperatorSchedule& schedule() const { return schedule_; }
  const SearchConfig& config() const { return config_; }
  bool paused() const { return paused_; }
  struct Counts {
    std::map<std::string, int> verdicts;
    int duplicatesSkipped = 0;
  };
  const Counts& counts() const { return counts_; }

 private:
  struct Expansion {
    int64_t parent = -1;
    std::string op;
    std::string hint;
    int island = -1;
    std::string userSource;  // an edit: this exact source as the child
  };
  void applySteering();
  std::string applyCommand(const nlohmann::json& cmd);
  std::optional<SearchNode> makeNode(const Expansion& e, const std::vector<std::string>& batchKeys);
  void record(const SearchNode& n);
  void finishNode(SearchNode& n, const NodeOutcome& o);
  void log(const std::string& message);

  SearchConfig config_;
  synth::Synthesizer& synth_;
  NodeEvaluator& evaluator_;
  store::SessionStore* store_;
  SearchTree tree_;
  std::unique_ptr<Policy> policy_;
  OperatorSchedule schedule_;
  EventBus events_;
  std::mt19937_64 rng_;
  std::deque<Expansion> forced_;
  std::mutex postMutex_;
  std::vector<std::pair<nlohmann::json, std::string>> posted_;
  std::atomic<bool> stop_{false};
  bool paused_ = false;
  int stepsAllowed_ = 0;
  double bestScore_ = -1e300;
  int sinceBest_ = 0;
  Counts counts_;
};

}  // namespace kevo::search

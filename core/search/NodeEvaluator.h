// How the search turns a node into a verdict and a score. The harness implementation runs the
// full evaluation protocol (eval/Evaluator) and records each evaluation in the session; tests
// plug in a synthetic objective instead, with no compiler involved.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/Evaluator.h"
#include "search/SearchNode.h"

namespace kevo::store {
class SessionStore;
}

namespace kevo::search {

struct NodeOutcome {
  std::string verdict;  // ok, compile_error, crash, timeout, wrong_answer, rejected
  std::string detail;
  double score = 0;  // mean log speedup over the baseline across shape sets
  nlohmann::json summary = nlohmann::json::object();
  std::string bottleneck;
  int64_t evaluationId = 0;
};

class NodeEvaluator {
 public:
  virtual ~NodeEvaluator() = default;
  // Called with a batch before evaluate(): a chance to build in parallel.
  virtual void prebuild(const std::vector<const SearchNode*>&) {}
  virtual NodeOutcome evaluate(const SearchNode& node) = 0;
};

// Score and summary of an evaluation result: mean ln(speedup) over its shape sets, the
// bottleneck of the shape set furthest from its roofline floor.
NodeOutcome outcomeFromResult(const eval::EvaluationResult& r);

class HarnessNodeEvaluator : public NodeEvaluator {
 public:
  HarnessNodeEvaluator(eval::Evaluator& evaluator, const problem::Problem& problem,
                       eval::EvalOptions options, store::SessionStore* store, uint64_t seed);
  void prebuild(const std::vector<const SearchNode*>& nodes) override;
  NodeOutcome evaluate(const SearchNode& node) override;

 private:
  eval::Evaluator& evaluator_;
  const problem::Problem& problem_;
  eval::EvalOptions options_;
  store::SessionStore* store_;
  uint64_t seed_;
};

}  // namespace kevo::search

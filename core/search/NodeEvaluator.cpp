#include "search/NodeEvaluator.h"

#include <cmath>
#include <thread>

#include "backend/ResourceUsage.h"
#include "problem/InputGenerator.h"
#include "store/SessionStore.h"

namespace kevo::search {

NodeOutcome outcomeFromResult(const eval::EvaluationResult& r) {
  NodeOutcome o;
  o.verdict = eval::verdictName(r.verdict);
  o.detail = r.detail;
  if (r.verdict != eval::Verdict::Ok) return o;
  double sum = 0;
  int n = 0;
  double worstFloor = 2;
  // ptxas's report for CUDA kernels: spills move bytes the roofline does not count.
  nlohmann::json resources = nlohmann::json::array();
  std::string spills;
  for (const auto& k : backend::parsePtxasResources(r.build.log)) {
    resources.push_back(k.describe());
    if (k.spillStoreBytes || k.spillLoadBytes)
      spills += " " + k.kernel + " spills registers to local memory (" +
                std::to_string(k.spillStoreBytes + k.spillLoadBytes) +
                " B of spill code per thread): fewer live values or a larger register budget.";
  }
  for (const auto& s : r.shapeSets) {
    double term =
        s.speedup > 0 ? std::log(s.speedup) : std::log(std::max(s.roofline.fractionOfFloor, 1e-9));
    sum += term;
    ++n;
    o.summary[s.name] = {
        {"speedup", s.speedup},
        {"median_seconds", s.timing.medianSeconds},
        {"min_seconds", s.timing.minSeconds},
        {"spread", s.timing.spread},
        {"reps", s.timing.reps},
        {"baseline_seconds", s.baseline ? s.baseline->medianSeconds : 0.0},
        {"fraction_of_floor", s.roofline.fractionOfFloor},
        {"achieved_gbs", s.roofline.achievedGBs},
        {"achieved_gflops", s.roofline.achievedGflops},
        {"bottleneck", profile::bottleneckName(s.roofline.bottleneck)},
        {"cache", s.cache},
        {"bandwidth_ceiling_gbs", s.roofline.bandwidthGBs},
        // The compute roof the evaluation used (the machine that ran it, which
        // may be a GPU or another computer than the one showing the session).
        {"compute_ceiling_gflops", s.roofline.ridgePoint * s.roofline.bandwidthGBs},
        {"explanation", s.roofline.explanation + spills},
        {"kernel_resources", resources}};
    if (s.roofline.fractionOfFloor < worstFloor) {
      worstFloor = s.roofline.fractionOfFloor;
      o.bottleneck = profile::bottleneckName(s.roofline.bottleneck);
    }
  }
  o.score = n ? sum / n : 0;
  return o;
}

HarnessNodeEvaluator::HarnessNodeEvaluator(eval::Evaluator& evaluator,
                                           const problem::Problem& problem,
                                           eval::EvalOptions options, store::SessionStore* store,
                                           uint64_t seed)
    : evaluator_(evaluator),
      problem_(problem),
      options_(std::move(options)),
      store_(store),
      seed_(seed) {}

void HarnessNodeEvaluator::prebuild(const std::vector<const SearchNode*>& nodes) {
  if (nodes.size() < 2) return;
  if (!evaluator_.isCuda())
    evaluator_.compiler().compilerVersion();  // initialized once, before the threads
  std::vector<std::thread> builders;
  for (const SearchNode* n : nodes) {
    backend::BuildRequest r;
    r.source = n->source;
    r.extraFlags = n->flags;
    builders.emplace_back([this, r] {
      try {
        evaluator_.build(r);
      } catch (const std::exception&) {
        // evaluate() reports it.
      }
    });
  }
  for (auto& t : builders) t.join();
}

NodeOutcome HarnessNodeEvaluator::evaluate(const SearchNode& node) {
  eval::EvalOptions o = options_;
  o.seed = problem::deriveSeed(seed_, uint64_t(node.id));
  o.extraFlags = node.flags;
  eval::EvaluationResult r;
  try {
    r = evaluator_.evaluate(problem_, node.source, "node " + std::to_string(node.id), o);
  } catch (const std::invalid_argument& e) {
    NodeOutcome bad;
    bad.verdict = "compile_error";
    bad.detail = e.what();
    return bad;
  }
  NodeOutcome out = outcomeFromResult(r);
  if (store_) {
    store::StoredEvaluation e;
    e.problemId = problem_.id;
    e.backend = evaluator_.config().backend;
    e.role = "candidate";
    e.label = "node " + std::to_string(node.id);
    e.source = node.source;
    for (const auto& f : node.flags) e.flags += (e.flags.empty() ? "" : " ") + f;
    e.sourceHash = r.build.key;
    e.verdict = out.verdict;
    e.result = r.toJson();
    out.evaluationId = store_->addEvaluation(std::move(e));
  }
  return out;
}

}  // namespace kevo::search

// bench/search_quality: how well each policy searches, on the bundled CPU problems.
// For every problem with recipes, policy and seed: a search of --budget evaluations; its best
// kernel re-validated on fresh inputs (a new seed, every shape set of the run); the speedup over
// the baseline and % of the roofline floor from that re-validation; the evaluations it took to
// reach 95% of the final best. Prints a JSON document (--json) or a markdown table; the method
// and a recorded run are in docs/benchmarks.md.
//
//   search_quality [--problem ID]... [--policy P]... [--seeds N] [--budget N]
//                  [--shape-set NAME]... [--json]
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>

#include "hw/HardwareProbe.h"
#include "problem/ProblemLibrary.h"
#include "search/NodeEvaluator.h"
#include "search/SearchRunner.h"
#include "synth/RulesSynthesizer.h"
#include "util/Paths.h"

using namespace kevo;

namespace {

using eval::medianOf;

struct RunResult {
  std::string problem, policy;
  uint64_t seed = 0;
  bool found = false;
  bool revalidated = false;
  std::string revalidationVerdict;
  double bestScore = 0;
  int evalsTo95 = 0;
  std::map<std::string, double> speedup, floorFraction;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> problems, policies, shapeSets;
  int seeds = 3, budget = 64;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--problem")
      problems.push_back(next());
    else if (a == "--policy")
      policies.push_back(next());
    else if (a == "--shape-set")
      shapeSets.push_back(next());
    else if (a == "--seeds")
      seeds = std::stoi(next());
    else if (a == "--budget")
      budget = std::stoi(next());
    else if (a == "--json")
      json = true;
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  if (policies.empty()) policies = {"mcts", "evolve", "random"};
  synth::RecipeLibrary library = synth::loadRecipeLibrary(synth::defaultRecipeRoot());
  for (const auto& e : library.errors) std::cerr << "recipe skipped: " << e << "\n";
  if (problems.empty())
    for (const auto& d : problem::bundledProblemDirs()) problems.push_back(d.filename().string());

  hw::HardwareInfo info = hw::loadOrProbeHardware(hw::defaultHardwareCacheDir(), false);
  eval::EvaluatorConfig config;
  config.workerExe = std::getenv("KEVO_WORKER") ? std::getenv("KEVO_WORKER") : KEVO_WORKER_PATH;
  config.cacheDir = util::cacheDir();
  config.ceilings = {info.dramBandwidthGBs, info.cacheBandwidthGBs, info.peakGflops};
  config.llcBytes = info.llcBytes;
  eval::Evaluator evaluator(config);

  std::vector<RunResult> runs;
  for (const auto& id : problems) {
    problem::Problem p = problem::loadProblem(problem::resolveProblemDir(id));
    std::vector<synth::Recipe> recipes;
    for (const auto* r : library.forProblem(p.id)) recipes.push_back(*r);
    if (recipes.empty()) {
      std::cerr << p.id << ": no recipes, skipped\n";
      continue;
    }
    for (const auto& policy : policies)
      for (int s = 1; s <= seeds; ++s) {
        RunResult rr;
        rr.problem = p.id;
        rr.policy = policy;
        rr.seed = uint64_t(s);
        synth::RulesSynthesizer synth(recipes);
        eval::EvalOptions options;
        options.shapeSets = shapeSets;
        search::HarnessNodeEvaluator nodes(evaluator, p, options, nullptr, rr.seed);
        search::SearchConfig sc;
        sc.problem = p.id;
        sc.policy = policy;
        sc.seed = rr.seed;
        search::SearchRunner runner(sc, synth, nodes);
        std::vector<double> bestSoFar;
        runner.events().subscribe([&](const search::SearchEvent& e) {
          if (e.kind != search::SearchEvent::Kind::NodeEvaluated) return;
          auto b = runner.tree().best();
          bestSoFar.push_back(b ? runner.tree().at(*b).score : -1e300);
        });
        runner.run(budget);
        auto best = runner.tree().best();
        if (best) {
          rr.found = true;
          rr.bestScore = runner.tree().at(*best).score;
          for (size_t i = 0; i < bestSoFar.size(); ++i)
            if (std::exp(bestSoFar[i]) >= 0.95 * std::exp(rr.bestScore)) {
              rr.evalsTo95 = int(i) + 1;
              break;
            }
          // Re-validation: fresh inputs the search never saw, every shape set of the run.
          eval::EvalOptions fresh = options;
          fresh.seed = 0xfeedULL + rr.seed;
          fresh.extraFlags = runner.tree().at(*best).flags;
          auto r = evaluator.evaluate(p, runner.tree().at(*best).source, "revalidation", fresh);
          rr.revalidationVerdict = eval::verdictName(r.verdict);
          rr.revalidated = r.verdict == eval::Verdict::Ok;
          for (const auto& ss : r.shapeSets) {
            rr.speedup[ss.name] = ss.speedup;
            rr.floorFraction[ss.name] = ss.roofline.fractionOfFloor;
          }
        }
        std::cerr << p.id << " " << policy << " seed " << s << ": best "
                  << (rr.found ? std::to_string(std::exp(rr.bestScore)) + "x" : "none")
                  << ", revalidation " << rr.revalidationVerdict << ", 95% after " << rr.evalsTo95
                  << " evals\n";
        runs.push_back(rr);
      }
  }

  // Aggregate: per problem and policy, medians over seeds.
  nlohmann::json out = {{"budget", budget},
                        {"seeds", seeds},
                        {"shape_sets", shapeSets},
                        {"hardware", hw::toJson(info)},
                        {"rows", nlohmann::json::array()}};
  std::map<std::string, std::map<std::string, double>> medianScore;
  int revalidationFailures = 0;
  std::cout << "| problem | policy | shape set | median speedup | median % floor | median evals to "
               "95% | re-validated |\n"
               "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& id : problems)
    for (const auto& policy : policies) {
      std::vector<const RunResult*> mine;
      for (const auto& r : runs)
        if (r.problem == id && r.policy == policy) mine.push_back(&r);
      if (mine.empty()) continue;
      std::vector<double> scores, evals;
      int ok = 0;
      std::map<std::string, std::vector<double>> sp, fl;
      for (const auto* r : mine) {
        scores.push_back(r->found ? r->bestScore : -10);
        evals.push_back(r->evalsTo95);
        if (r->revalidated)
          ++ok;
        else if (r->found)
          ++revalidationFailures;
        for (const auto& [k, v] : r->speedup) sp[k].push_back(v);
        for (const auto& [k, v] : r->floorFraction) fl[k].push_back(v);
      }
      medianScore[id][policy] = medianOf(scores);
      for (const auto& [name, v] : sp) {
        nlohmann::json row = {{"problem", id},
                              {"policy", policy},
                              {"shape_set", name},
                              {"median_speedup", medianOf(v)},
                              {"median_floor_fraction", medianOf(fl[name])},
                              {"median_evals_to_95", medianOf(evals)},
                              {"revalidated", ok},
                              {"runs", mine.size()}};
        out["rows"].push_back(row);
        std::printf("| %s | %s | %s | %.2fx | %.1f%% | %.0f | %d/%zu |\n", id.c_str(),
                    policy.c_str(), name.c_str(), medianOf(v), 100 * medianOf(fl[name]),
                    medianOf(evals), ok, mine.size());
      }
    }
  int beats = 0, compared = 0;
  for (const auto& [id, byPolicy] : medianScore) {
    if (!byPolicy.count("random")) continue;
    for (const char* p : {"mcts", "evolve"})
      if (byPolicy.count(p)) {
        ++compared;
        if (byPolicy.at(p) > byPolicy.at("random")) ++beats;
      }
  }
  out["beats_random"] = {{"wins", beats}, {"comparisons", compared}};
  out["revalidation_failures"] = revalidationFailures;
  std::printf("\nmcts/evolve beat random (median best score over seeds): %d of %d comparisons\n",
              beats, compared);
  std::printf("reported bests that failed re-validation: %d\n", revalidationFailures);
  if (json) std::cout << out.dump(2) << "\n";
  return revalidationFailures ? 1 : 0;
}

// kevo-cli search | show | export | steer: run a search into a session file, inspect it,
// export a kernel from it, and steer a running search from another terminal or a script.
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CliSupport.h"
#include "Commands.h"
#include "ToolRun.h"
#include "eval/Evaluator.h"
#include "hw/GpuHardware.h"
#include "problem/ProblemLibrary.h"
#include "search/NodeEvaluator.h"
#include "search/SearchRunner.h"
#include "store/NodeProfiles.h"
#include "store/SessionStore.h"
#include "synth/RulesSynthesizer.h"
#include "util/Paths.h"

namespace kevo::cli {

namespace {

search::SearchRunner* gRunner = nullptr;
void onInterrupt(int) {
  if (gRunner) gRunner->requestStop();
}

std::string speedupText(double score) {
  return formatFixed(std::exp(score), 2) + "x";
}

std::vector<search::SearchNode> loadNodes(const store::SessionStore& s) {
  std::vector<search::SearchNode> out;
  for (const auto& j : s.nodes()) out.push_back(search::SearchNode::fromJson(j));
  return out;
}

std::string nodeLine(const search::SearchTree& tree, const search::SearchNode& n,
                     std::optional<int64_t> best) {
  std::string s = "#" + std::to_string(n.id) + " [" + n.memoryOperator + "] " +
                  (n.recipe.empty() ? "user edit" : n.recipe) + ": " + n.change + "  ";
  if (n.status == search::NodeStatus::Lost)
    s += "lost (in flight when the search stopped)";
  else if (n.verdict.empty())
    s += "pending";
  else if (n.ok())
    s += "ok " + speedupText(n.score);
  else
    s += n.verdict;
  if (tree.isPruned(n.id)) s += "  (pruned)";
  if (n.pinned) s += "  (pinned)";
  if (best && *best == n.id) s += "  <== best";
  return s;
}

void printTree(const search::SearchTree& tree, int64_t id, const std::string& prefix, bool last,
               std::optional<int64_t> best) {
  const auto& n = tree.at(id);
  std::cout << prefix << (last ? "`-- " : "|-- ") << nodeLine(tree, n, best) << "\n";
  const auto& kids = tree.children(id);
  for (size_t i = 0; i < kids.size(); ++i)
    printTree(tree, kids[i], prefix + (last ? "    " : "|   "), i + 1 == kids.size(), best);
}

void printBest(const search::SearchTree& tree) {
  auto best = tree.best();
  if (!best) {
    std::cout << "no correct kernel found yet\n";
    return;
  }
  const auto& b = tree.at(*best);
  std::cout << "best: node " << b.id << " (" << (b.recipe.empty() ? "user edit" : b.recipe) << " "
            << synth::Recipe::describeKnobs(b.knobs) << "), mean speedup " << speedupText(b.score)
            << " over the baseline\n";
  std::vector<std::vector<std::string>> rows = {
      {"shape set", "time", "baseline", "speedup", "% floor", "bottleneck"}};
  for (const auto& [name, s] : b.summary.items())
    rows.push_back({name, formatSeconds(s.value("median_seconds", 0.0)),
                    formatSeconds(s.value("baseline_seconds", 0.0)),
                    formatFixed(s.value("speedup", 0.0), 2) + "x",
                    formatFixed(100 * s.value("fraction_of_floor", 0.0), 1) + "%",
                    s.value("bottleneck", "")});
  printTable(rows);
  std::cout << "path:\n";
  for (int64_t id : tree.pathTo(*best)) {
    const auto& n = tree.at(id);
    std::cout << "  #" << id << " " << (n.ok() ? speedupText(n.score) : n.verdict) << "  "
              << n.change << "\n      why: " << n.reason << "\n";
  }
}

nlohmann::json treeJson(const search::SearchTree& tree) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& [id, n] : tree.nodes()) {
    nlohmann::json j = n.toJson();
    j.erase("source");
    j.erase("context");
    nodes.push_back(j);
  }
  return nodes;
}

}  // namespace

namespace {

// A CUDA search's best node, profiled with Nsight Compute when it is installed and stored in
// the session (the workbench's Profile tab shows it). A failure here is a note, not the
// search's failure.
void profileBest(const std::string& file, bool json) {
  if (!findCudaTool("ncu", std::nullopt, "KEVO_NCU")) {
    if (!json) std::cerr << "no Nsight Compute (ncu) here: the best node was not profiled\n";
    return;
  }
  if (!json)
    std::cerr << "profiling the best node with Nsight Compute (kevo-cli profile " << file
              << " --best; --no-profile skips this)...\n";
  try {
    runProfileCommand({file, "--best", "--quiet"});
    if (!json) std::cerr << "profile stored in the session\n";
  } catch (const std::exception& e) {
    std::cerr << "the best node could not be profiled: " << e.what() << "\n";
  }
}

}  // namespace

int runSearchCommand(const std::vector<std::string>& argv) {
  Args args(argv,
            {"problem", "policy", "budget", "seed", "batch", "operator", "time-limit", "plateau",
             "shape-set", "o", "output", "resume", "backend"},
            {"json", "replace", "no-profile"});
  if (!args.positional().empty())
    throw UsageError("unexpected argument \"" + args.positional()[0] + "\"");
  auto number = [&](const char* name, double fallback) {
    auto v = args.value(name);
    if (!v) return fallback;
    try {
      return std::stod(*v);
    } catch (const std::exception&) {
      throw UsageError(std::string("--") + name + " expects a number, got \"" + *v + "\"");
    }
  };
  int budget = int(number("budget", 64));
  if (budget < 1) throw UsageError("--budget must be at least 1");

  std::string file;
  search::SearchConfig config;
  std::optional<store::SessionStore> store;
  if (auto resume = args.value("resume")) {
    file = *resume;
    if (args.value("problem") || args.value("policy") || args.value("seed"))
      throw UsageError(
          "--resume continues a search as it was configured; --problem, --policy and --seed do not "
          "apply");
    if (!std::filesystem::exists(file)) throw InputError(file + ": no such session file");
    store.emplace(store::SessionStore::open(file));
    config = loadConfig(*store, file);
  } else {
    auto out = args.value("o") ? args.value("o") : args.value("output");
    if (!out)
      throw UsageError("search needs -o FILE (the session file to write), or --resume FILE");
    auto problemArg = args.value("problem");
    if (!problemArg) throw UsageError("search needs --problem ID|DIR");
    file = *out;
    if (std::filesystem::exists(file)) {
      if (!args.flag("replace"))
        throw InputError(file + ": already exists; continue it with --resume " + file +
                         ", choose another name, or pass --replace to start over");
      // Validate it is a session before deleting anything.
      store::SessionStore::open(file, store::OpenMode::ReadOnly);
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix);
    }
    config.problem = problem::resolveProblemDir(*problemArg).string();
    config.policy = args.value("policy").value_or("mcts");
    search::makePolicy(config.policy);  // validates the name
    config.operatorMode = args.value("operator").value_or("adaptive");
    search::OperatorSchedule check(config.operatorMode);
    config.seed = uint64_t(number("seed", 1));
    config.batch = int(number("batch", 2));
    config.timeLimitSeconds = number("time-limit", 0);
    config.plateau = int(number("plateau", 0));
    config.shapeSets = args.values("shape-set");
    config.backend = args.value("backend").value_or("cpu");
  }
  if (args.value("time-limit")) config.timeLimitSeconds = number("time-limit", 0);
  if (args.value("plateau")) config.plateau = int(number("plateau", 0));

  problem::Problem problem = problem::loadProblem(problem::resolveProblemDir(config.problem));
  for (const auto& s : config.shapeSets)
    if (!problem.findShapeSet(s))
      throw UsageError("problem " + problem.id + " has no shape set \"" + s + "\"");
  synth::RecipeLibrary library = synth::loadRecipeLibrary(synth::defaultRecipeRoot(config.backend));
  for (const auto& e : library.errors) std::cerr << "warning: recipe skipped: " << e << "\n";
  std::vector<synth::Recipe> recipes;
  for (const auto* r : library.forProblem(problem.id)) recipes.push_back(*r);
  if (recipes.empty())
    throw InputError("no recipe in " + synth::defaultRecipeRoot(config.backend).string() +
                     " applies to problem " + problem.id);

  hw::HardwareInfo info = machineHardware();
  eval::Evaluator evaluator = makeEvaluatorFor(config.backend, info);
  if (!store) {
    store.emplace(store::SessionStore::create(file));
    store->setMeta("problem_id", problem.id);
    store->setMeta("hardware", hw::toJson(info).dump());
    // A GPU session also records the device and the ceilings its floors came from (cached by
    // makeEvaluatorFor above, so this measures nothing).
    if (config.backend == "cuda")
      store->setMeta(
          "gpu_hardware",
          hw::loadOrProbeGpu(util::cacheDir(), eval::defaultWorkerPath(), false).toJson().dump());
  }
  synth::RulesSynthesizer synth(recipes);
  eval::EvalOptions options;
  options.shapeSets = config.shapeSets;
  search::HarnessNodeEvaluator nodeEvaluator(evaluator, problem, options, &*store, config.seed);
  search::SearchRunner runner(config, synth, nodeEvaluator, &*store);
  runner.restore();
  int already = runner.tree().evaluatedCount();

  bool json = args.flag("json");
  bool tty = isatty(STDERR_FILENO);
  int done = 0;
  runner.events().subscribe([&](const search::SearchEvent& e) {
    if (e.kind == search::SearchEvent::Kind::Steering)
      std::cerr << (tty ? "\n" : "") << "steering: " << e.message << "\n";
    if (e.kind != search::SearchEvent::Kind::NodeEvaluated) return;
    ++done;
    auto best = runner.tree().best();
    std::string failures;
    for (const auto& [v, n] : runner.counts().verdicts)
      if (v != "ok") failures += " " + v + "=" + std::to_string(n);
    std::string bestText =
        best ? speedupText(runner.tree().at(*best).score) + " (node " + std::to_string(*best) + ")"
             : "-";
    if (tty) {
      int width = 30, filled = width * done / budget;
      std::cerr << "\r[" << std::string(size_t(filled), '#')
                << std::string(size_t(width - filled), '.') << "] " << done << "/" << budget
                << " evals | best " << bestText
                << " | failures:" << (failures.empty() ? " none" : failures) << "   " << std::flush;
    } else {
      const auto& n = runner.tree().at(e.nodeId);
      std::cerr << "eval " << done << "/" << budget << ": node " << n.id << " [" << n.memoryOperator
                << "] " << n.change << " -> " << (n.ok() ? speedupText(n.score) : n.verdict)
                << " | best " << bestText << "\n";
    }
  });
  gRunner = &runner;
  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  if (!json)
    std::cerr << "search " << problem.id << " | " << config.backend << " | policy " << config.policy
              << " | operators " << config.operatorMode << " | seed " << config.seed << " | "
              << recipes.size() << " recipes | budget " << budget
              << (already ? " more (" + std::to_string(already) + " done before)" : "")
              << " | session " << file << "\n";
  search::RunSummary summary = runner.run(budget);
  gRunner = nullptr;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (tty && !json) std::cerr << "\n";

  if (json) {
    auto best = runner.tree().best();
    printJson(
        {{"session", file},
         {"problem", problem.id},
         {"config", config.toJson()},
         {"evaluated", summary.evaluated},
         {"stop_reason", summary.stopReason},
         {"verdicts", runner.counts().verdicts},
         {"operators", runner.schedule().stats()},
         {"best", best ? runner.tree().at(*best).toJson() : nlohmann::json(nullptr)},
         {"path", best ? nlohmann::json(runner.tree().pathTo(*best)) : nlohmann::json::array()}});
  } else {
    std::cout << "\n"
              << problem.id << ": " << summary.evaluated << " evaluations ("
              << runner.tree().evaluatedCount() << " in the session), stopped by "
              << summary.stopReason << "\n";
    printBest(runner.tree());
    std::cout << "\nsession: " << file << "  (kevo-cli show " << file << " --tree; kevo-cli export "
              << file << " --best -o best.cpp)\n";
  }
  if (config.backend == "cuda" && runner.tree().best() && !args.flag("no-profile"))
    profileBest(file, json);
  return runner.tree().best() ? kExitOk : kExitVerdict;
}

int runShowCommand(const std::vector<std::string>& argv) {
  Args args(argv, {"node"}, {"json", "tree"});
  if (args.positional().size() != 1) throw UsageError("show needs one session file");
  std::string file = args.positional()[0];
  if (!std::filesystem::exists(file)) throw InputError(file + ": no such session file");
  auto store = store::SessionStore::open(file, store::OpenMode::ReadOnly);
  search::SearchConfig config = loadConfig(store, file);
  search::SearchTree tree = loadTree(store);
  if (auto nodeArg = args.value("node")) {
    int64_t id = std::stoll(*nodeArg);
    if (!tree.contains(id))
      throw InputError(file + ": no node " + *nodeArg + " (nodes 1.." +
                       std::to_string(tree.size()) + ")");
    const auto& n = tree.at(id);
    auto profiles = store::latestNodeProfiles(store);
    auto profile = profiles.find(id);
    if (args.flag("json")) {
      nlohmann::json j = n.toJson();
      if (profile != profiles.end()) j["ncu_profile"] = profile->second;
      printJson(j);
      return kExitOk;
    }
    std::cout << nodeLine(tree, n, tree.best()) << "\n"
              << "parent: " << (n.parentId > 0 ? "#" + std::to_string(n.parentId) : "none (a root)")
              << "\n"
              << "memory operator: " << n.memoryOperator << "\n"
              << "recipe: " << (n.recipe.empty() ? "-" : n.recipe)
              << "  knobs: " << synth::Recipe::describeKnobs(n.knobs) << "\n"
              << "change: " << n.change << "\nwhy: " << n.reason << "\n";
    if (n.context.contains("prior")) {
      std::cout << "context drew on nodes:";
      for (const auto& p : n.context["prior"]) std::cout << " #" << p.value("id", 0);
      std::cout << (n.context["prior"].empty() ? " none" : "")
                << "; diagnosis: " << n.context.value("diagnosis", "-") << "\n";
    }
    std::cout << "verdict: " << (n.verdict.empty() ? "pending" : n.verdict)
              << (n.detail.empty() ? "" : ": " + n.detail) << "\n";
    for (const auto& [name, s] : n.summary.items())
      std::cout << "  " << name << ": " << formatSeconds(s.value("median_seconds", 0.0)) << ", "
                << formatFixed(s.value("speedup", 0.0), 2) << "x over baseline, "
                << formatFixed(100 * s.value("fraction_of_floor", 0.0), 1) << "% of floor. "
                << s.value("explanation", "") << "\n";
    if (profile != profiles.end()) {
      const auto& p = profile->second;
      std::cout << "Nsight Compute (" << p.value("created_at", "") << ", "
                << p.value("shape_set", "") << "):\n";
      for (const auto& k : p.value("kernels", nlohmann::json::array()))
        std::cout << "  " << k.value("kernel", "") << ": " << k.value("diagnosis", "") << "\n";
    }
    std::cout << "source:\n" << n.source << "\n";
    return kExitOk;
  }
  if (args.flag("json")) {
    auto best = tree.best();
    printJson({{"session", file},
               {"config", config.toJson()},
               {"nodes", treeJson(tree)},
               {"best", best ? nlohmann::json(*best) : nlohmann::json(nullptr)}});
    return kExitOk;
  }
  std::map<std::string, int> verdicts;
  for (const auto& [id, n] : tree.nodes())
    ++verdicts[n.verdict.empty() ? "pending/lost" : n.verdict];
  std::cout << file << ": problem " << store.meta("problem_id").value_or(config.problem)
            << ", policy " << config.policy << ", seed " << config.seed << ", " << tree.size()
            << " nodes (";
  bool first = true;
  for (const auto& [v, c] : verdicts) {
    std::cout << (first ? "" : ", ") << v << " " << c;
    first = false;
  }
  std::cout << ")\n";
  if (args.flag("tree")) {
    auto roots = tree.roots();
    for (size_t i = 0; i < roots.size(); ++i)
      printTree(tree, roots[i], "", i + 1 == roots.size(), tree.best());
  }
  printBest(tree);
  return kExitOk;
}

search::SearchTree loadTree(const store::SessionStore& s) {
  search::SearchTree t;
  for (auto& n : loadNodes(s)) t.add(n);
  return t;
}

search::SearchConfig loadConfig(const store::SessionStore& s, const std::string& file) {
  auto text = s.meta("search_config");
  if (!text)
    throw InputError(file +
                     ": a session without a search (evaluations only); nothing to resume or show");
  try {
    return search::SearchConfig::fromJson(nlohmann::json::parse(*text));
  } catch (const std::exception& e) {
    throw InputError(file + ": the search configuration is damaged: " + e.what());
  }
}

int64_t chosenNode(const search::SearchTree& tree, const Args& args, const std::string& file,
                   const std::string& command) {
  if (args.flag("best")) {
    auto best = tree.best();
    if (!best) throw InputError(file + ": no correct kernel in this session yet");
    return *best;
  }
  if (auto n = args.value("node")) {
    int64_t id = 0;
    try {
      id = std::stoll(*n);
    } catch (const std::exception&) {
      throw UsageError("--node expects a node id, got \"" + *n + "\"");
    }
    if (!tree.contains(id)) throw InputError(file + ": no node " + *n);
    return id;
  }
  throw UsageError(command + " FILE needs --best or --node N");
}

int runExportCommand(const std::vector<std::string>& argv) {
  Args args(argv, {"node", "o", "output"}, {"best"});
  if (args.positional().size() != 1) throw UsageError("export needs one session file");
  std::string file = args.positional()[0];
  if (!std::filesystem::exists(file)) throw InputError(file + ": no such session file");
  auto out = args.value("o") ? args.value("o") : args.value("output");
  if (!out) throw UsageError("export needs -o FILE");
  auto store = store::SessionStore::open(file, store::OpenMode::ReadOnly);
  search::SearchTree tree = loadTree(store);
  int64_t id = chosenNode(tree, args, file, "export");
  const auto& n = tree.at(id);
  std::ofstream o(*out);
  o << n.source;
  if (!o) throw InputError(*out + ": cannot be written");
  std::cout << "node " << id << " (" << (n.ok() ? "ok, " + speedupText(n.score) : n.verdict)
            << ") written to " << *out;
  if (!n.flags.empty()) {
    std::cout << "; build it with these flags:";
    for (const auto& f : n.flags) std::cout << " " << f;
  }
  std::cout << "\n";
  return kExitOk;
}

int runSteerCommand(const std::vector<std::string>& argv) {
  Args args(argv, {"operator", "hint", "source", "params", "who"}, {"json"});
  const auto& pos = args.positional();
  if (pos.size() < 2)
    throw UsageError(
        "steer FILE prune|unprune|pin|unpin|expand|edit N [--operator OP] [--hint TEXT] [--source "
        "FILE], or steer FILE pause|resume|step|set --params JSON");
  std::string file = pos[0], kind = pos[1];
  nlohmann::json cmd = {{"kind", kind}};
  static const std::vector<std::string> withNode = {"prune", "unprune", "pin",
                                                    "unpin", "expand",  "edit"};
  static const std::vector<std::string> without = {"pause", "resume", "step", "set"};
  if (std::find(withNode.begin(), withNode.end(), kind) != withNode.end()) {
    if (pos.size() != 3) throw UsageError(kind + " needs a node id");
    cmd["node"] = std::stoll(pos[2]);
  } else if (std::find(without.begin(), without.end(), kind) == without.end()) {
    throw UsageError("unknown steering command \"" + kind + "\"");
  }
  if (auto op = args.value("operator")) cmd["operator"] = *op;
  if (auto hint = args.value("hint")) cmd["hint"] = *hint;
  if (auto src = args.value("source")) cmd["source"] = readTextFile(*src);
  if (kind == "edit" && !cmd.contains("source")) throw UsageError("edit needs --source FILE");
  if (auto params = args.value("params")) {
    try {
      cmd["params"] = nlohmann::json::parse(*params);
    } catch (const std::exception&) {
      throw UsageError("--params expects a JSON object, e.g. '{\"exploration\": 1.0}'");
    }
  }
  if (!std::filesystem::exists(file)) throw InputError(file + ": no such session file");
  auto store = store::SessionStore::open(file);
  if (!store.meta("search_config")) throw InputError(file + ": not a search session");
  std::string who = args.value("who").value_or(std::string("kevo-cli steer (") +
                                               (getenv("USER") ? getenv("USER") : "user") + ")");
  int64_t id = store.addSteering(cmd, who);
  if (args.flag("json"))
    printJson({{"queued", id}, {"command", cmd}});
  else
    std::cout << "queued steering command " << id
              << ": a running search applies it between steps; otherwise the next --resume does\n";
  return kExitOk;
}

}  // namespace kevo::cli

// The search engine on a synthetic objective (fast, no compiler): policies beat random,
// determinism under a seed, what each memory operator puts in the context, steering, resume
// after a crash, and recipe validation.
#include <QTemporaryDir>
#include <QtTest>
#include <filesystem>

#include "SyntheticObjective.h"
#include "TestSupport.h"
#include "search/MemoryOperator.h"
#include "search/SearchRunner.h"
#include "store/SessionStore.h"
#include "synth/RulesSynthesizer.h"

using namespace kevo;

namespace {

search::SearchConfig config(const std::string& policy, uint64_t seed) {
  search::SearchConfig c;
  c.problem = "synthetic";
  c.policy = policy;
  c.seed = seed;
  c.batch = 2;
  return c;
}

// Evaluations until the optimum was found (budget + 1 if never).
int evaluationsToOptimum(const std::string& policy, uint64_t seed, int budget) {
  synth::RulesSynthesizer synth(test::syntheticRecipes());
  test::SyntheticEvaluator evaluator;
  search::SearchRunner runner(config(policy, seed), synth, evaluator);
  int found = budget + 1, count = 0;
  runner.events().subscribe([&](const search::SearchEvent& e) {
    if (e.kind != search::SearchEvent::Kind::NodeEvaluated) return;
    ++count;
    if (e.data.value("score", 0.0) >= test::kSyntheticOptimum - 1e-9 && found > budget) {
      found = count;
      runner.requestStop();
    }
  });
  runner.run(budget);
  return found;
}

int median(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::vector<std::string> trace(const std::string& policy, uint64_t seed, int budget) {
  synth::RulesSynthesizer synth(test::syntheticRecipes());
  test::SyntheticEvaluator evaluator;
  search::SearchRunner runner(config(policy, seed), synth, evaluator);
  runner.run(budget);
  std::vector<std::string> out;
  for (const auto& [id, n] : runner.tree().nodes())
    out.push_back(std::to_string(n.parentId) + ":" + n.memoryOperator + ":" + n.sourceKey);
  return out;
}

}  // namespace

class SearchTest : public QObject {
  Q_OBJECT

 private slots:
  void policiesBeatRandom() {
    const int budget = 300;
    std::map<std::string, std::vector<int>> results;
    for (const char* policy : {"mcts", "evolve", "greedy", "random"})
      for (uint64_t seed = 1; seed <= 7; ++seed)
        results[policy].push_back(evaluationsToOptimum(policy, seed, budget));
    QString report;
    for (const auto& [p, v] : results)
      report += QString("%1: median %2\n").arg(p.c_str()).arg(median(v));
    qInfo().noquote() << report;
    QVERIFY2(median(results["mcts"]) < median(results["random"]), qPrintable(report));
    QVERIFY2(median(results["evolve"]) < median(results["random"]), qPrintable(report));
    QVERIFY2(median(results["mcts"]) <= budget, qPrintable(report));
  }

  void sameSeedSameTree() {
    for (const char* policy : {"mcts", "evolve", "greedy", "random"}) {
      auto a = trace(policy, 42, 40), b = trace(policy, 42, 40), c = trace(policy, 43, 40);
      QCOMPARE(a, b);
      QVERIFY2(a != c || std::string(policy) == "greedy", policy);
    }
  }

  void memoryOperatorContexts() {
    search::SearchTree tree;
    auto add = [&](int64_t parent, double score) {
      search::SearchNode n;
      n.parentId = parent;
      n.recipe = "synth_a";
      n.knobs = {{"A", 0}};
      n.status = search::NodeStatus::Evaluated;
      n.verdict = "ok";
      n.score = score;
      n.bottleneck = "memory-bound";
      return tree.add(n);
    };
    int64_t root = add(-1, 0.1), c1 = add(root, 0.5), c2 = add(root, 0.9), g = add(c1, 0.7);
    auto ids = [](const synth::SynthesisContext& c) {
      std::vector<int64_t> v;
      for (const auto& p : c.prior) v.push_back(p.id);
      return v;
    };
    auto inherit = search::buildContext(tree, g, "inherit", "p", "");
    QCOMPARE(ids(inherit), (std::vector<int64_t>{g, c1, root}));  // the lineage, parent first
    QCOMPARE(inherit.parent->id, g);
    QCOMPARE(inherit.diagnosis, std::string("memory-bound"));
    auto siblings = search::buildContext(tree, root, "siblings", "p", "");
    QCOMPARE(ids(siblings), (std::vector<int64_t>{c2, c1}));  // the parent's children, best first
    auto combined = search::buildContext(tree, c1, "combined", "p", "hint");
    QCOMPARE(ids(combined), (std::vector<int64_t>{g, c1, root}));  // lineage + children, best first
    QCOMPARE(combined.hint, std::string("hint"));
    auto fresh = search::buildContext(tree, c1, "fresh", "p", "");
    QVERIFY(fresh.prior.empty());
    QCOMPARE(fresh.parent->id, c1);
    auto newRoot = search::buildContext(tree, -1, "fresh", "p", "");
    QVERIFY(!newRoot.parent);
    QCOMPARE(newRoot.recipesInTree, (std::vector<std::string>{"synth_a"}));
  }

  void synthesizerFollowsTheDiagnosis() {
    synth::RulesSynthesizer synth(test::syntheticRecipes());
    synth::SynthesisContext c;
    c.memoryOperator = "inherit";
    synth::PriorNode p;
    p.id = 1;
    p.recipe = "synth_a";
    p.knobs = {{"A", 2}, {"B", 2}, {"C", 2}, {"D", 2}};
    p.ok = true;
    c.parent = p;
    c.prior = {p};
    std::mt19937_64 rng(1);
    c.diagnosis = "latency-bound";
    auto latency = synth.propose(c, rng, 0);
    QVERIFY(latency && latency->change.rfind("B ", 0) == 0);  // threads first
    QVERIFY(latency->reason.find("latency-bound") != std::string::npos);
    c.diagnosis = "memory-bound";
    auto memory = synth.propose(c, rng, 0);
    QVERIFY(memory && memory->change.rfind("A ", 0) == 0);  // vector width first
    c.diagnosis = "compute-bound";
    auto compute = synth.propose(c, rng, 0);
    QVERIFY(compute && compute->change.rfind("C ", 0) == 0);  // unroll first
    c.hint = "D=6";
    auto hinted = synth.propose(c, rng, 0);
    QVERIFY(hinted && hinted->knobs.at("D") == 6);
    QVERIFY(hinted->source.find("#define D 6") != std::string::npos);  // the materialized source
  }

  void steering() {
    synth::RulesSynthesizer synth(test::syntheticRecipes());
    test::SyntheticEvaluator evaluator;
    search::SearchRunner runner(config("mcts", 3), synth, evaluator);
    runner.run(8);
    auto best = runner.tree().best();
    QVERIFY(best);
    int64_t pruned = *best;
    runner.post({{"kind", "prune"}, {"node", pruned}});
    runner.run(20);
    QCOMPARE(runner.tree().at(pruned).status, search::NodeStatus::Pruned);
    for (const auto& [id, n] : runner.tree().nodes())
      if (id > pruned + 2) QVERIFY2(!runner.tree().isPruned(id), qPrintable(QString::number(id)));

    // expand with a chosen operator and a hint
    int64_t target = *runner.tree().best();
    runner.post(
        {{"kind", "expand"}, {"node", target}, {"operator", "siblings"}, {"hint", "threads"}});
    size_t before = runner.tree().size();
    runner.run(1);
    const auto& child = runner.tree().nodes().rbegin()->second;
    QCOMPARE(runner.tree().size(), before + 1);
    QCOMPARE(child.parentId, target);
    QCOMPARE(child.memoryOperator, std::string("siblings"));
    QCOMPARE(child.context.value("hint", ""), std::string("threads"));

    // pin: never pruned
    runner.post({{"kind", "pin"}, {"node", target}});
    runner.post({{"kind", "prune"}, {"node", target}});
    runner.run(1);
    QVERIFY(runner.tree().at(target).pinned);
    QVERIFY(!runner.tree().isPruned(target));

    // a user's edit becomes a child, marked as user-made, and is evaluated
    runner.post({{"kind", "edit"}, {"node", target}, {"source", "// my kernel\n"}});
    runner.run(1);
    const auto& edit = runner.tree().nodes().rbegin()->second;
    QVERIFY(edit.userMade);
    QCOMPARE(edit.parentId, target);
    QCOMPARE(edit.verdict, std::string("ok"));

    // unknown node: refused, the search goes on
    QString outcome;
    runner.events().subscribe([&](const search::SearchEvent& e) {
      if (e.kind == search::SearchEvent::Kind::Steering)
        outcome = QString::fromStdString(e.message);
    });
    runner.post({{"kind", "prune"}, {"node", 99999}});
    runner.run(1);
    QVERIFY2(outcome.contains("refused"), qPrintable(outcome));
  }

  void resumeAfterCrash() {
    QTemporaryDir dir;
    std::string file = dir.filePath("s.kevo").toStdString();
    std::set<std::string> keys;
    int64_t inFlight = 0;
    {
      auto store = store::SessionStore::create(file);
      synth::RulesSynthesizer synth(test::syntheticRecipes());
      test::SyntheticEvaluator evaluator;
      search::SearchRunner runner(config("mcts", 5), synth, evaluator, &store);
      runner.run(10);
      QCOMPARE(runner.tree().evaluatedCount(), 10);
      // A candidate in flight when the process died: written as pending, never evaluated.
      search::SearchNode n;
      n.id = int64_t(runner.tree().size()) + 1;
      n.parentId = 1;
      n.recipe = "synth_a";
      n.sourceKey = "in-flight";
      store.saveNode(n.id, n.parentId, "pending", "", n.toJson());
      inFlight = n.id;
    }  // no orderly shutdown beyond what a crash leaves: every row was committed as it happened
    auto store = store::SessionStore::open(file);
    QCOMPARE(int(store.nodes().size()), 11);
    synth::RulesSynthesizer synth(test::syntheticRecipes());
    test::SyntheticEvaluator evaluator;
    search::SearchRunner runner(config("mcts", 5), synth, evaluator, &store);
    runner.restore();
    QCOMPARE(runner.tree().evaluatedCount(), 10);
    QCOMPARE(runner.tree().at(inFlight).status, search::NodeStatus::Lost);
    runner.run(6);
    QCOMPARE(runner.tree().evaluatedCount(), 16);
    for (const auto& [id, n] : runner.tree().nodes())
      QVERIFY2(keys.insert(n.sourceKey).second, n.sourceKey.c_str());
    QCOMPARE(int(store.nodes().size()), 17);
    // A read-only view (another process) sees the same tree.
    auto reader = store::SessionStore::open(file, store::OpenMode::ReadOnly);
    QCOMPARE(int(reader.nodes().size()), 17);
  }

  void steeringThroughTheSessionIsRecorded() {
    QTemporaryDir dir;
    std::string file = dir.filePath("s.kevo").toStdString();
    auto store = store::SessionStore::create(file);
    synth::RulesSynthesizer synth(test::syntheticRecipes());
    test::SyntheticEvaluator evaluator;
    search::SearchRunner runner(config("greedy", 1), synth, evaluator, &store);
    runner.run(4);
    // Another process (kevo-cli steer) queues a command in the file.
    {
      auto other = store::SessionStore::open(file);
      other.addSteering({{"kind", "pin"}, {"node", 1}}, "tester");
    }
    runner.run(1);
    QVERIFY(runner.tree().at(1).pinned);
    auto rows = store.steering();
    QCOMPARE(int(rows.size()), 1);
    QCOMPARE(rows[0].who, std::string("tester"));
    QVERIFY(!rows[0].appliedAt.empty());
    QVERIFY(QString::fromStdString(rows[0].outcome).contains("pinned"));
  }

  void recipeErrors_data() {
    QTest::addColumn<QString>("dir");
    std::filesystem::path root = std::filesystem::path(KEVO_TEST_FIXTURES_DIR) / "bad_recipes";
    for (const auto& e : std::filesystem::directory_iterator(root))
      QTest::newRow(e.path().filename().c_str()) << QString::fromStdString(e.path().string());
  }

  void recipeErrors() {
    QFETCH(QString, dir);
    std::string expected = test::readFile(dir.toStdString() + "/expected_error.txt");
    expected.erase(expected.find_last_not_of("\n") + 1);
    try {
      synth::loadRecipe(dir.toStdString());
      QFAIL("a broken recipe loaded");
    } catch (const synth::RecipeError& e) {
      QVERIFY2(QString(e.what()).contains(QString::fromStdString(expected)), e.what());
      QVERIFY2(QString(e.what()).contains("recipe.json"), e.what());
    }
  }
};

QTEST_APPLESS_MAIN(SearchTest)
#include "test_search.moc"

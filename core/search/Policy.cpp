#include "search/Policy.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "search/MemoryOperator.h"

namespace kevo::search {

double nodeReward(const SearchNode& n) {
  return n.ok() ? n.score : -1.0;
}

bool isExpandable(const SearchTree& tree, const SearchNode& n) {
  return n.ok() && !tree.isPruned(n.id);
}

namespace {

std::vector<int64_t> expandable(const SearchTree& tree) {
  std::vector<int64_t> out;
  for (const auto& [id, n] : tree.nodes())
    if (isExpandable(tree, n)) out.push_back(id);
  return out;
}

class MctsPolicy : public Policy {
 public:
  explicit MctsPolicy(const nlohmann::json& p) { setParams(p); }
  std::string name() const override { return "mcts"; }

  Selection select(const SearchTree& tree, std::mt19937_64&) override {
    int64_t cur = -1;
    for (;;) {
      std::vector<int64_t> kids;
      int live = 0;
      for (int64_t c : tree.children(cur)) {
        const SearchNode& n = tree.at(c);
        if (tree.isPruned(c) || n.status == NodeStatus::Lost) continue;
        ++live;
        if (isExpandable(tree, n)) kids.push_back(c);
      }
      double visits = cur < 0 ? rootVisits_ : stat(cur).visits;
      // Progressive widening: a node with N visits may have ceil(k * N^alpha) children. New
      // roots are restarts from scratch, so the virtual root widens more slowly.
      double alpha = cur < 0 ? alpha_ / 2 : alpha_;
      bool widen = live < std::max(1.0, std::ceil(widening_ * std::pow(visits + 1, alpha)));
      if (kids.empty() || widen) return {cur, -1};
      int64_t best = kids[0];
      double bestValue = -1e300;
      for (int64_t c : kids) {
        const Stat& s = stat(c);
        // Max backup: for optimization the best kernel found below a node is what matters, not
        // the average (a few bad children must not bury the subtree holding the best).
        double value = s.visits > 0 ? normalized(s.best) : 0;
        double uct = value + exploration_ * std::sqrt(std::log(std::max(visits, 1.0)) /
                                                      std::max(s.visits, 1.0));
        if (tree.at(c).pinned) uct += 0.2;
        if (uct > bestValue) {
          bestValue = uct;
          best = c;
        }
      }
      cur = best;
    }
  }

  void observe(const SearchTree& tree, int64_t id) override {
    double r = nodeReward(tree.at(id));
    if (tree.at(id).ok()) {
      lowest_ = std::min(lowest_, r);
      highest_ = std::max(highest_, r);
    }
    for (int64_t n = id; n > 0 && tree.contains(n); n = tree.at(n).parentId) {
      Stat& st = stats_[n];
      st.best = st.visits == 0 ? r : std::max(st.best, r);
      st.visits += 1;
      st.value += r;
    }
    rootVisits_ += 1;
  }

  nlohmann::json nodeStats(int64_t id) const override {
    auto it = stats_.find(id);
    if (it == stats_.end()) return {{"visits", 0}, {"mean_reward", 0}, {"best_reward", 0}};
    return {{"visits", it->second.visits},
            {"mean_reward", it->second.value / std::max(it->second.visits, 1.0)},
            {"best_reward", it->second.best}};
  }
  void setParams(const nlohmann::json& p) override {
    if (!p.is_object()) return;
    exploration_ = p.value("exploration", exploration_);
    widening_ = p.value("widening", widening_);
    alpha_ = p.value("alpha", alpha_);
  }
  nlohmann::json params() const override {
    return {{"exploration", exploration_}, {"widening", widening_}, {"alpha", alpha_}};
  }

 private:
  struct Stat {
    double visits = 0, value = 0, best = 0;
  };
  // Rewards mapped to [0, 1] over the range seen so far (failures below it count as 0), so the
  // exploration constant means the same whatever the problem's speedups are.
  double normalized(double r) const {
    if (!(highest_ > lowest_)) return 0.5;
    return std::clamp((r - lowest_) / (highest_ - lowest_), 0.0, 1.0);
  }
  const Stat& stat(int64_t id) const {
    static const Stat none;
    auto it = stats_.find(id);
    return it == stats_.end() ? none : it->second;
  }
  std::map<int64_t, Stat> stats_;
  double rootVisits_ = 0;
  double lowest_ = 1e300, highest_ = -1e300;
  double exploration_ = 0.1, widening_ = 1.0, alpha_ = 0.3;
};

class EvolvePolicy : public Policy {
 public:
  explicit EvolvePolicy(const nlohmann::json& p) { setParams(p); }
  std::string name() const override { return "evolve"; }

  Selection select(const SearchTree& tree, std::mt19937_64& rng) override {
    int island = int(selections_++ % uint64_t(islands_));
    std::vector<int64_t> members;
    for (int64_t id : expandable(tree))
      if (tree.at(id).island == island) members.push_back(id);
    // Migration: every few selections the best of the next island competes here too.
    if (migrationInterval_ > 0 && selections_ % uint64_t(migrationInterval_) == 0) {
      std::optional<int64_t> immigrant;
      for (int64_t id : expandable(tree))
        if (tree.at(id).island == (island + 1) % islands_ &&
            (!immigrant || tree.at(id).score > tree.at(*immigrant).score))
          immigrant = id;
      if (immigrant) members.push_back(*immigrant);
    }
    if (members.empty()) return {-1, island};
    int64_t winner = members[rng() % members.size()];
    for (int t = 1; t < tournament_; ++t) {
      int64_t challenger = members[rng() % members.size()];
      if (tree.at(challenger).score > tree.at(winner).score ||
          (tree.at(challenger).pinned && !tree.at(winner).pinned))
        winner = challenger;
    }
    return {winner, island};
  }
  void observe(const SearchTree&, int64_t) override {}
  void setParams(const nlohmann::json& p) override {
    if (!p.is_object()) return;
    islands_ = std::max(1, p.value("islands", islands_));
    tournament_ = std::max(1, p.value("tournament", tournament_));
    migrationInterval_ = p.value("migration_interval", migrationInterval_);
  }
  nlohmann::json params() const override {
    return {{"islands", islands_},
            {"tournament", tournament_},
            {"migration_interval", migrationInterval_}};
  }

 private:
  uint64_t selections_ = 0;
  int islands_ = 2, tournament_ = 5, migrationInterval_ = 8;
};

class GreedyPolicy : public Policy {
 public:
  explicit GreedyPolicy(const nlohmann::json& p) { setParams(p); }
  std::string name() const override { return "greedy"; }
  Selection select(const SearchTree& tree, std::mt19937_64&) override {
    std::optional<int64_t> best;
    for (int64_t id : expandable(tree)) {
      const SearchNode& n = tree.at(id);
      if (int(tree.children(id).size()) >= maxChildren_) continue;
      if (!best || (n.pinned && !tree.at(*best).pinned) ||
          (n.pinned == tree.at(*best).pinned && n.score > tree.at(*best).score))
        best = id;
    }
    return {best ? *best : -1, -1};
  }
  void observe(const SearchTree&, int64_t) override {}
  void setParams(const nlohmann::json& p) override {
    if (p.is_object()) maxChildren_ = std::max(1, p.value("max_children", maxChildren_));
  }
  nlohmann::json params() const override { return {{"max_children", maxChildren_}}; }

 private:
  int maxChildren_ = 4;
};

class RandomPolicy : public Policy {
 public:
  std::string name() const override { return "random"; }
  Selection select(const SearchTree& tree, std::mt19937_64& rng) override {
    std::vector<int64_t> all = expandable(tree);
    size_t pick = rng() % (all.size() + 1);
    return {pick == all.size() ? -1 : all[pick], -1};
  }
  void observe(const SearchTree&, int64_t) override {}
  std::string preferredOperator(std::mt19937_64& rng) override {
    return memoryOperators()[rng() % memoryOperators().size()];
  }
};

}  // namespace

const std::vector<std::string>& policyNames() {
  static const std::vector<std::string> names = {"mcts", "evolve", "greedy", "random"};
  return names;
}

std::unique_ptr<Policy> makePolicy(const std::string& name, const nlohmann::json& params) {
  if (name == "mcts") return std::make_unique<MctsPolicy>(params);
  if (name == "evolve") return std::make_unique<EvolvePolicy>(params);
  if (name == "greedy") return std::make_unique<GreedyPolicy>(params);
  if (name == "random") return std::make_unique<RandomPolicy>();
  throw std::invalid_argument("unknown policy \"" + name + "\" (mcts, evolve, greedy, random)");
}

}  // namespace kevo::search

#include "search/OperatorSchedule.h"

#include <cmath>
#include <stdexcept>

#include "search/MemoryOperator.h"

namespace kevo::search {

OperatorSchedule::OperatorSchedule(const std::string& mode) : mode_(mode) {
  if (mode.rfind("fixed:", 0) == 0) {
    fixed_ = mode.substr(6);
    if (!isMemoryOperator(fixed_))
      throw std::invalid_argument("unknown memory operator \"" + fixed_ +
                                  "\" (inherit, siblings, combined, fresh)");
  } else if (mode != "adaptive" && mode != "round-robin") {
    throw std::invalid_argument("operator mode \"" + mode +
                                "\": expected adaptive, round-robin or fixed:<operator>");
  }
}

std::string OperatorSchedule::choose(std::mt19937_64&) {
  const auto& ops = memoryOperators();
  if (!fixed_.empty()) return fixed_;
  if (mode_ == "round-robin") return ops[next_++ % ops.size()];
  double total = 0;
  for (const auto& op : ops) total += payoff_[op].first;
  std::string best;
  double bestValue = -1;
  for (const auto& op : ops) {
    auto [uses, wins] = payoff_[op];
    if (uses == 0) return op;  // try each once
    double ucb = wins / uses + std::sqrt(2 * std::log(total) / uses);
    if (ucb > bestValue) {
      bestValue = ucb;
      best = op;
    }
  }
  return best;
}

void OperatorSchedule::observe(const std::string& op, bool improved) {
  if (!isMemoryOperator(op)) return;
  payoff_[op].first += 1;
  if (improved) payoff_[op].second += 1;
}

nlohmann::json OperatorSchedule::stats() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& op : memoryOperators()) {
    auto it = payoff_.find(op);
    double uses = it == payoff_.end() ? 0 : it->second.first;
    double wins = it == payoff_.end() ? 0 : it->second.second;
    j[op] = {{"uses", uses}, {"improvements", wins}};
  }
  return j;
}

}  // namespace kevo::search

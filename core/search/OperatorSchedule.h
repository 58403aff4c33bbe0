// Which memory operator an expansion uses: fixed (always one), round-robin, or adaptive (UCB1
// on observed payoff: the share of children that beat their parent). A user can force one for
// a single expansion through steering.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace kevo::search {

class OperatorSchedule {
 public:
  // "adaptive", "round-robin" or "fixed:<operator>"; throws std::invalid_argument otherwise.
  explicit OperatorSchedule(const std::string& mode = "adaptive");
  const std::string& mode() const { return mode_; }
  std::string choose(std::mt19937_64& rng);
  void observe(const std::string& op, bool improved);
  nlohmann::json stats() const;  // per operator: uses, improvements

 private:
  std::string mode_;
  std::string fixed_;
  size_t next_ = 0;
  std::map<std::string, std::pair<double, double>> payoff_;  // uses, improvements
};

}  // namespace kevo::search

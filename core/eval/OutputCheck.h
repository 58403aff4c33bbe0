// The parent's checks around every call: poison the outputs before it (two patterns, so stale
// memory cannot pass), a canary between each output's end and its guard page, and the
// comparison of what came back with the reference's outputs.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "problem/Problem.h"

namespace kevo::eval {

enum class PoisonPattern { A, B };

// A: NaN for floats, 0xA5.. for integers. B: a large finite value, 0x5A.. for integers. bf16
// gets the top halves of the f32 patterns (0x7FC5, 0x5A5A).
void poisonOutput(const problem::ConcreteTensor& t, void* data, PoisonPattern pattern);
void writeCanary(uint8_t* begin, int64_t bytes);
bool canaryIntact(const uint8_t* begin, int64_t bytes);

struct Mismatch {
  std::string output;
  int64_t index = -1;  // flat index of the first bad element
  std::vector<int64_t> coords;
  std::string got, expected;
  double maxAbsError = 0, maxRelError = 0;
  int64_t badCount = 0, checkedCount = 0;
  bool nonFinite = false;        // a NaN or Inf where the reference has a finite value
  bool stillPoisoned = false;    // the first bad element holds the poison: never written
  std::string describe() const;  // one sentence for the user
  nlohmann::json toJson() const;
};

// Compares every element (indices empty) or only the given flat indices.
std::optional<Mismatch> compareOutput(const problem::ConcreteTensor& t, const void* got,
                                      const void* expected, const problem::Tolerance& tol,
                                      PoisonPattern poison,
                                      const std::vector<int64_t>& indices = {});

}  // namespace kevo::eval

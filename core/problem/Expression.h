// Integer expressions over shape symbols ("B*N", "F*(F-1)/2", "min(L, 64)"): the language of
// problem.json shapes, scalars and FLOP/byte formulas. Parsed and evaluated in one pass.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kevo::problem {

using SymbolTable = std::map<std::string, int64_t>;

class ExpressionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ExpressionError naming the position and the problem (unknown symbol, syntax, overflow,
// division by zero).
int64_t evaluateExpression(std::string_view text, const SymbolTable& symbols);

// The symbols an expression mentions, for validation; throws ExpressionError on bad syntax.
std::vector<std::string> expressionSymbols(std::string_view text);

}  // namespace kevo::problem

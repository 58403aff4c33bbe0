#include "problem/Expression.h"

#include <cctype>

namespace kevo::problem {
namespace {

// Recursive descent: expr := term (('+'|'-') term)*; term := unary (('*'|'/'|'%') unary)*;
// unary := '-' unary | primary; primary := number | name | name '(' expr ',' expr ')' | '(' expr
// ')'.
class Parser {
 public:
  Parser(std::string_view text, const SymbolTable* symbols, std::vector<std::string>* seen)
      : text_(text), symbols_(symbols), seen_(seen) {}

  int64_t parseAll() {
    int64_t v = expr();
    skipSpace();
    if (pos_ != text_.size()) fail("unexpected '" + std::string(1, text_[pos_]) + "'");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ExpressionError("in \"" + std::string(text_) + "\" at column " +
                          std::to_string(pos_ + 1) + ": " + what);
  }
  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool accept(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }
  int64_t checked(__int128 v) const {
    if (v > INT64_MAX || v < INT64_MIN) fail("value overflows 64 bits");
    return int64_t(v);
  }
  int64_t expr() {
    int64_t v = term();
    for (;;) {
      if (accept('+')) {
        v = checked(__int128(v) + term());
      } else if (accept('-')) {
        v = checked(__int128(v) - term());
      } else {
        return v;
      }
    }
  }
  int64_t term() {
    int64_t v = unary();
    for (;;) {
      skipSpace();
      if (pos_ >= text_.size() || (text_[pos_] != '*' && text_[pos_] != '/' && text_[pos_] != '%'))
        return v;
      char op = text_[pos_++];
      int64_t r = unary();
      if (op == '*') {
        v = checked(__int128(v) * r);
      } else if (symbols_) {  // when only collecting symbols, values are placeholders
        if (r == 0) fail(op == '/' ? "division by zero" : "modulo by zero");
        v = op == '/' ? v / r : v % r;
      }
    }
  }
  int64_t unary() {
    if (accept('-')) return checked(-__int128(unary()));
    return primary();
  }
  int64_t primary() {
    skipSpace();
    if (pos_ >= text_.size()) fail("unexpected end");
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      int64_t v = expr();
      expect(')');
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      __int128 v = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        v = v * 10 + (text_[pos_++] - '0');
        checked(v);
      }
      return int64_t(v);
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
        ++pos_;
      std::string name(text_.substr(start, pos_ - start));
      if (accept('(')) {
        if (name != "min" && name != "max" && name != "cdiv")
          fail("unknown function '" + name + "' (known: min, max, cdiv)");
        int64_t a = expr();
        expect(',');
        int64_t b = expr();
        expect(')');
        if (name == "cdiv") {
          // Ceiling division, for grid sizes: cdiv(N, 256) blocks of 256 cover N.
          if (b <= 0) fail("cdiv by a non-positive number");
          return a <= 0 ? 0 : (a + b - 1) / b;
        }
        return name == "min" ? std::min(a, b) : std::max(a, b);
      }
      if (seen_) seen_->push_back(name);
      if (!symbols_) return 1;
      auto it = symbols_->find(name);
      if (it == symbols_->end()) fail("unknown symbol '" + name + "'");
      return it->second;
    }
    fail("unexpected '" + std::string(1, c) + "'");
  }

  std::string_view text_;
  const SymbolTable* symbols_;
  std::vector<std::string>* seen_;
  size_t pos_ = 0;
};

}  // namespace

int64_t evaluateExpression(std::string_view text, const SymbolTable& symbols) {
  return Parser(text, &symbols, nullptr).parseAll();
}

std::vector<std::string> expressionSymbols(std::string_view text) {
  std::vector<std::string> seen;
  Parser(text, nullptr, &seen).parseAll();
  return seen;
}

}  // namespace kevo::problem

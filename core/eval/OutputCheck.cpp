#include "eval/OutputCheck.h"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "abi/kevo_abi.h"

namespace kevo::eval {

using problem::ConcreteTensor;
using problem::DType;

namespace {

constexpr uint8_t kCanaryByte = 0xCB;

uint32_t poisonBits32(PoisonPattern p, bool floating) {
  if (p == PoisonPattern::A) return floating ? 0x7FC5A5A5u : 0xA5A5A5A5u;
  return 0x5A5A5A5Au;  // 1.5e16 as a float
}
// 2-byte floats get the top halves of the 4-byte patterns: A a quiet NaN with payload 0x45
// (bf16 0x7FC5), B about 1.5e16 (bf16 0x5A5A); neither is a value a correct kernel of a bundled
// problem writes, and the finite B catches a kernel that reads its output (fmax(out, v) passes
// on a NaN poison, never on a huge finite one).
uint16_t poisonBits16(PoisonPattern p, bool floating) {
  return uint16_t(poisonBits32(p, floating) >> 16);
}
uint64_t poisonBits64(PoisonPattern p, bool floating) {
  if (p == PoisonPattern::A) return floating ? 0x7FF8A5A5A5A5A5A5ull : 0xA5A5A5A5A5A5A5A5ull;
  return 0x5A5A5A5A5A5A5A5Aull;
}

// How an element is read and shown: stored as S, compared as Value.
template <typename S>
struct PlainElement {
  using Value = S;
  static Value value(S v) { return v; }
  static std::string show(S v) {
    std::ostringstream s;
    s.precision(9);
    s << v;
    return s.str();
  }
};

// bf16 is compared as the float it widens to (exactly) and shown as that value with its bits,
// so a poison NaN or a one-ulp difference is visible: "0.333984 (bf16 0x3eab)".
struct Bf16Element {
  using Value = float;
  static Value value(uint16_t h) { return kevo_bf16_to_f32(h); }
  static std::string show(uint16_t h) {
    std::ostringstream s;
    s.precision(6);
    s << value(h) << " (bf16 0x" << std::hex << std::setw(4) << std::setfill('0') << h << ")";
    return s.str();
  }
};

template <typename S, typename E, typename Bits>
std::optional<Mismatch> compareTyped(const ConcreteTensor& t, const S* got, const S* expected,
                                     const problem::Tolerance& tol, Bits poisonBits,
                                     const std::vector<int64_t>& indices) {
  static_assert(sizeof(Bits) == sizeof(S));
  using T = typename E::Value;
  Mismatch m;
  m.output = t.name;
  bool bitwise = tol.kind == problem::Tolerance::Kind::Bitwise;
  auto check = [&](int64_t i) {
    ++m.checkedCount;
    const S gs = got[i], es = expected[i];
    const T g = E::value(gs), e = E::value(es);
    bool bad = false;
    double absErr = 0, relErr = 0;
    if constexpr (std::is_floating_point_v<T>) {
      bool gFinite = std::isfinite(g), eFinite = std::isfinite(e);
      if (!eFinite || !gFinite) {
        // Non-finite values pass only where the reference has the same one.
        bool same = (std::isnan(e) && std::isnan(g)) || (std::isinf(e) && g == e);
        bad = !same;
        if (bad && !gFinite) m.nonFinite = true;
        if (bad) absErr = relErr = INFINITY;
      } else if (bitwise) {
        bad = std::memcmp(&gs, &es, sizeof(S)) != 0;
        absErr = std::fabs(double(g) - double(e));
      } else {
        absErr = std::fabs(double(g) - double(e));
        relErr = e != 0 ? absErr / std::fabs(double(e)) : (absErr > 0 ? INFINITY : 0);
        bad = absErr > tol.atol + tol.rtol * std::fabs(double(e));
      }
    } else {
      bad = g != e;
      absErr = std::fabs(double(g) - double(e));
    }
    if (bad) {
      if (m.badCount == 0) {
        m.index = i;
        m.got = E::show(gs);
        m.expected = E::show(es);
        Bits bits;
        std::memcpy(&bits, &gs, sizeof bits);
        m.stillPoisoned = bits == poisonBits;
      }
      ++m.badCount;
      m.maxAbsError = std::max(m.maxAbsError, absErr);
      m.maxRelError = std::max(m.maxRelError, relErr);
    }
  };
  if (indices.empty()) {
    // Fast pass: a plain loop the compiler vectorizes. NaN fails every comparison, so any
    // non-finite or out-of-tolerance element sends us to the detailed pass below.
    bool allGood = true;
    if constexpr (std::is_floating_point_v<T>) {
      if (bitwise) {
        allGood = std::memcmp(got, expected, size_t(t.elements) * sizeof(S)) == 0;
      } else {
        int64_t bad = 0;
        const T atol = T(tol.atol), rtol = T(tol.rtol);
        for (int64_t i = 0; i < t.elements; ++i) {
          T e = E::value(expected[i]);
          T d = E::value(got[i]) - e;
          bad += !((d <= atol + rtol * (e < 0 ? -e : e)) & (-d <= atol + rtol * (e < 0 ? -e : e)) &
                   (e - e == 0));
        }
        allGood = bad == 0;
      }
    } else {
      allGood = std::memcmp(got, expected, size_t(t.elements) * sizeof(S)) == 0;
    }
    if (allGood) {
      m.checkedCount = t.elements;
      return std::nullopt;
    }
    for (int64_t i = 0; i < t.elements; ++i) check(i);
  } else {
    for (int64_t i : indices) check(i);
  }
  if (m.badCount == 0) return std::nullopt;
  int64_t rest = m.index;
  m.coords.assign(t.shape.size(), 0);
  for (int k = int(t.shape.size()) - 1; k >= 0; --k) {
    m.coords[size_t(k)] = rest % t.shape[size_t(k)];
    rest /= t.shape[size_t(k)];
  }
  return m;
}

}  // namespace

void poisonOutput(const ConcreteTensor& t, void* data, PoisonPattern pattern) {
  bool floating = problem::isFloating(t.dtype);
  if (problem::dtypeSize(t.dtype) == 2) {
    uint16_t bits = poisonBits16(pattern, floating);
    auto* p = static_cast<uint16_t*>(data);
    for (int64_t i = 0; i < t.elements; ++i) p[i] = bits;
  } else if (problem::dtypeSize(t.dtype) == 4) {
    uint32_t bits = poisonBits32(pattern, floating);
    auto* p = static_cast<uint32_t*>(data);
    for (int64_t i = 0; i < t.elements; ++i) p[i] = bits;
  } else {
    uint64_t bits = poisonBits64(pattern, floating);
    auto* p = static_cast<uint64_t*>(data);
    for (int64_t i = 0; i < t.elements; ++i) p[i] = bits;
  }
}

void writeCanary(uint8_t* begin, int64_t bytes) {
  if (bytes > 0) std::memset(begin, kCanaryByte, size_t(bytes));
}

bool canaryIntact(const uint8_t* begin, int64_t bytes) {
  for (int64_t i = 0; i < bytes; ++i)
    if (begin[i] != kCanaryByte) return false;
  return true;
}

std::optional<Mismatch> compareOutput(const ConcreteTensor& t, const void* got,
                                      const void* expected, const problem::Tolerance& tol,
                                      PoisonPattern poison, const std::vector<int64_t>& indices) {
  bool floating = problem::isFloating(t.dtype);
  switch (t.dtype) {
    case DType::F32:
      return compareTyped<float, PlainElement<float>>(t, static_cast<const float*>(got),
                                                      static_cast<const float*>(expected), tol,
                                                      poisonBits32(poison, floating), indices);
    case DType::F64:
      return compareTyped<double, PlainElement<double>>(t, static_cast<const double*>(got),
                                                        static_cast<const double*>(expected), tol,
                                                        poisonBits64(poison, floating), indices);
    case DType::I32:
      return compareTyped<int32_t, PlainElement<int32_t>>(
          t, static_cast<const int32_t*>(got), static_cast<const int32_t*>(expected), tol,
          poisonBits32(poison, floating), indices);
    case DType::I64:
      return compareTyped<int64_t, PlainElement<int64_t>>(
          t, static_cast<const int64_t*>(got), static_cast<const int64_t*>(expected), tol,
          poisonBits64(poison, floating), indices);
    case DType::BF16:
      return compareTyped<uint16_t, Bf16Element>(t, static_cast<const uint16_t*>(got),
                                                 static_cast<const uint16_t*>(expected), tol,
                                                 poisonBits16(poison, floating), indices);
  }
  return std::nullopt;
}

std::string Mismatch::describe() const {
  std::ostringstream s;
  s << output << "[";
  for (size_t k = 0; k < coords.size(); ++k) s << (k ? "," : "") << coords[k];
  s << "] = " << got << ", expected " << expected;
  if (stillPoisoned)
    s << " (still the poison Kevo wrote before the call: the kernel never wrote it)";
  else if (nonFinite)
    s << " (NaN or Inf where the reference is finite)";
  s << "; " << badCount << " of " << checkedCount << " checked elements wrong";
  if (std::isfinite(maxAbsError)) s << ", max abs error " << maxAbsError;
  if (std::isfinite(maxRelError) && maxRelError > 0) s << ", max rel error " << maxRelError;
  return s.str();
}

nlohmann::json Mismatch::toJson() const {
  auto finiteOrNull = [](double v) -> nlohmann::json {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  return {{"output", output},
          {"first_bad_index", index},
          {"first_bad_coords", coords},
          {"got", got},
          {"expected", expected},
          {"max_abs_error", finiteOrNull(maxAbsError)},
          {"max_rel_error", finiteOrNull(maxRelError)},
          {"bad_count", badCount},
          {"checked_count", checkedCount},
          {"non_finite", nonFinite},
          {"still_poisoned", stillPoisoned}};
}

}  // namespace kevo::eval

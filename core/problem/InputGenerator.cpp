#include "problem/InputGenerator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "abi/kevo_abi.h"

namespace kevo::problem {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256**: fast, good statistical quality, trivially seeded from splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& w : s_) w = splitmix64(seed);
  }
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform01() { return double(next() >> 11) * 0x1.0p-53; }
  // Integer in [0, n) without modulo bias worth mentioning for n << 2^64.
  uint64_t below(uint64_t n) { return uint64_t((__uint128_t(next()) * n) >> 64); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

template <typename T>
void fillFloats(T* out, int64_t n, Rng& rng, const Distribution& d) {
  if (d.kind == "normal") {
    // Box-Muller, two values per pair of uniforms.
    for (int64_t i = 0; i < n; i += 2) {
      double u1 = 1.0 - rng.uniform01();
      double u2 = rng.uniform01();
      double r = std::sqrt(-2.0 * std::log(u1));
      out[i] = T(d.mean + d.stddev * r * std::cos(2 * M_PI * u2));
      if (i + 1 < n) out[i + 1] = T(d.mean + d.stddev * r * std::sin(2 * M_PI * u2));
    }
  } else if (d.kind == "uniform") {
    for (int64_t i = 0; i < n; ++i) out[i] = T(d.low + (d.high - d.low) * rng.uniform01());
  } else if (d.kind == "sorted") {
    // Evenly spaced cells with one random point in each: strictly increasing, spans the range.
    double cell = (d.high - d.low) / double(n);
    for (int64_t i = 0; i < n; ++i)
      out[i] = T(d.low + cell * (double(i) + 0.05 + 0.9 * rng.uniform01()));
    for (int64_t i = 1; i < n; ++i)
      if (!(out[i] > out[i - 1])) out[i] = std::nextafter(out[i - 1], T(INFINITY));
  }
}

template <typename T>
void fillInts(T* out, int64_t n, Rng& rng, const Distribution& d, const SymbolTable& symbols) {
  if (d.kind == "bits") {
    for (int64_t i = 0; i < n; ++i) out[i] = T(rng.next());
  } else if (d.kind == "randint") {
    int64_t lo = evaluateExpression(d.lowExpr, symbols);
    int64_t hi = evaluateExpression(d.highExpr, symbols);
    uint64_t span = hi > lo ? uint64_t(hi - lo) : 1;
    for (int64_t i = 0; i < n; ++i) out[i] = T(lo + int64_t(rng.below(span)));
  } else if (d.kind == "offsets") {
    // n = segments + 1 values from 0 to total: sorted random cut points.
    int64_t total = evaluateExpression(d.totalExpr, symbols);
    std::vector<int64_t> cuts(size_t(std::max<int64_t>(n - 2, 0)));
    for (auto& c : cuts) c = int64_t(rng.below(uint64_t(total) + 1));
    std::sort(cuts.begin(), cuts.end());
    out[0] = 0;
    for (size_t i = 0; i < cuts.size(); ++i) out[i + 1] = T(cuts[i]);
    if (n > 1) out[n - 1] = T(total);
  }
}

// The next bf16 value above a finite h (bit patterns order like sign-magnitude integers).
uint16_t nextBf16Up(uint16_t h) {
  if (h == 0x8000 || h == 0) return 0x0001;  // -0, +0 -> the smallest positive subnormal
  return (h & 0x8000) ? uint16_t(h - 1) : uint16_t(h + 1);
}

// bf16: drawn as floats from the same distribution, then rounded to nearest even, so a bf16
// tensor holds exactly the values its float draw rounds to. "sorted" stays strictly increasing:
// rounding can tie neighbours, which are nudged up by one bf16 step as the float path does.
void fillBf16(uint16_t* out, int64_t n, Rng& rng, const Distribution& d) {
  constexpr int64_t kBlock = 4096;
  std::vector<float> tmp(size_t(std::min(n, d.kind == "sorted" ? n : kBlock)));
  if (d.kind == "sorted") {
    fillFloats(tmp.data(), n, rng, d);
    for (int64_t i = 0; i < n; ++i) {
      out[i] = kevo_f32_to_bf16(tmp[size_t(i)]);
      if (i > 0 && !(kevo_bf16_to_f32(out[i]) > kevo_bf16_to_f32(out[i - 1])))
        out[i] = nextBf16Up(out[i - 1]);
    }
    return;
  }
  // Elementwise kinds: blocks of kBlock draws (a whole number of Box-Muller pairs), so the
  // values are those of one fillFloats call over the whole range.
  for (int64_t begin = 0; begin < n; begin += kBlock) {
    const int64_t len = std::min(kBlock, n - begin);
    fillFloats(tmp.data(), len, rng, d);
    for (int64_t i = 0; i < len; ++i) out[begin + i] = kevo_f32_to_bf16(tmp[size_t(i)]);
  }
}

}  // namespace

uint64_t deriveSeed(uint64_t seed, uint64_t stream) {
  uint64_t s = seed ^ (stream * 0xd1342543de82ef95ULL);
  return splitmix64(s);
}

namespace {

void fillRange(const TensorSpec& spec, DType dtype, void* dst, int64_t begin, int64_t n,
               uint64_t seed, const SymbolTable& symbols) {
  Rng rng(seed);
  switch (dtype) {
    case DType::F32:
      fillFloats(static_cast<float*>(dst) + begin, n, rng, spec.dist);
      break;
    case DType::F64:
      fillFloats(static_cast<double*>(dst) + begin, n, rng, spec.dist);
      break;
    case DType::I32:
      fillInts(static_cast<int32_t*>(dst) + begin, n, rng, spec.dist, symbols);
      break;
    case DType::I64:
      fillInts(static_cast<int64_t*>(dst) + begin, n, rng, spec.dist, symbols);
      break;
    case DType::BF16:
      fillBf16(static_cast<uint16_t*>(dst) + begin, n, rng, spec.dist);
      break;
  }
}

}  // namespace

void generateInput(const TensorSpec& spec, const ConcreteTensor& t, const SymbolTable& symbols,
                   uint64_t seed, void* dst) {
  // Element-wise distributions are drawn in chunks of 2^20 elements, chunk k from its own
  // stream (chunk 0 from `seed` itself, so tensors of one chunk are as before), on several
  // threads: 100 MB GPU shape sets would otherwise spend seconds here per evaluation.
  constexpr int64_t kChunk = int64_t(1) << 20;
  const std::string& kind = spec.dist.kind;
  bool elementwise = kind == "normal" || kind == "uniform" || kind == "bits" || kind == "randint";
  if (!elementwise || t.elements <= kChunk) {
    fillRange(spec, t.dtype, dst, 0, t.elements, seed, symbols);
    return;
  }
  int64_t chunks = (t.elements + kChunk - 1) / kChunk;
  int workers = int(std::clamp<int64_t>(std::thread::hardware_concurrency(), 1, 16));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w)
    threads.emplace_back([&, w] {
      for (int64_t k = w; k < chunks; k += workers) {
        int64_t begin = k * kChunk;
        fillRange(spec, t.dtype, dst, begin, std::min(kChunk, t.elements - begin),
                  k == 0 ? seed : deriveSeed(seed, uint64_t(k)), symbols);
      }
    });
  for (auto& th : threads) th.join();
}

}  // namespace kevo::problem

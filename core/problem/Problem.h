// A problem spec (problem.json + reference + baseline), loaded and validated. Everything that
// evaluates, searches or shows a problem works from this value type; docs/problem-format.md is
// the user-facing description of the same format.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "problem/Expression.h"

namespace kevo::problem {

// BF16 is stored as uint16_t, the top 16 bits of an IEEE float (kevo_abi.h converts both ways).
enum class DType { F32, F64, I32, I64, BF16 };

size_t dtypeSize(DType t);
const char* dtypeName(DType t);
std::optional<DType> parseDType(const std::string& name);
bool isFloating(DType t);
int32_t abiDtypeCode(DType t);  // the kevo_dtype value of kevo_abi.h

struct Distribution {
  std::string kind;  // normal, uniform, randint, bits, sorted, offsets
  double mean = 0, stddev = 1;
  double low = 0, high = 1;       // uniform, sorted
  std::string lowExpr, highExpr;  // randint
  std::string totalExpr;          // offsets
};

struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::string> shape;  // expressions over the shape symbols
  Distribution dist;               // inputs only
};

struct ScalarSpec {
  std::string name;
  std::string value;  // expression over the shape symbols
};

enum class CacheMode { Warm, Cold };

struct ShapeSet {
  std::string name;
  SymbolTable symbols;
  CacheMode cache = CacheMode::Warm;
};

struct Tolerance {
  enum class Kind { Bitwise, AllClose };
  Kind kind = Kind::Bitwise;
  double atol = 0, rtol = 0;
  std::string why;
};

struct KernelFile {
  std::filesystem::path source;  // absolute
  std::string title;
  std::vector<std::string> libs;
};

struct Problem {
  std::filesystem::path dir;
  std::filesystem::path specFile;
  std::string id, title, category, description;
  std::vector<TensorSpec> inputs, outputs;
  std::vector<ScalarSpec> scalars;
  std::vector<ShapeSet> shapeSets;
  std::string flops, bytes;
  Tolerance tolerance;
  std::optional<KernelFile> referenceCpu;
  std::optional<KernelFile> baselineCpu;
  std::optional<KernelFile> referenceCuda;  // docs/cuda-backend.md
  std::optional<KernelFile> baselineCuda;

  const ShapeSet* findShapeSet(const std::string& name) const;
};

// Every problem found in a spec, one message each: "<file>: <field>: expected ..., got ...".
class ProblemError : public std::runtime_error {
 public:
  explicit ProblemError(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

// Loads and validates dir/problem.json; throws ProblemError listing everything wrong.
Problem loadProblem(const std::filesystem::path& dir);

// The libraries a kernel may name in "libs", and the compiler flags each adds.
std::optional<std::vector<std::string>> libraryFlags(const std::string& lib);

struct ConcreteTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  int64_t elements = 0;
  int64_t bytes = 0;
};

// A shape set made concrete: sizes, scalar values and the cost model of one call.
struct ConcreteShapes {
  std::vector<ConcreteTensor> inputs, outputs;
  std::vector<int64_t> scalars;
  double flops = 0;
  double bytes = 0;
  int64_t inputBytes() const;
  int64_t outputBytes() const;
};

ConcreteShapes resolveShapes(const Problem& problem, const ShapeSet& shapeSet);

}  // namespace kevo::problem

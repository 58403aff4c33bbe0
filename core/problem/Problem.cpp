#include "problem/Problem.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace kevo::problem {

using nlohmann::json;

size_t dtypeSize(DType t) {
  switch (t) {
    case DType::BF16:
      return 2;
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F64:
    case DType::I64:
      return 8;
  }
  return 0;
}

const char* dtypeName(DType t) {
  switch (t) {
    case DType::F32:
      return "f32";
    case DType::F64:
      return "f64";
    case DType::I32:
      return "i32";
    case DType::I64:
      return "i64";
    case DType::BF16:
      return "bf16";
  }
  return "?";
}

std::optional<DType> parseDType(const std::string& name) {
  if (name == "f32") return DType::F32;
  if (name == "f64") return DType::F64;
  if (name == "i32") return DType::I32;
  if (name == "i64") return DType::I64;
  if (name == "bf16") return DType::BF16;
  return std::nullopt;
}

bool isFloating(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::BF16;
}

int32_t abiDtypeCode(DType t) {
  switch (t) {
    case DType::F32:
      return 0;
    case DType::F64:
      return 1;
    case DType::I32:
      return 2;
    case DType::I64:
      return 3;
    case DType::BF16:
      return 4;
  }
  return -1;
}

ProblemError::ProblemError(std::vector<std::string> errors)
    : std::runtime_error([&] {
        std::string all;
        for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
        return all;
      }()),
      errors_(std::move(errors)) {}

const ShapeSet* Problem::findShapeSet(const std::string& name) const {
  for (const auto& s : shapeSets)
    if (s.name == name) return &s;
  return nullptr;
}

std::optional<std::vector<std::string>> libraryFlags(const std::string& lib) {
  if (lib == "openblas") return std::vector<std::string>{"-lopenblas"};
  if (lib == "cublas") return std::vector<std::string>{"-lcublas"};
  return std::nullopt;
}

int64_t ConcreteShapes::inputBytes() const {
  int64_t n = 0;
  for (const auto& t : inputs) n += t.bytes;
  return n;
}

int64_t ConcreteShapes::outputBytes() const {
  int64_t n = 0;
  for (const auto& t : outputs) n += t.bytes;
  return n;
}

namespace {

// Collects errors while walking the JSON, so one `problems validate` run lists them all.
class SpecReader {
 public:
  explicit SpecReader(std::string file) : file_(std::move(file)) {}

  void error(const std::string& field, const std::string& what) {
    errors_.push_back(file_ + ": " + field + ": " + what);
  }
  std::vector<std::string>& errors() { return errors_; }

  static std::string describe(const json& v) {
    std::string s = v.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
  }

  std::string string(const json& obj, const std::string& key, const std::string& field,
                     bool required = true) {
    if (!obj.contains(key)) {
      if (required) error(field, "missing (expected a string)");
      return {};
    }
    if (!obj[key].is_string()) {
      error(field, "expected a string, got " + describe(obj[key]));
      return {};
    }
    return obj[key].get<std::string>();
  }

  // Numbers may be given as JSON numbers or as expressions in strings.
  std::string expression(const json& v, const std::string& field) {
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_string()) {
      try {
        expressionSymbols(v.get<std::string>());
      } catch (const ExpressionError& e) {
        error(field, std::string("bad expression ") + e.what());
        return {};
      }
      return v.get<std::string>();
    }
    error(field, "expected an integer or an expression string, got " + describe(v));
    return {};
  }

  double number(const json& obj, const std::string& key, const std::string& field) {
    if (!obj.contains(key)) {
      error(field, "missing (expected a number)");
      return 0;
    }
    if (!obj[key].is_number()) {
      error(field, "expected a number, got " + describe(obj[key]));
      return 0;
    }
    return obj[key].get<double>();
  }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

const std::set<std::string> kCategories = {"elementwise", "reduction", "normalization", "gemm",
                                           "recsys"};
const std::set<std::string> kDistributions = {"normal", "uniform", "randint",
                                              "bits",   "sorted",  "offsets"};

Distribution readDistribution(SpecReader& r, const json& d, const std::string& field, DType dtype) {
  Distribution dist;
  if (!d.is_object()) {
    r.error(field, "expected an object like {\"kind\": \"normal\", \"mean\": 0, \"std\": 1}");
    return dist;
  }
  dist.kind = r.string(d, "kind", field + ".kind");
  if (dist.kind.empty()) return dist;
  if (!kDistributions.count(dist.kind)) {
    r.error(field + ".kind",
            "expected one of normal, uniform, randint, bits, sorted, offsets, got \"" + dist.kind +
                "\"");
    return dist;
  }
  bool floating = isFloating(dtype);
  auto needFloat = [&] {
    if (!floating)
      r.error(field + ".kind",
              "\"" + dist.kind + "\" makes floats but the tensor is " + dtypeName(dtype));
  };
  auto needInt = [&] {
    if (floating)
      r.error(field + ".kind",
              "\"" + dist.kind + "\" makes integers but the tensor is " + dtypeName(dtype));
  };
  if (dist.kind == "normal") {
    needFloat();
    dist.mean = r.number(d, "mean", field + ".mean");
    dist.stddev = r.number(d, "std", field + ".std");
    if (dist.stddev <= 0) r.error(field + ".std", "expected a positive number");
  } else if (dist.kind == "uniform" || dist.kind == "sorted") {
    needFloat();
    dist.low = r.number(d, "low", field + ".low");
    dist.high = r.number(d, "high", field + ".high");
    if (!(dist.high > dist.low)) r.error(field + ".high", "expected high > low");
  } else if (dist.kind == "randint") {
    needInt();
    if (!d.contains("low") || !d.contains("high")) {
      r.error(field, "randint needs \"low\" and \"high\"");
    } else {
      dist.lowExpr = r.expression(d["low"], field + ".low");
      dist.highExpr = r.expression(d["high"], field + ".high");
    }
  } else if (dist.kind == "bits") {
    needInt();
  } else if (dist.kind == "offsets") {
    needInt();
    if (!d.contains("total"))
      r.error(field + ".total", "missing (expected an expression: the last offset)");
    else
      dist.totalExpr = r.expression(d["total"], field + ".total");
  }
  return dist;
}

std::vector<TensorSpec> readTensors(SpecReader& r, const json& spec, const std::string& key,
                                    bool isInput) {
  std::vector<TensorSpec> tensors;
  if (!spec.contains(key) || !spec[key].is_array() || spec[key].empty()) {
    r.error(key, "expected a non-empty array of tensors");
    return tensors;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < spec[key].size(); ++i) {
    const json& t = spec[key][i];
    std::string field = key + "[" + std::to_string(i) + "]";
    if (!t.is_object()) {
      r.error(field, "expected an object with name, dtype, shape");
      continue;
    }
    TensorSpec ts;
    ts.name = r.string(t, "name", field + ".name");
    if (!ts.name.empty() && !names.insert(ts.name).second)
      r.error(field + ".name", "duplicate tensor name \"" + ts.name + "\"");
    std::string dtype = r.string(t, "dtype", field + ".dtype");
    if (!dtype.empty()) {
      auto d = parseDType(dtype);
      if (!d)
        r.error(field + ".dtype",
                "expected one of f32, f64, bf16, i32, i64, got \"" + dtype + "\"");
      else
        ts.dtype = *d;
    }
    if (!t.contains("shape") || !t["shape"].is_array() || t["shape"].empty() ||
        t["shape"].size() > 4) {
      r.error(field + ".shape", "expected an array of 1 to 4 dimensions");
    } else {
      for (size_t k = 0; k < t["shape"].size(); ++k)
        ts.shape.push_back(
            r.expression(t["shape"][k], field + ".shape[" + std::to_string(k) + "]"));
    }
    if (isInput) {
      if (!t.contains("dist"))
        r.error(field + ".dist",
                "missing (expected an input distribution, e.g. {\"kind\": \"normal\", \"mean\": 0, "
                "\"std\": 1})");
      else
        ts.dist = readDistribution(r, t["dist"], field + ".dist", ts.dtype);
      if (ts.dist.kind == "offsets" && ts.shape.size() != 1)
        r.error(field + ".dist", "offsets need a 1-D tensor");
    }
    tensors.push_back(std::move(ts));
  }
  return tensors;
}

std::optional<KernelFile> readBackendEntry(SpecReader& r, const json& entry,
                                           const std::string& field,
                                           const std::filesystem::path& dir);

std::optional<KernelFile> readKernelFile(SpecReader& r, const json& spec, const std::string& key,
                                         const std::filesystem::path& dir, bool required) {
  if (!spec.contains(key)) {
    if (required) r.error(key, "missing (expected {\"cpu\": {\"source\": \"" + key + ".cpp\"}})");
    return std::nullopt;
  }
  const json& k = spec[key];
  if (!k.is_object() || !k.contains("cpu")) {
    r.error(key, "expected an object with a \"cpu\" entry");
    return std::nullopt;
  }
  for (const auto& [backend, _] : k.items())
    if (backend != "cpu" && backend != "cuda")
      r.error(key + "." + backend, "unknown backend (known: cpu, cuda)");
  return readBackendEntry(r, k["cpu"], key + ".cpu", dir);
}

std::optional<KernelFile> readBackendEntry(SpecReader& r, const json& entry,
                                           const std::string& field,
                                           const std::filesystem::path& dir) {
  if (!entry.is_object()) {
    r.error(field, "expected {\"source\": \"file\", \"title\": \"...\"}");
    return std::nullopt;
  }
  KernelFile f;
  std::string source = r.string(entry, "source", field + ".source");
  f.title = r.string(entry, "title", field + ".title", false);
  if (!source.empty()) {
    f.source = dir / source;
    if (!std::filesystem::is_regular_file(f.source))
      r.error(field + ".source", "file \"" + f.source.string() + "\" does not exist");
  }
  if (entry.contains("libs")) {
    if (!entry["libs"].is_array()) {
      r.error(field + ".libs", "expected an array of library names");
    } else {
      for (const auto& l : entry["libs"]) {
        if (!l.is_string() || !libraryFlags(l.get<std::string>()))
          r.error(field + ".libs",
                  "unknown library " + SpecReader::describe(l) + " (known: openblas, cublas)");
        else
          f.libs.push_back(l.get<std::string>());
      }
    }
  }
  return f;
}

}  // namespace

Problem loadProblem(const std::filesystem::path& dirIn) {
  std::filesystem::path dir = std::filesystem::absolute(dirIn).lexically_normal();
  Problem p;
  p.dir = dir;
  p.specFile = dir / "problem.json";
  std::string file = p.specFile.string();
  if (!std::filesystem::is_directory(dir))
    throw ProblemError(
        {dir.string() + ": not a directory (a problem is a folder holding problem.json)"});
  std::ifstream in(p.specFile);
  if (!in) throw ProblemError({file + ": cannot be read (missing?)"});
  json spec;
  try {
    spec = json::parse(in);
  } catch (const json::parse_error& e) {
    throw ProblemError({file + ": not valid JSON: " + e.what()});
  }
  if (!spec.is_object()) throw ProblemError({file + ": expected a JSON object at the top level"});

  SpecReader r(file);
  p.id = r.string(spec, "id", "id");
  if (!p.id.empty() && !std::regex_match(p.id, std::regex("[a-z0-9_-]+")))
    r.error("id", "expected lower-case letters, digits, '_' or '-', got \"" + p.id + "\"");
  p.title = r.string(spec, "title", "title");
  p.category = r.string(spec, "category", "category");
  if (!p.category.empty() && !kCategories.count(p.category))
    r.error("category",
            "expected one of elementwise, reduction, normalization, gemm, recsys, got \"" +
                p.category + "\"");
  p.description = r.string(spec, "description", "description");
  p.inputs = readTensors(r, spec, "inputs", true);
  p.outputs = readTensors(r, spec, "outputs", false);
  for (const auto& o : p.outputs)
    for (const auto& i : p.inputs)
      if (!o.name.empty() && o.name == i.name)
        r.error("outputs", "\"" + o.name + "\" is both an input and an output name");

  if (spec.contains("scalars")) {
    if (!spec["scalars"].is_array()) {
      r.error("scalars", "expected an array");
    } else {
      for (size_t i = 0; i < spec["scalars"].size(); ++i) {
        const json& s = spec["scalars"][i];
        std::string field = "scalars[" + std::to_string(i) + "]";
        if (!s.is_object() || !s.contains("value")) {
          r.error(field, "expected {\"name\": \"...\", \"value\": <expression>}");
          continue;
        }
        ScalarSpec ss;
        ss.name = r.string(s, "name", field + ".name");
        ss.value = r.expression(s["value"], field + ".value");
        p.scalars.push_back(ss);
      }
    }
  }

  if (!spec.contains("shape_sets") || !spec["shape_sets"].is_object() ||
      spec["shape_sets"].size() < 2) {
    r.error("shape_sets",
            "expected an object with at least two named shape sets (inference, training)");
  } else {
    for (const auto& [name, s] : spec["shape_sets"].items()) {
      std::string field = "shape_sets." + name;
      ShapeSet ss;
      ss.name = name;
      if (!s.is_object() || !s.contains("symbols") || !s["symbols"].is_object()) {
        r.error(field, "expected {\"symbols\": {\"B\": 16, ...}, \"cache\": \"warm\"|\"cold\"}");
        continue;
      }
      for (const auto& [sym, v] : s["symbols"].items()) {
        if (!v.is_number_integer() || v.get<int64_t>() <= 0)
          r.error(field + ".symbols." + sym,
                  "expected a positive integer, got " + SpecReader::describe(v));
        else
          ss.symbols[sym] = v.get<int64_t>();
      }
      std::string cache = r.string(s, "cache", field + ".cache");
      if (cache == "warm")
        ss.cache = CacheMode::Warm;
      else if (cache == "cold")
        ss.cache = CacheMode::Cold;
      else if (!cache.empty())
        r.error(field + ".cache", "expected \"warm\" or \"cold\", got \"" + cache + "\"");
      p.shapeSets.push_back(ss);
    }
  }

  if (!spec.contains("flops"))
    r.error("flops", "missing (expected an expression: floating-point operations per call)");
  else
    p.flops = r.expression(spec["flops"], "flops");
  if (!spec.contains("bytes"))
    r.error("bytes", "missing (expected an expression: compulsory bytes moved per call)");
  else
    p.bytes = r.expression(spec["bytes"], "bytes");

  if (!spec.contains("tolerance") || !spec["tolerance"].is_object()) {
    r.error("tolerance",
            "expected {\"kind\": \"bitwise\"} or {\"kind\": \"allclose\", \"atol\": a, \"rtol\": "
            "r, \"why\": \"...\"}");
  } else {
    const json& t = spec["tolerance"];
    std::string kind = r.string(t, "kind", "tolerance.kind");
    if (kind == "bitwise") {
      p.tolerance.kind = Tolerance::Kind::Bitwise;
    } else if (kind == "allclose") {
      p.tolerance.kind = Tolerance::Kind::AllClose;
      p.tolerance.atol = r.number(t, "atol", "tolerance.atol");
      p.tolerance.rtol = r.number(t, "rtol", "tolerance.rtol");
      if (p.tolerance.atol < 0) r.error("tolerance.atol", "expected a number >= 0");
      if (p.tolerance.rtol < 0) r.error("tolerance.rtol", "expected a number >= 0");
      p.tolerance.why = r.string(t, "why", "tolerance.why");
    } else if (!kind.empty()) {
      r.error("tolerance.kind", "expected \"bitwise\" or \"allclose\", got \"" + kind + "\"");
    }
  }
  p.referenceCpu = readKernelFile(r, spec, "reference", dir, true);
  p.baselineCpu = readKernelFile(r, spec, "baseline", dir, false);
  // The CUDA kernels are optional: a problem without them is CPU-only.
  if (spec.contains("reference") && spec["reference"].is_object() &&
      spec["reference"].contains("cuda"))
    p.referenceCuda = readBackendEntry(r, spec["reference"]["cuda"], "reference.cuda", dir);
  if (spec.contains("baseline") && spec["baseline"].is_object() &&
      spec["baseline"].contains("cuda"))
    p.baselineCuda = readBackendEntry(r, spec["baseline"]["cuda"], "baseline.cuda", dir);

  // Every expression must be computable in every shape set.
  if (r.errors().empty()) {
    for (const auto& ss : p.shapeSets) {
      try {
        ConcreteShapes c = resolveShapes(p, ss);
        for (const auto& t : c.inputs)
          if (t.elements <= 0) r.error("shape_sets." + ss.name, "input " + t.name + " is empty");
        for (const auto& t : c.outputs)
          if (t.elements <= 0) r.error("shape_sets." + ss.name, "output " + t.name + " is empty");
      } catch (const ProblemError& e) {
        for (const auto& msg : e.errors()) r.errors().push_back(msg);
      }
    }
  }
  if (!r.errors().empty()) throw ProblemError(r.errors());
  return p;
}

ConcreteShapes resolveShapes(const Problem& problem, const ShapeSet& shapeSet) {
  std::vector<std::string> errors;
  std::string prefix = problem.specFile.string() + ": shape_sets." + shapeSet.name + ": ";
  auto eval = [&](const std::string& expr, const std::string& what) -> int64_t {
    try {
      return evaluateExpression(expr, shapeSet.symbols);
    } catch (const ExpressionError& e) {
      errors.push_back(prefix + what + " " + e.what());
      return 0;
    }
  };
  ConcreteShapes c;
  auto concrete = [&](const TensorSpec& spec, const std::string& what) {
    ConcreteTensor t;
    t.name = spec.name;
    t.dtype = spec.dtype;
    t.elements = 1;
    for (size_t k = 0; k < spec.shape.size(); ++k) {
      int64_t d = eval(spec.shape[k], what + " " + spec.name + ".shape[" + std::to_string(k) + "]");
      if (d <= 0 && errors.empty())
        errors.push_back(prefix + what + " " + spec.name + " has dimension " + std::to_string(d));
      t.shape.push_back(d);
      t.elements *= std::max<int64_t>(d, 0);
    }
    t.bytes = t.elements * int64_t(dtypeSize(t.dtype));
    return t;
  };
  for (const auto& s : problem.inputs) c.inputs.push_back(concrete(s, "input"));
  for (const auto& s : problem.outputs) c.outputs.push_back(concrete(s, "output"));
  for (const auto& s : problem.scalars) c.scalars.push_back(eval(s.value, "scalar " + s.name));
  c.flops = double(eval(problem.flops, "flops"));
  c.bytes = double(eval(problem.bytes, "bytes"));
  for (const auto& s : problem.inputs) {
    if (!s.dist.lowExpr.empty()) eval(s.dist.lowExpr, "input " + s.name + " dist.low");
    if (!s.dist.highExpr.empty()) eval(s.dist.highExpr, "input " + s.name + " dist.high");
    if (!s.dist.totalExpr.empty()) eval(s.dist.totalExpr, "input " + s.name + " dist.total");
  }
  if (!errors.empty()) throw ProblemError(errors);
  return c;
}

}  // namespace kevo::problem

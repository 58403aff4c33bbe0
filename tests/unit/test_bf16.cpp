// The bf16 data type end to end: the dtype in problem specs, kevo_abi.h's conversions (round to
// nearest even, NaN stays NaN), input generation (the float draw, rounded), the output check
// (a correctly rounded output passes, a wrong one fails and is shown with its bits, a skipped
// element is named as the poison), the bf16 compute ceiling, and a bf16 kernel evaluated by the
// real protocol on the CPU.
#include <QtTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "TestSupport.h"
#include "abi/kevo_abi.h"
#include "eval/EvaluatorSetup.h"
#include "eval/OutputCheck.h"
#include "problem/InputGenerator.h"
#include "problem/ProblemLibrary.h"

using namespace kevo;

namespace {

float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

problem::ConcreteTensor bf16Tensor(int64_t n) {
  problem::ConcreteTensor t;
  t.name = "y";
  t.dtype = problem::DType::BF16;
  t.shape = {n};
  t.elements = n;
  t.bytes = 2 * n;
  return t;
}

problem::Tolerance allclose(double atol, double rtol) {
  problem::Tolerance tol;
  tol.kind = problem::Tolerance::Kind::AllClose;
  tol.atol = atol;
  tol.rtol = rtol;
  return tol;
}

}  // namespace

class Bf16Test : public QObject {
  Q_OBJECT

 private slots:
  void dtypeParses() {
    auto d = problem::parseDType("bf16");
    QVERIFY(d.has_value());
    QVERIFY(*d == problem::DType::BF16);
    QCOMPARE(problem::dtypeSize(*d), size_t(2));
    QVERIFY(problem::isFloating(*d));
    QCOMPARE(problem::abiDtypeCode(*d), int32_t(KEVO_BF16));
    QCOMPARE(QString(problem::dtypeName(*d)), QString("bf16"));
    QVERIFY(!problem::parseDType("bfloat16").has_value());
  }

  void everyBf16RoundTrips() {
    for (uint32_t h = 0; h <= 0xFFFF; ++h) {
      const float f = kevo_bf16_to_f32(uint16_t(h));
      uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      QCOMPARE(bits, h << 16);  // widening is the top half of the float, exactly
      if (std::isnan(f))
        QVERIFY(std::isnan(kevo_bf16_to_f32(kevo_f32_to_bf16(f))));
      else
        QCOMPARE(uint32_t(kevo_f32_to_bf16(f)), h);
    }
  }

  void roundsToNearestEven() {
    // 1 + 2^-8 lies halfway between 1 (0x3F80, even) and 1 + 2^-7 (0x3F81): ties go to even.
    QCOMPARE(kevo_f32_to_bf16(1.0f + 0x1p-8f), uint16_t(0x3F80));
    QCOMPARE(kevo_f32_to_bf16(1.0f + 3 * 0x1p-8f), uint16_t(0x3F82));  // 0x3F81 is odd
    QCOMPARE(kevo_f32_to_bf16(-(1.0f + 0x1p-8f)), uint16_t(0xBF80));
    QCOMPARE(kevo_f32_to_bf16(std::nextafter(1.0f + 0x1p-8f, 2.0f)), uint16_t(0x3F81));
    QCOMPARE(kevo_f32_to_bf16(std::nextafter(1.0f + 0x1p-8f, 0.0f)), uint16_t(0x3F80));
    QCOMPARE(kevo_f32_to_bf16(0.1f), uint16_t(0x3DCD));  // 0x3DCCCCCD rounds up
    // Overflow goes to Inf; the largest float below the tie stays finite.
    QCOMPARE(kevo_f32_to_bf16(std::numeric_limits<float>::max()), uint16_t(0x7F80));
    QCOMPARE(kevo_f32_to_bf16(fromBits(0x7F7F7FFF)), uint16_t(0x7F7F));
    QCOMPARE(kevo_f32_to_bf16(-std::numeric_limits<float>::infinity()), uint16_t(0xFF80));
    // Subnormals round like everything else.
    QCOMPARE(kevo_f32_to_bf16(fromBits(0x00018000)), uint16_t(0x0002));  // tie, 0x0001 odd
    QCOMPARE(kevo_f32_to_bf16(fromBits(0x00008000)), uint16_t(0x0000));  // tie, 0x0000 even
  }

  void nanStaysNan() {
    // A NaN whose payload sits only in the low half must not become Inf when truncated.
    for (uint32_t bits : {0x7FC00000u, 0x7F800001u, 0xFF800001u, 0x7FFFFFFFu, 0x7FA00000u}) {
      const uint16_t h = kevo_f32_to_bf16(fromBits(bits));
      QVERIFY2(std::isnan(kevo_bf16_to_f32(h)), qPrintable(QString::number(bits, 16)));
      QCOMPARE(h & 0x8000, int((bits >> 16) & 0x8000));  // sign kept
    }
  }

  void inputsAreTheRoundedFloatDraw() {
    problem::TensorSpec spec;
    spec.name = "x";
    spec.dist.kind = "normal";
    spec.dist.mean = 1;
    spec.dist.stddev = 2;
    problem::ConcreteTensor t;
    t.name = "x";
    t.dtype = problem::DType::BF16;
    t.shape = {3 << 20};
    t.elements = t.shape[0];
    t.bytes = 2 * t.elements;
    problem::ConcreteTensor tf = t;
    tf.dtype = problem::DType::F32;
    tf.bytes = 4 * t.elements;
    std::vector<uint16_t> h(size_t(t.elements));
    std::vector<float> f(size_t(t.elements));
    spec.dtype = problem::DType::BF16;
    problem::generateInput(spec, t, {}, 77, h.data());
    spec.dtype = problem::DType::F32;
    problem::generateInput(spec, tf, {}, 77, f.data());
    double sum = 0, sq = 0;
    for (size_t i = 0; i < h.size(); ++i) {
      // Several generator chunks: each bf16 is its float draw rounded to nearest even.
      if (h[i] != kevo_f32_to_bf16(f[i])) QFAIL(qPrintable(QString("element %1").arg(i)));
      const double v = kevo_bf16_to_f32(h[i]);
      sum += v;
      sq += v * v;
    }
    const double mean = sum / double(h.size());
    const double sd = std::sqrt(sq / double(h.size()) - mean * mean);
    QVERIFY2(std::fabs(mean - 1) < 0.01, qPrintable(QString::number(mean)));
    QVERIFY2(std::fabs(sd - 2) < 0.01, qPrintable(QString::number(sd)));

    // uniform stays in range; sorted stays strictly increasing after rounding.
    spec.dtype = problem::DType::BF16;
    spec.dist.kind = "uniform";
    spec.dist.low = 0.5;
    spec.dist.high = 1.5;
    problem::generateInput(spec, t, {}, 5, h.data());
    for (uint16_t v : h) QVERIFY(kevo_bf16_to_f32(v) >= 0.5f && kevo_bf16_to_f32(v) <= 1.5f);
    spec.dist.kind = "sorted";
    spec.dist.low = -1;
    spec.dist.high = 1;
    problem::ConcreteTensor ts = bf16Tensor(600);  // more points than bf16 values near 0.9
    std::vector<uint16_t> s(600);
    problem::generateInput(spec, ts, {}, 9, s.data());
    for (size_t i = 1; i < s.size(); ++i)
      QVERIFY2(kevo_bf16_to_f32(s[i]) > kevo_bf16_to_f32(s[i - 1]), qPrintable(QString::number(i)));
  }

  void correctlyRoundedOutputPasses() {
    // A candidate that computes in fp32 and rounds once differs from the reference by at most
    // one bf16 ulp (2^-7 relative): inside rtol 1e-2.
    const int64_t n = 4096;
    auto t = bf16Tensor(n);
    std::vector<uint16_t> expected(n), got(n);
    for (int64_t i = 0; i < n; ++i) {
      const double v = std::sin(0.37 * double(i)) * 3.0;
      expected[size_t(i)] = kevo_f32_to_bf16(float(v));
      got[size_t(i)] = kevo_f32_to_bf16(float(v * (1 + 1e-6)));  // a slightly different fp32 value
    }
    got[17] = uint16_t(expected[17] + 1);  // one ulp off: a rounding boundary crossed
    auto m = eval::compareOutput(t, got.data(), expected.data(), allclose(1e-4, 1e-2),
                                 eval::PoisonPattern::A);
    QVERIFY2(!m, m ? m->describe().c_str() : "");
  }

  void wrongOutputFailsAndIsShownReadably() {
    const int64_t n = 1000;
    auto t = bf16Tensor(n);
    std::vector<uint16_t> expected(n), got(n);
    for (int64_t i = 0; i < n; ++i) expected[size_t(i)] = got[size_t(i)] = kevo_f32_to_bf16(1.5f);
    got[123] = kevo_f32_to_bf16(1.5f * 1.05f);  // 5% off
    auto m = eval::compareOutput(t, got.data(), expected.data(), allclose(1e-4, 1e-2),
                                 eval::PoisonPattern::A);
    QVERIFY(m.has_value());
    QCOMPARE(m->index, int64_t(123));
    QCOMPARE(m->badCount, int64_t(1));
    QVERIFY(!m->stillPoisoned);
    const QString d = QString::fromStdString(m->describe());
    QVERIFY2(d.contains("y[123] = 1.57812 (bf16 0x3fca), expected 1.5 (bf16 0x3fc0)"),
             qPrintable(d));
    // The same outputs compared bitwise.
    problem::Tolerance bitwise;
    auto b = eval::compareOutput(t, got.data(), expected.data(), bitwise, eval::PoisonPattern::B);
    QVERIFY(b.has_value());
    QCOMPARE(b->index, int64_t(123));
  }

  void skippedElementIsThePoison() {
    const int64_t n = 777;
    auto t = bf16Tensor(n);
    std::vector<uint16_t> expected(n);
    for (int64_t i = 0; i < n; ++i) expected[size_t(i)] = kevo_f32_to_bf16(float(i % 13) - 6.0f);
    for (auto pattern : {eval::PoisonPattern::A, eval::PoisonPattern::B}) {
      std::vector<uint16_t> got(n, 0x1234);
      eval::poisonOutput(t, got.data(), pattern);
      for (uint16_t v : got) QCOMPARE(v, got[0]);  // every element poisoned, 2 bytes each
      // A is a NaN, B a huge finite value: neither can be a correct output here.
      QCOMPARE(std::isnan(kevo_bf16_to_f32(got[0])), pattern == eval::PoisonPattern::A);
      if (pattern == eval::PoisonPattern::B) QVERIFY(kevo_bf16_to_f32(got[0]) > 1e15f);
      for (int64_t i = 0; i < n; ++i)
        if (i != 500) got[size_t(i)] = expected[size_t(i)];  // the kernel skips element 500
      auto m = eval::compareOutput(t, got.data(), expected.data(), allclose(1e-4, 1e-2), pattern);
      QVERIFY(m.has_value());
      QCOMPARE(m->index, int64_t(500));
      QVERIFY(m->stillPoisoned);
      QVERIFY2(QString::fromStdString(m->describe()).contains("never wrote"),
               m->describe().c_str());
    }
  }

  void bf16ProblemsUseTheBf16Ceiling() {
    profile::Ceilings c{3000, 10000, 50};
    c.tensorGflops = 800;
    auto gemm = problem::loadProblem(problem::resolveProblemDir("gemm_bf16"));
    auto fp32 = problem::loadProblem(problem::resolveProblemDir("gemm_square"));
    QCOMPARE(eval::ceilingsForProblem(c, gemm).peakGflops, 800.0);
    QCOMPARE(eval::ceilingsForProblem(c, fp32).peakGflops, 50.0);
    c.tensorGflops = 0;  // unknown: the FMA peak stays
    QCOMPARE(eval::ceilingsForProblem(c, gemm).peakGflops, 50.0);
    // 69 GFLOP in 0.15 ms is possible on an 800 TFLOP/s tensor-core roof, not on a 50 one.
    auto shapes = problem::resolveShapes(gemm, *gemm.findShapeSet("training"));
    c.peakGflops = 50e3;
    c.tensorGflops = 800e3;
    auto r = profile::analyzeRoofline(shapes.flops, shapes.bytes, 150e-6,
                                      eval::ceilingsForProblem(c, gemm), true);
    QVERIFY(r.floorSeconds < 150e-6);
    QVERIFY(profile::analyzeRoofline(shapes.flops, shapes.bytes, 150e-6, c, true).floorSeconds >
            1e-3);
  }

  // The protocol on a bf16 problem: a kernel that leaves its last element unwritten is caught
  // by the poison; the same kernel writing everything passes.
  void evaluatorCatchesASkippedBf16Element() {
    QTemporaryDir cache;
    eval::Evaluator evaluator(test::testEvaluatorConfig(cache));
    auto p = problem::loadProblem(problem::resolveProblemDir("rmsnorm_bf16"));
    const std::string kernel = R"(#include <cmath>
#include "kevo_abi.h"
extern "C" int kevo_kernel(const kevo_tensor* in, int32_t, kevo_tensor* out, int32_t,
                           const kevo_scalar*, int32_t, void*) {
  const uint16_t* x = static_cast<const uint16_t*>(in[0].data);
  const uint16_t* g = static_cast<const uint16_t*>(in[1].data);
  uint16_t* y = static_cast<uint16_t*>(out[0].data);
  const int64_t rows = in[0].shape[0], n = in[0].shape[1];
  for (int64_t b = 0; b < rows; ++b) {
    float sq = 0;
    for (int64_t i = 0; i < n; ++i) sq += kevo_bf16_to_f32(x[b * n + i]) * kevo_bf16_to_f32(x[b * n + i]);
    const float r = 1.0f / std::sqrt(sq / n + 1e-6f);
    for (int64_t i = 0; i < n; ++i)
      if (SKIP == 0 || b * n + i != rows * n - 1)
        y[b * n + i] = kevo_f32_to_bf16(kevo_bf16_to_f32(x[b * n + i]) * r * kevo_bf16_to_f32(g[i]));
  }
  return 0;
}
)";
    eval::EvalOptions o = test::quickOptions();
    o.timing = false;
    auto good = evaluator.evaluate(p, "#define SKIP 0\n" + kernel, "good.cpp", o);
    QVERIFY2(good.verdict == eval::Verdict::Ok, good.detail.c_str());
    auto bad = evaluator.evaluate(p, "#define SKIP 1\n" + kernel, "skips_last.cpp", o);
    QCOMPARE(QString(eval::verdictName(bad.verdict)), QString("wrong_answer"));
    QVERIFY(!bad.shapeSets.empty() && bad.shapeSets[0].mismatch.has_value());
    QVERIFY(bad.shapeSets[0].mismatch->stillPoisoned);
    QVERIFY2(QString::fromStdString(bad.detail).contains("(bf16 0x"), bad.detail.c_str());
  }
};

QTEST_APPLESS_MAIN(Bf16Test)
#include "test_bf16.moc"

// The CUDA backend without a GPU: launch plans parse and resolve (and bad ones are refused with
// their line), NVRTC/nvcc diagnostics become records, and, where a CUDA toolkit is installed,
// every bundled CUDA kernel (each problem's reference and baseline, every CUDA recipe at its
// defaults) builds with NVRTC and with nvcc, and a broken one reports its line. Running them
// needs a GPU: bench/gpu/run.sh does that on the device machine; here those tests skip.
#include <QtTest>

#include <fstream>
#include <sstream>

#include "backend/CudaCompiler.h"
#include "backend/CudaToolkit.h"
#include "backend/LaunchPlan.h"
#include "backend/ResourceUsage.h"
#include "gpu/HarnessKernelsPtx.h"
#include "problem/ProblemLibrary.h"
#include "profile/NcuReport.h"
#include "profile/SanitizerReport.h"
#include "search/NodeEvaluator.h"
#include "synth/Recipe.h"

using namespace kevo;
namespace fs = std::filesystem;

class CudaBackendTest : public QObject {
  Q_OBJECT

  bool haveToolkit() {
    if (!backend::findCudaToolkit()) return false;
    try {
      backend::Nvrtc::instance();
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

 private slots:
  void initTestCase() { QVERIFY(cache_.isValid()); }

  void launchPlanResolvesWithShapesAndDefines() {
    auto plan = backend::parseLaunchPlan(
        "#define BLOCK 128\n#define ROWS 4\n"
        "// kevo-launch: first grid(cdiv(B, ROWS), 2) block(BLOCK) smem(ROWS * N * 4)\n"
        "// kevo-scratch: B * 8\n"
        "// kevo-launch: second grid(1) block(32, 4)\n");
    QCOMPARE(plan.launches.size(), size_t(2));
    auto r = backend::resolveLaunchPlan(plan, {{"B", 1001}, {"N", 64}});
    QCOMPARE(r.launches[0].grid[0], int64_t(251));
    QCOMPARE(r.launches[0].grid[1], int64_t(2));
    QCOMPARE(r.launches[0].block[0], int64_t(128));
    QCOMPARE(r.launches[0].smemBytes, int64_t(4 * 64 * 4));
    QCOMPARE(r.launches[1].block[1], int64_t(4));
    QCOMPARE(r.scratchBytes, int64_t(8008));
  }

  void badLaunchLinesNameTheirLine() {
    auto lineOf = [](const std::string& src) {
      try {
        backend::resolveLaunchPlan(backend::parseLaunchPlan(src), {{"N", 10}});
      } catch (const backend::LaunchPlanError& e) {
        return std::string(e.what());
      }
      return std::string("accepted");
    };
    QVERIFY(lineOf("\n// kevo-launch: k grid(N) blok(32)\n").rfind("line 2:", 0) == 0);
    QVERIFY(lineOf("// kevo-launch: k grid(N block(32)\n").find("unbalanced") != std::string::npos);
    QVERIFY(lineOf("// kevo-launch: k grid(M) block(32)\n").find("unknown symbol 'M'") !=
            std::string::npos);
    QVERIFY(lineOf("// kevo-launch: k grid(N) block(2048)\n").find("at most 1024") !=
            std::string::npos);
    QVERIFY(lineOf("// kevo-launch: k grid(N - 10) block(32)\n").find("must be 1..") !=
            std::string::npos);
    QVERIFY(lineOf("// kevo-scratch: 64\n").find("without any kevo-launch") != std::string::npos);
  }

  void nvccDiagnosticsBecomeRecords() {
    auto d = backend::parseNvccDiagnostics(
        "kernel.cu(12): error: identifier \"zz\" is undefined\n"
        "kernel.cu(3): warning #177-D: variable \"x\" was declared but never referenced\n"
        "ptxas error   : Entry function 'k' uses too much shared data (0x20000 bytes)\n");
    QCOMPARE(d.size(), size_t(3));
    QCOMPARE(d[0].line, 12);
    QCOMPARE(QString::fromStdString(d[0].severity), QString("error"));
    QCOMPARE(QString::fromStdString(d[1].severity), QString("warning"));
    QCOMPARE(QString::fromStdString(d[2].file), QString("ptxas"));
  }

  void ptxasReportBecomesResources() {
    auto r = backend::parsePtxasResources(
        "ptxas info    : 0 bytes gmem\n"
        "ptxas info    : Compiling entry function 'sgemm' for 'sm_90a'\n"
        "ptxas info    : Function properties for sgemm\n"
        "ptxas         .     16 bytes stack frame, 16 bytes spill stores, 12 bytes spill loads\n"
        "ptxas info    : Used 168 registers, used 1 barriers, 8192 bytes smem\n"
        "ptxas info    : Compiling entry function 'tail' for 'sm_90a'\n"
        "ptxas info    : Function properties for tail\n"
        "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
        "ptxas info    : Used 24 registers\n");
    QCOMPARE(r.size(), size_t(2));
    QCOMPARE(r[0].registers, 168);
    QCOMPARE(r[0].spillStoreBytes, int64_t(16));
    QCOMPARE(r[0].spillLoadBytes, int64_t(12));
    QCOMPARE(r[0].staticSharedBytes, int64_t(8192));
    QCOMPARE(r[0].barriers, 1);
    QVERIFY(r[0].describe().find("16 B spill stores") != std::string::npos);
    QCOMPARE(r[1].registers, 24);
    QVERIFY(r[1].describe().find("no spills") != std::string::npos);
  }

  void nodeSummaryCarriesResourcesAndNamesSpills() {
    eval::EvaluationResult r;
    r.verdict = eval::Verdict::Ok;
    r.build.ok = true;
    r.build.artifact = "cubin";
    r.build.log =
        "ptxas info    : Compiling entry function 'k' for 'sm_90a'\n"
        "ptxas info    : Function properties for k\n"
        "ptxas         .     8 bytes stack frame, 8 bytes spill stores, 8 bytes spill loads\n"
        "ptxas info    : Used 255 registers\n";
    eval::ShapeSetResult s;
    s.name = "training";
    s.verdict = eval::Verdict::Ok;
    s.speedup = 1.5;
    s.roofline.explanation = "Memory-bound.";
    r.shapeSets.push_back(s);
    auto o = search::outcomeFromResult(r);
    const auto& t = o.summary.at("training");
    QCOMPARE(t.at("kernel_resources").size(), size_t(1));
    QVERIFY(t.at("kernel_resources")[0].get<std::string>().find("255 registers") !=
            std::string::npos);
    QVERIFY(t.at("explanation").get<std::string>().find("k spills registers") != std::string::npos);
  }

  void everyBundledCudaKernelBuilds_data() {
    QTest::addColumn<QString>("label");
    QTest::addColumn<QString>("source");
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QStringList>("libs");
    for (const auto& dir : problem::bundledProblemDirs()) {
      auto p = problem::loadProblem(dir);
      for (const auto* k : {&p.referenceCuda, &p.baselineCuda}) {
        if (!*k) continue;
        QStringList libs;
        for (const auto& l : (*k)->libs) libs << QString::fromStdString(l);
        std::ifstream in((*k)->source);
        std::stringstream s;
        s << in.rdbuf();
        QTest::newRow((p.id + "/" + (*k)->source.filename().string()).c_str())
            << QString::fromStdString((*k)->source.filename().string())
            << QString::fromStdString(s.str()) << QStringList() << libs;
      }
    }
    auto library =
        synth::loadRecipeLibrary(fs::path(KEVO_SOURCE_DIR) / "knowledge" / "recipes" / "cuda");
    for (const auto& e : library.errors) qWarning("recipe error: %s", e.c_str());
    for (const auto& r : library.recipes) {
      QStringList flags;
      for (const auto& f : r.flags) flags << QString::fromStdString(f);
      QTest::newRow(("recipe " + r.name).c_str())
          << QString("kernel.cu") << QString::fromStdString(r.materialize(r.defaults())) << flags
          << QStringList();
    }
  }

  void everyBundledCudaKernelBuilds() {
    if (!haveToolkit())
      QSKIP("no CUDA toolkit (nvcc + NVRTC) on this machine: compile checks skipped");
    QFETCH(QString, label);
    QFETCH(QString, source);
    QFETCH(QStringList, flags);
    QFETCH(QStringList, libs);
    backend::BuildRequest r;
    r.source = source.toStdString();
    r.sourceName = label.toStdString();
    for (const auto& f : flags) r.extraFlags.push_back(f.toStdString());
    for (const auto& l : libs) r.libs.push_back(l.toStdString());
    backend::CudaCompiler nvrtc(cache_.path().toStdString(), "sm_90a");
    auto a = nvrtc.build(r);
    QVERIFY2(a.ok, a.log.c_str());
    // Every build carries ptxas's resource report, one entry per kernel at least.
    if (a.artifact == "cubin") {
      auto resources = backend::parsePtxasResources(a.log);
      QVERIFY2(!resources.empty() && resources.front().registers > 0, a.log.c_str());
    }
    if (backend::parseLaunchPlan(r.source).isLaunchPlanForm()) {
      QCOMPARE(QString::fromStdString(a.artifact), QString("cubin"));
      backend::CudaCompiler nvcc(cache_.path().toStdString(), "sm_90a", true);
      auto b = nvcc.build(r);
      QVERIFY2(b.ok, b.log.c_str());
      QVERIFY(a.key != b.key);
    } else {
      QCOMPARE(QString::fromStdString(a.artifact), QString("shared_library"));
    }
  }

  // The worker's own kernels (the cold-set L2 flush, the 64-bit poison fill) are PTX the driver
  // compiles at run time: they must assemble for the oldest GPU this toolkit targets (sm_75)
  // and for Hopper, and the flush may only read (one store, never taken: a flush that writes
  // leaves dirty lines whose write-back lands in the timed call).
  void harnessKernelsAssembleAndTheFlushOnlyReads() {
    std::string ptx = gpu::kHarnessKernelsPtx;
    size_t flushAt = ptx.find(std::string(".entry ") + gpu::kL2FlushKernelName);
    size_t fillAt = ptx.find(std::string(".entry ") + gpu::kFill64KernelName);
    QVERIFY(flushAt != std::string::npos && fillAt != std::string::npos && flushAt < fillAt);
    std::string flush = ptx.substr(flushAt, fillAt - flushAt);
    int stores = 0;
    for (size_t at = flush.find("st.global"); at != std::string::npos;
         at = flush.find("st.global", at + 1))
      ++stores;
    QCOMPARE(stores, 1);
    QVERIFY(flush.find("ld.global.nc.v4.u32") != std::string::npos);
    QVERIFY(ptx.find("st.global.u64", fillAt) != std::string::npos);
    auto toolkit = backend::findCudaToolkit();
    if (!toolkit || !fs::exists(toolkit->home / "bin" / "ptxas"))
      QSKIP("no ptxas on this machine: the harness kernels' assembly is not checked");
    fs::path file = fs::path(cache_.path().toStdString()) / "harness_kernels.ptx";
    std::ofstream(file) << ptx;
    for (const char* arch : {"sm_75", "sm_90a"}) {
      std::string command = (toolkit->home / "bin" / "ptxas").string() + " -arch=" + arch + " " +
                            file.string() + " -o " + file.string() + ".cubin 2>&1";
      QVERIFY2(std::system(command.c_str()) == 0, (command + " failed").c_str());
    }
  }

  // What Nsight Compute 2025.3 wrote (--csv --page raw) for the naive add_relu on an H100,
  // kept as a fixture: the profile view's numbers and diagnosis come from it.
  void ncuCsvBecomesAKernelProfile() {
    std::ifstream in(std::string(KEVO_TEST_FIXTURES_DIR) + "/ncu/add_relu_naive.csv");
    std::stringstream text;
    text << in.rdbuf();
    auto kernels = profile::parseNcuCsv(text.str());
    QCOMPARE(int(kernels.size()), 1);
    const auto& k = kernels[0];
    QCOMPARE(QString::fromStdString(k.name), QString("add_relu_naive"));
    QCOMPARE(QString::fromStdString(k.block), QString("(256, 1, 1)"));
    QVERIFY(k.durationSeconds && std::abs(*k.durationSeconds - 74976e-9) < 1e-9);
    QVERIFY(k.memorySolPct && std::abs(*k.memorySolPct - 76.10) < 1e-6);
    QVERIFY(k.computeSolPct && std::abs(*k.computeSolPct - 27.56) < 1e-6);
    QVERIFY(k.dramPct && std::abs(*k.dramPct - 76.10) < 1e-6);
    QVERIFY(k.achievedOccupancyPct && std::abs(*k.achievedOccupancyPct - 75.66) < 1e-6);
    QVERIFY(k.theoreticalOccupancyPct && *k.theoreticalOccupancyPct == 100);
    QVERIFY(k.registersPerThread && *k.registersPerThread == 16);
    QVERIFY(k.sharedBytesPerBlock && *k.sharedBytesPerBlock == 0);
    QVERIFY(!k.stalls.empty());
    QCOMPARE(QString::fromStdString(k.stalls[0].first), QString("long_scoreboard"));
    QVERIFY(std::abs(k.stalls[0].second - 34.69) < 1e-6);
    for (const auto& [reason, cycles] : k.stalls) {
      QVERIFY(reason != "selected");
      QVERIFY(cycles <= k.stalls[0].second);
    }
    QVERIFY(k.diagnosis.find("Memory-bound") != std::string::npos);
    QVERIFY(k.diagnosis.find("long_scoreboard") != std::string::npos);
    auto j = k.toJson();
    QCOMPARE(j["stalls"][0]["reason"].get<std::string>(), std::string("long_scoreboard"));
  }

  // ncu's own errors reach the user word for word.
  void ncuFailureIsQuoted() {
    std::ifstream in(std::string(KEVO_TEST_FIXTURES_DIR) + "/ncu/failed_prepare.txt");
    std::stringstream text;
    text << in.rdbuf();
    try {
      profile::parseNcuCsv(text.str());
      QFAIL("an ncu log without a table was accepted");
    } catch (const std::runtime_error& e) {
      QVERIFY2(
          std::string(e.what()).find("Failed to prepare kernel for profiling") != std::string::npos,
          e.what());
    }
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, profile::parseNcuCsv(""));
  }

  // compute-sanitizer's log (the format of 2025.x): the summary's count and the first errors
  // with where they happened; the host backtrace (the harness's frames) is left out.
  void sanitizerLogBecomesAReport() {
    const std::string dirty =
        "========= COMPUTE-SANITIZER\n"
        "========= Invalid __global__ write of size 4 bytes\n"
        "=========     at wild+0x90\n"
        "=========     by thread (3,0,0) in block (0,0,0)\n"
        "=========     Address 0x7f0000000000 is out of bounds\n"
        "=========     Saved host backtrace up to driver entry point at kernel launch time\n"
        "=========         Host Frame: cuLaunchKernel [0x2f2b] in libcuda.so.1\n"
        "=========\n"
        "========= Invalid __global__ write of size 4 bytes\n"
        "=========     at wild+0x90\n"
        "========= ERROR SUMMARY: 32 errors\n";
    auto r = profile::parseSanitizerLog("memcheck", dirty);
    QCOMPARE(r.errorCount, 32);
    QVERIFY(!r.clean());
    QCOMPARE(int(r.errors.size()), 2);
    QCOMPARE(QString::fromStdString(r.errors[0].what),
             QString("Invalid __global__ write of size 4 bytes"));
    QCOMPARE(int(r.errors[0].details.size()), 3);
    QCOMPARE(QString::fromStdString(r.errors[0].details[1]),
             QString("by thread (3,0,0) in block (0,0,0)"));
    // racecheck ends with its own summary (as compute-sanitizer 2025.3 printed on the H100).
    auto clean = profile::parseSanitizerLog(
        "racecheck",
        "========= COMPUTE-SANITIZER\n========= RACECHECK SUMMARY: 0 hazards displayed (0 "
        "errors, 0 warnings)\n");
    QVERIFY(clean.clean());
    QVERIFY(clean.errors.empty());
    auto race = profile::parseSanitizerLog(
        "racecheck",
        "========= COMPUTE-SANITIZER\n"
        "========= Error: Race reported between Write access at add_relu_racy+0x260 in "
        "kernel.cu:18\n"
        "=========     and Read access at add_relu_racy+0x2e0 in kernel.cu:21 [262144 hazards]\n"
        "========= \n"
        "========= RACECHECK SUMMARY: 1 hazard displayed (1 error, 0 warnings)\n");
    QCOMPARE(race.errorCount, 1);
    QCOMPARE(int(race.errors.size()), 1);
    QVERIFY(race.errors[0].what.find("Race reported") != std::string::npos);
    QCOMPARE(int(race.errors[0].details.size()), 1);
    // No summary: the sanitizer itself failed, and its last words are quoted.
    try {
      profile::parseSanitizerLog("initcheck", "========= Error: Target application terminated\n");
      QFAIL("a log without a summary was accepted");
    } catch (const std::runtime_error& e) {
      QVERIFY(std::string(e.what()).find("Target application terminated") != std::string::npos);
    }
  }

  void brokenKernelReportsItsLineAndIsCached() {
    if (!haveToolkit()) QSKIP("no CUDA toolkit (nvcc + NVRTC) on this machine");
    backend::BuildRequest r;
    r.source =
        "#include \"kevo_cuda.h\"\n// kevo-launch: k grid(1) block(32)\n"
        "extern \"C\" __global__ void k(kevo_cuda_args a) {\n  undefined_thing = 1;\n}\n";
    r.sourceName = "kernel.cu";
    backend::CudaCompiler c(cache_.path().toStdString(), "sm_90a");
    auto first = c.build(r);
    QVERIFY(!first.ok);
    bool found = false;
    for (const auto& d : first.diagnostics) found |= d.line == 4 && d.severity == "error";
    QVERIFY2(found, first.log.c_str());
    auto second = c.build(r);
    QVERIFY(second.cacheHit);
    QVERIFY(!second.ok);
  }

  void badLaunchLineIsACompileErrorAtItsLine() {
    backend::BuildRequest r;
    r.source = "// kevo-launch: k grid(1) block(32) smem(\n";
    r.sourceName = "kernel.cu";
    backend::CudaCompiler c(cache_.path().toStdString(), "sm_90a");
    auto b = c.build(r);
    QVERIFY(!b.ok);
    QCOMPARE(b.diagnostics.size(), size_t(1));
    QCOMPARE(b.diagnostics[0].line, 1);
  }

 private:
  QTemporaryDir cache_;
};

QTEST_GUILESS_MAIN(CudaBackendTest)
#include "test_cuda_backend.moc"

// The CPU build cache: a hit for the same source and flags, a miss when either changes, compile
// errors parsed into records and cached too, refused flags.
#include <QtTest>

#include "TestSupport.h"
#include "backend/CpuCompiler.h"

using namespace kevo;

class BuildCacheTest : public QObject {
  Q_OBJECT

 private slots:
  void hitAndMiss() {
    QTemporaryDir cache;
    backend::CpuCompiler compiler(cache.path().toStdString());
    backend::BuildRequest r;
    r.source = test::readFile(std::string(KEVO_TEST_KERNELS_DIR) + "/good.cpp");
    auto first = compiler.build(r);
    QVERIFY2(first.ok, first.log.c_str());
    QVERIFY(!first.cacheHit);
    QVERIFY(first.compileSeconds > 0);
    QVERIFY(std::filesystem::exists(first.library));

    auto second = compiler.build(r);
    QVERIFY(second.ok && second.cacheHit);
    QCOMPARE(second.key, first.key);
    QCOMPARE(second.library, first.library);

    r.extraFlags = {"-funroll-loops"};
    auto flagged = compiler.build(r);
    QVERIFY(flagged.ok && !flagged.cacheHit);
    QVERIFY(flagged.key != first.key);

    r.extraFlags.clear();
    r.source += "\n// a comment changes the content hash\n";
    auto edited = compiler.build(r);
    QVERIFY(!edited.cacheHit);
    QVERIFY(edited.key != first.key);
  }

  void compileErrorsAreRecordsAndCached() {
    QTemporaryDir cache;
    backend::CpuCompiler compiler(cache.path().toStdString());
    backend::BuildRequest r;
    r.source = test::readFile(std::string(KEVO_TEST_KERNELS_DIR) + "/compile_error.cpp");
    auto first = compiler.build(r);
    QVERIFY(!first.ok);
    QVERIFY(!first.diagnostics.empty());
    const auto& d = first.diagnostics.front();
    QCOMPARE(d.file, std::string("kernel.cpp"));
    QCOMPARE(d.line, 6);
    QVERIFY(d.column > 0);
    QCOMPARE(d.severity, std::string("error"));
    QVERIFY(QString::fromStdString(d.message).contains("undefined_variable"));
    auto second = compiler.build(r);
    QVERIFY(!second.ok && second.cacheHit);
    QCOMPARE(second.diagnostics.size(), first.diagnostics.size());
  }

  void refusedFlags() {
    QTemporaryDir cache;
    backend::CpuCompiler compiler(cache.path().toStdString());
    backend::BuildRequest r;
    r.source = "int x;";
    for (const char* f : {"-o/tmp/x", "-fplugin=evil.so", "-lopenblas", "-Wl,-rpath,/x", "@args"}) {
      r.extraFlags = {f};
      QVERIFY_THROWS_EXCEPTION(std::invalid_argument, compiler.build(r));
    }
  }

  void diagnosticParser() {
    auto d = backend::parseGccDiagnostics(
        "kernel.cpp: In function 'int f()':\n"
        "kernel.cpp:12:5: error: 'x' was not declared in this scope\n"
        "   12 |     x = 1;\n"
        "kernel.cpp:3:1: warning: unused [-Wunused]\n"
        "ld: something else\n");
    QCOMPARE(int(d.size()), 2);
    QCOMPARE(d[0].line, 12);
    QCOMPARE(d[0].column, 5);
    QCOMPARE(d[1].severity, std::string("warning"));
  }
};

QTEST_APPLESS_MAIN(BuildCacheTest)
#include "test_build_cache.moc"

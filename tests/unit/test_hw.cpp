// Unit tests for hw/: static description, JSON round trip and errors, the per-machine cache
// (corrupt, foreign and valid files, forced re-probe) and the plausibility of measured ceilings.
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "hw/HardwareInfo.h"
#include "hw/HardwareProbe.h"

using namespace kevo::hw;
namespace fs = std::filesystem;

namespace {

QString q(const std::string& s) {
  return QString::fromStdString(s);
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// The message of the exception hardwareFromJson throws, or "" when it does not throw.
std::string parseError(const nlohmann::json& j) {
  try {
    hardwareFromJson(j);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

// Sets an environment variable for one scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

void compareInfo(const HardwareInfo& a, const HardwareInfo& b) {
  QCOMPARE(q(a.machineKey), q(b.machineKey));
  QCOMPARE(q(a.cpuModel), q(b.cpuModel));
  QCOMPARE(a.logicalCores, b.logicalCores);
  QCOMPARE(a.physicalCores, b.physicalCores);
  QCOMPARE(a.isa.size(), b.isa.size());
  for (size_t i = 0; i < a.isa.size(); ++i) QCOMPARE(q(a.isa[i]), q(b.isa[i]));
  QCOMPARE(a.caches.size(), b.caches.size());
  for (size_t i = 0; i < a.caches.size(); ++i) {
    QCOMPARE(a.caches[i].level, b.caches[i].level);
    QCOMPARE(q(a.caches[i].type), q(b.caches[i].type));
    QCOMPARE(a.caches[i].sizeBytes, b.caches[i].sizeBytes);
    QCOMPARE(a.caches[i].sharedByCpus, b.caches[i].sharedByCpus);
    QCOMPARE(a.caches[i].instances, b.caches[i].instances);
  }
  QCOMPARE(a.llcBytes, b.llcBytes);
  // Exact: the JSON writer prints doubles with enough digits to round-trip.
  QCOMPARE(a.dramBandwidthGBs, b.dramBandwidthGBs);
  QCOMPARE(a.dramReadBandwidthGBs, b.dramReadBandwidthGBs);
  QCOMPARE(a.cacheBandwidthGBs, b.cacheBandwidthGBs);
  QCOMPARE(a.peakGflops, b.peakGflops);
  QCOMPARE(a.peakGflopsSingleCore, b.peakGflopsSingleCore);
  QCOMPARE(q(a.peakIsa), q(b.peakIsa));
  QCOMPARE(q(a.probedAt), q(b.probedAt));
  QCOMPARE(a.probeSeconds, b.probeSeconds);
}

HardwareInfo roundTrip(const HardwareInfo& info) {
  return hardwareFromJson(nlohmann::json::parse(toJson(info).dump(2)));
}

}  // namespace

class TestHw : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    m_cacheDir = fs::path(m_dir.path().toStdString()) / "cache";  // not yet created
    m_file = hardwareCacheFile(m_cacheDir, describeHardware().machineKey);
  }

  void describeFindsModelCoresAndLlc() {
    QElapsedTimer timer;
    timer.start();
    HardwareInfo info = describeHardware();
    QVERIFY2(timer.elapsed() < 2000, "describeHardware must not measure");
    QVERIFY(!info.cpuModel.empty());
    QVERIFY(!info.machineKey.empty());
    QVERIFY(info.machineKey.find(info.cpuModel) != std::string::npos);
    QVERIFY(info.logicalCores >= 1);
    QVERIFY(info.physicalCores >= 1);
    QVERIFY(info.physicalCores <= info.logicalCores);
    QVERIFY(!info.caches.empty());
    QVERIFY(info.llcBytes > 0);
    for (const CacheLevel& c : info.caches) {
      QVERIFY(c.level >= 1);
      QVERIFY(c.sizeBytes > 0);
      QVERIFY(c.sizeBytes <= info.llcBytes || c.type == "Instruction");
      QVERIFY(c.type == "Data" || c.type == "Instruction" || c.type == "Unified");
    }
    QVERIFY(!info.isProbed());
    QVERIFY(info.probedAt.empty());
    // Stable: a second call describes the same machine.
    QCOMPARE(q(describeHardware().machineKey), q(info.machineKey));
    // The cache file name is a plain file name.
    std::string name = m_file.filename().string();
    QVERIFY(name.rfind("hw-", 0) == 0);
    QVERIFY(name.find('/') == std::string::npos && name.find(' ') == std::string::npos);
  }

  void jsonRoundTripPreservesEveryField() {
    HardwareInfo info;
    info.machineKey = "Test CPU|4 cpus|L1d 48K L2 2M L3 30M";
    info.cpuModel = "Test CPU \"quoted\" ünicode";
    info.logicalCores = 4;
    info.physicalCores = 2;
    info.isa = {"sse4_2", "avx2", "fma", "avx512f", "amx"};
    info.caches = {{1, "Data", int64_t{48} << 10, 2, 2},
                   {1, "Instruction", int64_t{32} << 10, 2, 2},
                   {2, "Unified", int64_t{2} << 20, 2, 2},
                   {3, "Unified", int64_t{30} << 20, 4, 1}};
    info.llcBytes = int64_t{30} << 20;
    info.dramBandwidthGBs = 0.1 + 0.2;  // not exactly representable: checks full precision
    info.dramReadBandwidthGBs = 21.0 / 3.0;
    info.cacheBandwidthGBs = 1234.5678901234567;
    info.peakGflops = 3.0e3 / 7.0;
    info.peakGflopsSingleCore = 98.76543210987654;
    info.peakIsa = "avx512f";
    info.probedAt = "2025-01-31T12:34:56Z";
    info.probeSeconds = 1.0 / 3.0;
    compareInfo(roundTrip(info), info);

    // And the real description of this machine.
    HardwareInfo real = describeHardware();
    compareInfo(roundTrip(real), real);
  }

  void fromJsonNamesTheBadField() {
    nlohmann::json good = toJson(describeHardware());
    QVERIFY(parseError(good).empty());

    nlohmann::json missing = good;
    missing.erase("peakGflops");
    QVERIFY2(parseError(missing).find("peakGflops") != std::string::npos,
             parseError(missing).c_str());

    nlohmann::json wrongType = good;
    wrongType["logicalCores"] = "two";
    QVERIFY(parseError(wrongType).find("logicalCores") != std::string::npos);

    nlohmann::json badCache = good;
    badCache["caches"][0]["sizeBytes"] = "big";
    QVERIFY2(parseError(badCache).find("caches[0].sizeBytes") != std::string::npos,
             parseError(badCache).c_str());

    nlohmann::json badIsa = good;
    badIsa["isa"] = nlohmann::json::array({"avx", 3});
    QVERIFY(parseError(badIsa).find("isa[1]") != std::string::npos);

    QVERIFY(!parseError(nlohmann::json::array()).empty());
  }

  void defaultCacheDirFollowsEnvironment() {
    {
      ScopedEnv kevo("KEVO_CACHE_DIR", "/tmp/kevo-test-cache");
      QCOMPARE(q(defaultHardwareCacheDir().string()), QStringLiteral("/tmp/kevo-test-cache"));
    }
    {
      ScopedEnv kevo("KEVO_CACHE_DIR", nullptr);
      ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg-cache");
      QCOMPARE(q(defaultHardwareCacheDir().string()), QStringLiteral("/tmp/xdg-cache/kevo"));
    }
    {
      ScopedEnv kevo("KEVO_CACHE_DIR", nullptr);
      ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
      ScopedEnv home("HOME", "/tmp/kevo-home");
      QCOMPARE(q(defaultHardwareCacheDir().string()), QStringLiteral("/tmp/kevo-home/.cache/kevo"));
    }
  }

  void corruptCacheIsReplacedByAFreshProbe() {
    fs::create_directories(m_cacheDir);
    writeFile(m_file, "{ \"machineKey\": \"trunc");
    QElapsedTimer timer;
    timer.start();
    m_first = loadOrProbeHardware(m_cacheDir, false);
    qInfo(
        "probe took %.2f s (wall %lld ms): peak %.1f GFLOP/s (1 core %.1f, %s), "
        "L1 %.1f GB/s, DRAM %.1f GB/s (read %.1f)",
        m_first.probeSeconds, static_cast<long long>(timer.elapsed()), m_first.peakGflops,
        m_first.peakGflopsSingleCore, m_first.peakIsa.c_str(), m_first.cacheBandwidthGBs,
        m_first.dramBandwidthGBs, m_first.dramReadBandwidthGBs);
    QVERIFY(m_first.isProbed());
    QCOMPARE(q(m_first.machineKey), q(describeHardware().machineKey));

    // The file now holds exactly this probe, and no temporary is left behind.
    HardwareInfo onDisk = hardwareFromJson(nlohmann::json::parse(readFile(m_file)));
    compareInfo(onDisk, m_first);
    for (const auto& entry : fs::directory_iterator(m_cacheDir)) {
      QVERIFY2(entry.path().string().find(".tmp") == std::string::npos, entry.path().c_str());
    }
  }

  void validCacheIsReturnedWithoutMeasuring() {
    QVERIFY(m_first.isProbed());
    QElapsedTimer timer;
    timer.start();
    HardwareInfo second = loadOrProbeHardware(m_cacheDir, false);
    QVERIFY2(timer.elapsed() < 500, "a valid cache must not be re-measured");
    compareInfo(second, m_first);

    // A cache with recognizable (fake) numbers comes back verbatim.
    HardwareInfo doctored = m_first;
    doctored.peakGflops = 4242.5;
    doctored.probedAt = "2000-01-01T00:00:00Z";
    doctored.probeSeconds = 99.25;
    writeFile(m_file, toJson(doctored).dump(2));
    compareInfo(loadOrProbeHardware(m_cacheDir, false), doctored);
  }

  void reprobeForcesAFreshMeasurement() {
    // The file still holds the doctored probe from the previous test.
    HardwareInfo fresh = loadOrProbeHardware(m_cacheDir, true);
    QVERIFY(fresh.isProbed());
    QVERIFY(fresh.peakGflops != 4242.5);
    QVERIFY(fresh.probeSeconds != 99.25);
    QVERIFY(fresh.probedAt != "2000-01-01T00:00:00Z");
    compareInfo(hardwareFromJson(nlohmann::json::parse(readFile(m_file))), fresh);
  }

  void cacheOfAnotherMachineIsReplaced() {
    HardwareInfo foreign = m_first;
    foreign.isa = {"sse4_2"};  // same key, different ISA: e.g. a VM moved to another host
    foreign.peakGflops = 4242.5;
    writeFile(m_file, toJson(foreign).dump());
    HardwareInfo info = loadOrProbeHardware(m_cacheDir, false);
    QVERIFY(info.isProbed());
    QVERIFY(info.peakGflops != 4242.5);
    QCOMPARE(info.isa.size(), describeHardware().isa.size());
  }

  void probeNumbersArePlausible() {
    const HardwareInfo& h = m_first;
    QVERIFY2(h.peakGflops > 1, "peak fp32 FMA throughput below 1 GFLOP/s");
    QVERIFY(h.peakGflopsSingleCore > 1);
    // No core retires more than ~64 fp32 flops a cycle at ~6 GHz: more means skipped work.
    QVERIFY(h.peakGflopsSingleCore < 1000);
    QVERIFY(h.peakGflops < 1000.0 * h.physicalCores);
    QVERIFY(h.dramBandwidthGBs > 0.1);
    QVERIFY(h.dramReadBandwidthGBs > 0.1);
    QVERIFY2(h.cacheBandwidthGBs > h.dramBandwidthGBs, "L1 must be faster than DRAM");
    QVERIFY(h.cacheBandwidthGBs < 1000.0 * h.logicalCores);
    QVERIFY(!h.peakIsa.empty());
    QVERIFY(h.probeSeconds > 0 && h.probeSeconds < 10);
    QCOMPARE(h.probedAt.size(), size_t{20});  // YYYY-MM-DDTHH:MM:SSZ
    QCOMPARE(h.probedAt.back(), 'Z');
  }

 private:
  QTemporaryDir m_dir;
  fs::path m_cacheDir;
  fs::path m_file;
  HardwareInfo m_first;
};

QTEST_APPLESS_MAIN(TestHw)
#include "test_hw.moc"

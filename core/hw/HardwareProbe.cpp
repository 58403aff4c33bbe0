#include "hw/HardwareProbe.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

#include "hw/CeilingProbe.h"

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <unistd.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace kevo::hw {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> readText(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  auto notSpace = [](unsigned char ch) { return !std::isspace(ch); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
  s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
  return s;
}

std::optional<std::string> readTrimmed(const fs::path& path) {
  auto text = readText(path);
  if (!text) return std::nullopt;
  return trim(*text);
}

std::optional<int64_t> readInteger(const fs::path& path) {
  auto text = readTrimmed(path);
  if (!text || text->empty()) return std::nullopt;
  char* end = nullptr;
  long long v = std::strtoll(text->c_str(), &end, 10);
  if (end == text->c_str()) return std::nullopt;
  return v;
}

// "0-3,8,10-11" -> {0,1,2,3,8,10,11}
std::vector<int> parseCpuList(const std::string& list) {
  std::vector<int> cpus;
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) {
    part = trim(part);
    if (part.empty()) continue;
    int lo = 0, hi = 0;
    if (std::sscanf(part.c_str(), "%d-%d", &lo, &hi) == 2) {
      for (int c = lo; c <= hi && c - lo < 1 << 16; ++c) cpus.push_back(c);
    } else if (std::sscanf(part.c_str(), "%d", &lo) == 1) {
      cpus.push_back(lo);
    }
  }
  return cpus;
}

// "32K" -> 32768, "1M" -> 1048576
int64_t parseSize(const std::string& text) {
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || v <= 0) return 0;
  switch (std::toupper(static_cast<unsigned char>(*end))) {
    case 'K':
      return v << 10;
    case 'M':
      return v << 20;
    case 'G':
      return v << 30;
    default:
      return v;
  }
}

std::string sizeLabel(int64_t bytes) {
  if (bytes > 0 && bytes % (int64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "M";
  if (bytes > 0 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + "K";
  return std::to_string(bytes);
}

// CPUs this process may run on.
std::vector<int> allowedCpus() {
  std::vector<int> cpus;
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
#endif
  if (cpus.empty()) {
    unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned c = 0; c < n; ++c) cpus.push_back(static_cast<int>(c));
  }
  return cpus;
}

const fs::path kSysCpu = "/sys/devices/system/cpu";

// One CPU per physical core: the first CPU seen for each (package, core) pair.
std::vector<int> oneCpuPerCore(const std::vector<int>& cpus) {
  std::set<std::pair<int64_t, int64_t>> seen;
  std::vector<int> result;
  for (int cpu : cpus) {
    fs::path topo = kSysCpu / ("cpu" + std::to_string(cpu)) / "topology";
    auto core = readInteger(topo / "core_id");
    auto package = readInteger(topo / "physical_package_id");
    if (!core) return cpus;  // no topology: treat every CPU as a core
    if (seen.insert({package.value_or(0), *core}).second) result.push_back(cpu);
  }
  return result.empty() ? cpus : result;
}

struct CpuInfo {
  std::string model;
  std::set<std::string> flags;
};

CpuInfo readCpuInfo() {
  CpuInfo info;
  auto text = readText("/proc/cpuinfo");
  if (!text) return info;
  std::istringstream in(*text);
  std::string line, hardware;
  bool haveFlags = false;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = trim(line.substr(0, colon));
    std::string value = trim(line.substr(colon + 1));
    if (info.model.empty() && (key == "model name" || key == "cpu model")) info.model = value;
    if (hardware.empty() && key == "Hardware") hardware = value;
    if (!haveFlags && (key == "flags" || key == "Features")) {
      std::istringstream words(value);
      std::string w;
      while (words >> w) info.flags.insert(w);
      haveFlags = true;
    }
  }
  if (info.model.empty()) info.model = hardware;
  return info;
}

// ISA extensions that matter to kernel generation, in a fixed order.
std::vector<std::string> isaFromFlags(const std::set<std::string>& flags) {
  // cpuinfo flag -> Kevo name
  static const std::pair<const char*, const char*> kKnown[] = {{"sse4_2", "sse4_2"},
                                                               {"avx", "avx"},
                                                               {"avx2", "avx2"},
                                                               {"fma", "fma"},
                                                               {"f16c", "f16c"},
                                                               {"avx_vnni", "avx_vnni"},
                                                               {"avx512f", "avx512f"},
                                                               {"avx512dq", "avx512dq"},
                                                               {"avx512cd", "avx512cd"},
                                                               {"avx512bw", "avx512bw"},
                                                               {"avx512vl", "avx512vl"},
                                                               {"avx512ifma", "avx512ifma"},
                                                               {"avx512vbmi", "avx512vbmi"},
                                                               {"avx512_vnni", "avx512_vnni"},
                                                               {"avx512_bf16", "avx512_bf16"},
                                                               {"avx512_fp16", "avx512_fp16"},
                                                               {"amx_tile", "amx"},
                                                               {"amx_bf16", "amx_bf16"},
                                                               {"amx_int8", "amx_int8"},
                                                               {"asimd", "neon"},
                                                               {"asimdhp", "neon_fp16"},
                                                               {"asimddp", "neon_dotprod"},
                                                               {"bf16", "bf16"},
                                                               {"i8mm", "i8mm"},
                                                               {"sve", "sve"},
                                                               {"sve2", "sve2"},
                                                               {"sme", "sme"}};
  std::vector<std::string> isa;
  for (const auto& [flag, name] : kKnown) {
    if (flags.count(flag)) isa.emplace_back(name);
  }
#if defined(__x86_64__) || defined(__i386__)
  if (flags.empty()) {  // no /proc/cpuinfo: ask the CPU (covers the common subset)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) isa.emplace_back("sse4_2");
    if (__builtin_cpu_supports("avx")) isa.emplace_back("avx");
    if (__builtin_cpu_supports("avx2")) isa.emplace_back("avx2");
    if (__builtin_cpu_supports("fma")) isa.emplace_back("fma");
    if (__builtin_cpu_supports("avx512f")) isa.emplace_back("avx512f");
    if (__builtin_cpu_supports("avx512bw")) isa.emplace_back("avx512bw");
    if (__builtin_cpu_supports("avx512vl")) isa.emplace_back("avx512vl");
  }
#endif
  return isa;
}

int typeRank(const std::string& type) {
  if (type == "Data") return 0;
  if (type == "Instruction") return 1;
  return 2;
}

std::vector<CacheLevel> readCaches(const std::vector<int>& cpus) {
  struct Seen {
    CacheLevel level;
    std::set<std::string> instances;  // distinct shared_cpu_list values
  };
  std::map<std::pair<int, std::string>, Seen> byKind;
  for (int cpu : cpus) {
    fs::path dir = kSysCpu / ("cpu" + std::to_string(cpu)) / "cache";
    for (int index = 0; index < 32; ++index) {
      fs::path idx = dir / ("index" + std::to_string(index));
      auto level = readInteger(idx / "level");
      if (!level) break;
      std::string type = readTrimmed(idx / "type").value_or("Unified");
      int64_t size = parseSize(readTrimmed(idx / "size").value_or(""));
      std::string shared = readTrimmed(idx / "shared_cpu_list").value_or(std::to_string(cpu));
      if (size <= 0) continue;
      Seen& s = byKind[{static_cast<int>(*level), type}];
      if (s.instances.empty()) {
        s.level.level = static_cast<int>(*level);
        s.level.type = type;
        s.level.sizeBytes = size;
        s.level.sharedByCpus = std::max<int>(1, static_cast<int>(parseCpuList(shared).size()));
      }
      s.instances.insert(shared);
    }
  }
  std::vector<CacheLevel> caches;
  for (auto& [kind, s] : byKind) {
    s.level.instances = static_cast<int>(s.instances.size());
    caches.push_back(s.level);
  }
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  if (caches.empty()) {  // no sysfs: glibc's view (one instance per level, sharing unknown)
    const std::pair<int, const char*> levels[] = {{_SC_LEVEL1_DCACHE_SIZE, "Data"},
                                                  {_SC_LEVEL1_ICACHE_SIZE, "Instruction"},
                                                  {_SC_LEVEL2_CACHE_SIZE, "Unified"},
                                                  {_SC_LEVEL3_CACHE_SIZE, "Unified"},
                                                  {_SC_LEVEL4_CACHE_SIZE, "Unified"}};
    int n = 0;
    for (const auto& [name, type] : levels) {
      ++n;
      long size = sysconf(name);
      if (size > 0) caches.push_back({n <= 2 ? 1 : n - 1, type, size, 1, 1});
    }
  }
#endif
  std::sort(caches.begin(), caches.end(), [](const CacheLevel& a, const CacheLevel& b) {
    if (a.level != b.level) return a.level < b.level;
    return typeRank(a.type) < typeRank(b.type);
  });
  return caches;
}

int64_t lastLevelBytes(const std::vector<CacheLevel>& caches) {
  int64_t best = 0;
  int bestLevel = 0;
  for (const CacheLevel& c : caches) {
    if (c.type == "Instruction") continue;
    int64_t total = c.sizeBytes * std::max(1, c.instances);
    if (c.level > bestLevel || (c.level == bestLevel && total > best)) {
      bestLevel = c.level;
      best = total;
    }
  }
  return best;
}

std::string machineKeyFor(const HardwareInfo& info) {
  std::string key = info.cpuModel + "|" + std::to_string(info.logicalCores) + " cpus|";
  for (size_t i = 0; i < info.caches.size(); ++i) {
    const CacheLevel& c = info.caches[i];
    std::string suffix = c.type == "Data" ? "d" : c.type == "Instruction" ? "i" : "";
    key += (i ? " " : "") + ("L" + std::to_string(c.level) + suffix + " " + sizeLabel(c.sizeBytes));
  }
  return key;
}

std::string sanitizeForFileName(const std::string& key) {
  std::string out;
  for (char ch : key) {
    bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-';
    if (ok) {
      out += ch;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  constexpr size_t kMax = 120;
  if (out.size() > kMax || out.empty()) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a of the full key keeps truncated names unique
    for (unsigned char ch : key) h = (h ^ ch) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
    out = out.substr(0, kMax) + (out.empty() ? "" : "_") + hex;
  }
  return out;
}

// Memory the DRAM test may use without pushing the machine (or this container) into swap or
// the OOM killer: MemAvailable, capped by a cgroup memory limit. 0 when unknown.
int64_t usableMemoryBytes() {
  int64_t usable = 0;
  if (auto text = readText("/proc/meminfo")) {
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
      long long kb = 0;
      if (std::sscanf(line.c_str(), "MemAvailable: %lld kB", &kb) == 1 && kb > 0) {
        usable = static_cast<int64_t>(kb) * 1024;
      }
    }
  }
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  if (usable <= 0) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) usable = static_cast<int64_t>(pages) * page;
  }
#endif
  // cgroup v2 ("max" when unlimited, so it does not parse) and v1 (a huge number when unlimited).
  for (const char* limitFile :
       {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    if (auto limit = readInteger(limitFile); limit && *limit > 0) {
      usable = usable > 0 ? std::min(usable, *limit) : *limit;
    }
  }
  return usable;
}

HardwareInfo probeWith(HardwareInfo info, const std::vector<int>& cpus) {
  auto t0 = std::chrono::steady_clock::now();
  CeilingProbeOptions o;
  o.cpus = cpus;
  o.coreCpus = oneCpuPerCore(cpus);
  // DRAM working set: at least 8x the last-level cache (64 MiB minimum), but never more than a
  // quarter of the memory available to this process.
  const int64_t llc = info.llcBytes > 0 ? info.llcBytes : int64_t{32} << 20;
  int64_t ws = std::max<int64_t>(8 * llc, int64_t{64} << 20);
  if (int64_t mem = usableMemoryBytes(); mem > 0) ws = std::min(ws, mem / 4);
  o.dramWorkingSetBytes = ws;

  MeasuredCeilings m = measureCeilings(o);
  info.dramBandwidthGBs = m.dramBandwidthGBs;
  info.dramReadBandwidthGBs = m.dramReadBandwidthGBs;
  info.cacheBandwidthGBs = m.cacheBandwidthGBs;
  info.peakGflops = m.peakGflops;
  info.peakGflopsSingleCore = m.peakGflopsSingleCore;
  info.peakIsa = m.peakIsa;
  info.probedAt = isoUtcNow();
  info.probeSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return info;
}

HardwareInfo describeWith(const std::vector<int>& cpus) {
  HardwareInfo info;
  CpuInfo cpu = readCpuInfo();
  info.cpuModel = cpu.model;
#if defined(__unix__) || defined(__APPLE__)
  if (info.cpuModel.empty()) {
    utsname u{};
    info.cpuModel = uname(&u) == 0 ? std::string("unknown ") + u.machine : "unknown";
  }
#endif
  if (info.cpuModel.empty()) info.cpuModel = "unknown";
  info.logicalCores = static_cast<int>(cpus.size());
  info.physicalCores = static_cast<int>(oneCpuPerCore(cpus).size());
  info.isa = isaFromFlags(cpu.flags);
  info.caches = readCaches(cpus);
  info.llcBytes = lastLevelBytes(info.caches);
  info.machineKey = machineKeyFor(info);
  return info;
}

// The cached probe in `file`, if it is valid and describes the machine `current`.
std::optional<HardwareInfo> loadCached(const fs::path& file, const HardwareInfo& current) {
  auto text = readText(file);
  if (!text) return std::nullopt;
  try {
    nlohmann::json j = nlohmann::json::parse(*text);
    if (!j.is_object() || j.value("format", 0) != kHardwareInfoFormat) return std::nullopt;
    HardwareInfo cached = hardwareFromJson(j);
    if (cached.machineKey != current.machineKey || cached.isa != current.isa) return std::nullopt;
    if (!cached.isProbed()) return std::nullopt;
    return cached;
  } catch (const std::exception&) {  // parse error or bad field: treat as absent
    return std::nullopt;
  }
}

// Writes `text` to `file` through a temporary in the same directory and a rename, so readers
// see either the old file or the complete new one. Returns false if anything failed.
bool writeAtomically(const fs::path& file, const std::string& text) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  fs::path tmp = file;
#if defined(__unix__) || defined(__APPLE__)
  tmp += ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = true;
  for (size_t done = 0; ok && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
#else
  tmp += ".tmp." + std::to_string(counter++);
  bool ok;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    ok = static_cast<bool>(out);
  }
#endif
  if (ok) {
    fs::rename(tmp, file, ec);
    ok = !ec;
  }
  if (!ok) fs::remove(tmp, ec);
  return ok;
}

// An exclusive advisory lock on a file, held for the object's lifetime (best effort).
class FileLock {
 public:
  explicit FileLock(const fs::path& path) {
#if defined(__unix__) || defined(__APPLE__)
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
#else
    (void)path;
#endif
  }
  ~FileLock() {
#if defined(__unix__) || defined(__APPLE__)
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
#endif
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

std::string isoUtcNow() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
#if defined(_WIN32)
  gmtime_s(&tm, &now);
#else
  gmtime_r(&now, &tm);
#endif
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

HardwareInfo describeHardware() {
  return describeWith(allowedCpus());
}

HardwareInfo probeHardware() {
  auto t0 = std::chrono::steady_clock::now();
  std::vector<int> cpus = allowedCpus();
  HardwareInfo info = describeWith(cpus);
  info.probeSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return probeWith(std::move(info), cpus);
}

fs::path defaultHardwareCacheDir() {
  if (const char* dir = std::getenv("KEVO_CACHE_DIR"); dir && *dir) return fs::path(dir);
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg && fs::path(xdg).is_absolute()) {
    return fs::path(xdg) / "kevo";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return fs::path(home) / ".cache" / "kevo";
  }
#if defined(__unix__) || defined(__APPLE__)
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir && *pw->pw_dir) {
    return fs::path(pw->pw_dir) / ".cache" / "kevo";
  }
#endif
  std::error_code ec;
  fs::path tmp = fs::temp_directory_path(ec);
  return (ec ? fs::path("/tmp") : tmp) / "kevo-cache";
}

fs::path hardwareCacheFile(const fs::path& cacheDir, const std::string& machineKey) {
  return cacheDir / ("hw-" + sanitizeForFileName(machineKey) + ".json");
}

HardwareInfo loadOrProbeHardware(const fs::path& cacheDir, bool reprobe) {
  std::vector<int> cpus = allowedCpus();
  HardwareInfo current = describeWith(cpus);
  const fs::path file = hardwareCacheFile(cacheDir, current.machineKey);
  if (!reprobe) {
    if (auto cached = loadCached(file, current)) return *cached;
  }
  // Serialize with other processes probing this machine: two probes at once would measure each
  // other. Whoever waited re-reads the cache the first one wrote.
  FileLock lock(fs::path(file) += ".lock");
  if (!reprobe) {
    if (auto cached = loadCached(file, current)) return *cached;
  }
  HardwareInfo probed = probeWith(std::move(current), cpus);
  writeAtomically(file, toJson(probed).dump(2) + "\n");
  return probed;
}

}  // namespace kevo::hw

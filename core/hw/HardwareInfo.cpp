#include "hw/HardwareInfo.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace kevo::hw {

bool HardwareInfo::hasIsa(const std::string& name) const {
  return std::find(isa.begin(), isa.end(), name) != isa.end();
}

bool HardwareInfo::isProbed() const {
  for (double v : {dramBandwidthGBs, cacheBandwidthGBs, peakGflops, peakGflopsSingleCore}) {
    if (!std::isfinite(v) || v <= 0) return false;
  }
  return !probedAt.empty();
}

nlohmann::json toJson(const HardwareInfo& info) {
  nlohmann::json caches = nlohmann::json::array();
  for (const CacheLevel& c : info.caches) {
    caches.push_back({{"level", c.level},
                      {"type", c.type},
                      {"sizeBytes", c.sizeBytes},
                      {"sharedByCpus", c.sharedByCpus},
                      {"instances", c.instances}});
  }
  return {{"format", kHardwareInfoFormat},
          {"machineKey", info.machineKey},
          {"cpuModel", info.cpuModel},
          {"logicalCores", info.logicalCores},
          {"physicalCores", info.physicalCores},
          {"isa", info.isa},
          {"caches", caches},
          {"llcBytes", info.llcBytes},
          {"dramBandwidthGBs", info.dramBandwidthGBs},
          {"dramReadBandwidthGBs", info.dramReadBandwidthGBs},
          {"cacheBandwidthGBs", info.cacheBandwidthGBs},
          {"peakGflops", info.peakGflops},
          {"peakGflopsSingleCore", info.peakGflopsSingleCore},
          {"peakIsa", info.peakIsa},
          {"probedAt", info.probedAt},
          {"probeSeconds", info.probeSeconds}};
}

namespace {

// Field readers that name the field (with its path) when it is missing or has the wrong type.
[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("hardware info: field '" + path + "' " + what);
}

const nlohmann::json& field(const nlohmann::json& obj, const std::string& name,
                            const std::string& path) {
  auto it = obj.find(name);
  if (it == obj.end()) fail(path, "is missing");
  return *it;
}

std::string typeName(const nlohmann::json& v) {
  return v.type_name();
}

int64_t readInt(const nlohmann::json& obj, const std::string& name, const std::string& prefix) {
  const std::string path = prefix + name;
  const nlohmann::json& v = field(obj, name, path);
  if (!v.is_number_integer()) fail(path, "must be an integer, got " + typeName(v));
  return v.get<int64_t>();
}

double readDouble(const nlohmann::json& obj, const std::string& name, const std::string& prefix) {
  const std::string path = prefix + name;
  const nlohmann::json& v = field(obj, name, path);
  if (!v.is_number()) fail(path, "must be a number, got " + typeName(v));
  double d = v.get<double>();
  if (!std::isfinite(d)) fail(path, "must be finite");
  return d;
}

std::string readString(const nlohmann::json& obj, const std::string& name,
                       const std::string& prefix) {
  const std::string path = prefix + name;
  const nlohmann::json& v = field(obj, name, path);
  if (!v.is_string()) fail(path, "must be a string, got " + typeName(v));
  return v.get<std::string>();
}

int readSmallInt(const nlohmann::json& obj, const std::string& name, const std::string& prefix) {
  int64_t v = readInt(obj, name, prefix);
  if (v < 0 || v > (int64_t{1} << 30)) fail(prefix + name, "is out of range");
  return static_cast<int>(v);
}

}  // namespace

HardwareInfo hardwareFromJson(const nlohmann::json& j) {
  if (!j.is_object()) {
    throw std::runtime_error("hardware info: expected a JSON object, got " + typeName(j));
  }
  HardwareInfo info;
  info.machineKey = readString(j, "machineKey", "");
  info.cpuModel = readString(j, "cpuModel", "");
  info.logicalCores = readSmallInt(j, "logicalCores", "");
  info.physicalCores = readSmallInt(j, "physicalCores", "");

  const nlohmann::json& isa = field(j, "isa", "isa");
  if (!isa.is_array()) fail("isa", "must be an array, got " + typeName(isa));
  for (size_t i = 0; i < isa.size(); ++i) {
    if (!isa[i].is_string()) fail("isa[" + std::to_string(i) + "]", "must be a string");
    info.isa.push_back(isa[i].get<std::string>());
  }

  const nlohmann::json& caches = field(j, "caches", "caches");
  if (!caches.is_array()) fail("caches", "must be an array, got " + typeName(caches));
  for (size_t i = 0; i < caches.size(); ++i) {
    const std::string prefix = "caches[" + std::to_string(i) + "].";
    const nlohmann::json& c = caches[i];
    if (!c.is_object()) fail("caches[" + std::to_string(i) + "]", "must be an object");
    CacheLevel level;
    level.level = readSmallInt(c, "level", prefix);
    level.type = readString(c, "type", prefix);
    level.sizeBytes = readInt(c, "sizeBytes", prefix);
    level.sharedByCpus = readSmallInt(c, "sharedByCpus", prefix);
    level.instances = c.contains("instances") ? readSmallInt(c, "instances", prefix) : 1;
    info.caches.push_back(level);
  }

  info.llcBytes = readInt(j, "llcBytes", "");
  info.dramBandwidthGBs = readDouble(j, "dramBandwidthGBs", "");
  info.dramReadBandwidthGBs =
      j.contains("dramReadBandwidthGBs") ? readDouble(j, "dramReadBandwidthGBs", "") : 0.0;
  info.cacheBandwidthGBs = readDouble(j, "cacheBandwidthGBs", "");
  info.peakGflops = readDouble(j, "peakGflops", "");
  info.peakGflopsSingleCore = readDouble(j, "peakGflopsSingleCore", "");
  info.peakIsa = j.contains("peakIsa") ? readString(j, "peakIsa", "") : std::string();
  info.probedAt = readString(j, "probedAt", "");
  info.probeSeconds = readDouble(j, "probeSeconds", "");
  return info;
}

}  // namespace kevo::hw

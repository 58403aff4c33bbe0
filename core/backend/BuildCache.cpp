#include "backend/BuildCache.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>

namespace kevo::backend {

namespace fs = std::filesystem;

std::string readTextFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeTextFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

BuildCache::BuildCache(fs::path cacheDir) : root_(std::move(cacheDir) / "build") {}

std::optional<BuildResult> BuildCache::find(const std::string& key,
                                            const std::string& artifact) const {
  fs::path entry = root_ / key;
  if (!fs::exists(entry / "result.json")) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(readTextFile(entry / "result.json"));
    BuildResult result;
    result.key = key;
    result.library = entry / artifact;
    result.ok = j.at("ok").get<bool>();
    result.log = j.value("log", "");
    result.artifact = j.value("artifact", "shared_library");
    for (const auto& c : j.value("command", nlohmann::json::array())) result.command.push_back(c);
    for (const auto& d : j.value("diagnostics", nlohmann::json::array()))
      result.diagnostics.push_back(diagnosticFromJson(d));
    if (result.ok && !fs::exists(result.library)) return std::nullopt;
    result.cacheHit = true;
    return result;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged entry is rebuilt
  }
}

fs::path BuildCache::stage(const std::string& key) const {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  fs::create_directories(root_);
  fs::path staging = root_ / ("tmp-" + key.substr(0, 16) + "-" + std::to_string(rng()));
  fs::create_directories(staging);
  return staging;
}

void BuildCache::commit(const fs::path& staging, BuildResult& result,
                        const std::string& artifact) const {
  nlohmann::json j = {{"ok", result.ok},
                      {"log", result.log},
                      {"command", result.command},
                      {"artifact", result.artifact}};
  j["diagnostics"] = nlohmann::json::array();
  for (const auto& d : result.diagnostics) j["diagnostics"].push_back(toJson(d));
  writeTextFile(staging / "result.json", j.dump());
  fs::path entry = root_ / result.key;
  std::error_code ec;
  if (fs::exists(entry) && !fs::exists(entry / "result.json")) fs::remove_all(entry, ec);
  fs::rename(staging, entry, ec);
  if (ec) fs::remove_all(staging, ec);  // another process finished the same build first
  result.library = entry / artifact;
}

}  // namespace kevo::backend

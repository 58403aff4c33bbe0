// The content-addressed build cache both backends share: one directory per key (a hash of
// everything that affects the build), written in a staging directory and renamed into place
// when finished, so concurrent builders never see half an entry. result.json, written last,
// records the outcome; failed builds are cached too.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "backend/CpuCompiler.h"

namespace kevo::backend {

class BuildCache {
 public:
  explicit BuildCache(std::filesystem::path cacheDir);

  // The finished entry for `key`; `artifact` is the file a successful build leaves in it.
  std::optional<BuildResult> find(const std::string& key, const std::string& artifact) const;

  // A fresh staging directory for `key`.
  std::filesystem::path stage(const std::string& key) const;

  // Records `result` in staging/result.json and moves staging into place (or drops it when
  // another process finished the same key first). Sets result.library to the entry's artifact.
  void commit(const std::filesystem::path& staging, BuildResult& result,
              const std::string& artifact) const;

 private:
  std::filesystem::path root_;
};

std::string readTextFile(const std::filesystem::path& p);
void writeTextFile(const std::filesystem::path& p, const std::string& text);

}  // namespace kevo::backend

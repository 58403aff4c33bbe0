#include "util/Paths.h"

#include <cstdlib>
#include <system_error>

namespace kevo::util {

namespace fs = std::filesystem;

fs::path dataDir() {
  if (const char* env = std::getenv("KEVO_DATA_DIR"); env && *env) return env;
  fs::path build = KEVO_DATA_DIR_BUILD;
  std::error_code ec;
  if (fs::is_directory(build / "resources" / "problems", ec)) return build;
  return KEVO_DATA_DIR_INSTALL;
}

fs::path cacheDir() {
  fs::path dir;
  if (const char* env = std::getenv("KEVO_CACHE_DIR"); env && *env) {
    dir = env;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    dir = fs::path(xdg) / "kevo";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = fs::path(home) / ".cache" / "kevo";
  } else {
    dir = fs::temp_directory_path() / "kevo-cache";
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir;
}

fs::path abiIncludeDir() {
  fs::path data = dataDir();
  std::error_code ec;
  if (fs::is_regular_file(data / "core" / "abi" / "kevo_abi.h", ec)) return data / "core" / "abi";
  return data / "abi";
}

fs::path executableDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

}  // namespace kevo::util

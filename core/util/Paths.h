// Where Kevo finds its data (bundled problems, knowledge, the ABI header) and keeps its caches.
#pragma once

#include <filesystem>

namespace kevo::util {

// $KEVO_DATA_DIR, else the source tree this build came from, else the install prefix.
std::filesystem::path dataDir();
// $KEVO_CACHE_DIR, else $XDG_CACHE_HOME/kevo, else ~/.cache/kevo (created on demand).
std::filesystem::path cacheDir();
// The directory holding kevo_abi.h.
std::filesystem::path abiIncludeDir();
// The directory of the running executable (to find kevo-worker beside kevo-cli).
std::filesystem::path executableDir();

}  // namespace kevo::util

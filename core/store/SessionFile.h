// Checks of a session file done before SQLite opens it, so that a missing, empty, truncated or
// foreign file gets a precise message instead of SQLite's generic one. Internal to core/store.
#pragma once

#include <filesystem>
#include <string>

namespace kevo::store {

// Throws SessionError (message starting with `label`) unless `file` exists, is a regular file,
// starts with the SQLite header and is not shorter than its header says.
void checkSessionFileHeader(const std::filesystem::path& file, const std::string& label);

// `file` with `suffix` appended to its name: "x.kevo" + "-wal" -> "x.kevo-wal".
std::filesystem::path siblingFile(const std::filesystem::path& file, const char* suffix);

}  // namespace kevo::store

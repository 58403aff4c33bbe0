#include "problem/ProblemLibrary.h"

#include <algorithm>

#include "util/Paths.h"

namespace kevo::problem {

namespace fs = std::filesystem;

fs::path bundledProblemsDir() {
  return util::dataDir() / "resources" / "problems";
}

std::vector<fs::path> bundledProblemDirs() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(bundledProblemsDir(), ec))
    if (entry.is_directory() && fs::exists(entry.path() / "problem.json"))
      dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

fs::path resolveProblemDir(const std::string& idOrPath) {
  std::error_code ec;
  if (idOrPath.find('/') != std::string::npos || fs::is_directory(idOrPath, ec)) {
    if (!fs::is_directory(idOrPath, ec))
      throw ProblemError({idOrPath + ": no such problem folder"});
    return fs::absolute(idOrPath);
  }
  fs::path bundled = bundledProblemsDir() / idOrPath;
  if (fs::is_directory(bundled, ec)) return bundled;
  std::string known;
  for (const auto& d : bundledProblemDirs())
    known += (known.empty() ? "" : ", ") + d.filename().string();
  throw ProblemError({"unknown problem \"" + idOrPath + "\" (bundled: " + known +
                      "; or give a path to a problem folder)"});
}

}  // namespace kevo::problem

#include "ToolRun.h"

#include <cstdlib>
#include <sstream>

#include "Commands.h"
#include "backend/CudaToolkit.h"
#include "eval/Sandbox.h"
#include "problem/ProblemLibrary.h"
#include "store/NodeProfiles.h"

namespace kevo::cli {

namespace fs = std::filesystem;

ToolTarget resolveToolTarget(const Args& args, const std::string& tool) {
  ToolTarget t;
  if (!args.positional().empty()) {
    std::string file = args.positional()[0];
    if (!fs::exists(file)) throw InputError(file + ": no such session file");
    auto store = store::SessionStore::open(file, store::OpenMode::ReadOnly);
    search::SearchConfig config = loadConfig(store, file);
    if (config.backend != "cuda")
      throw InputError(file + ": a " + config.backend + " session; " + tool +
                       " runs on CUDA kernels only");
    search::SearchTree tree = loadTree(store);
    int64_t id = chosenNode(tree, args, file, tool);
    t.source = tree.at(id).source;
    t.flags = tree.at(id).flags;
    t.label = store::profileLabel(id);
    t.sessionFile = file;
    t.nodeId = id;
    t.problem = problem::loadProblem(problem::resolveProblemDir(config.problem));
  } else {
    auto problemArg = args.value("problem");
    auto sourceArg = args.value("source");
    if (!problemArg || !sourceArg)
      throw UsageError(tool + " needs --problem ID --source FILE.cu, or a session FILE --node N");
    t.problem = problem::loadProblem(problem::resolveProblemDir(*problemArg));
    t.source = readTextFile(*sourceArg);
    t.label = fs::path(*sourceArg).filename().string();
  }
  const auto& p = t.problem;
  if (p.baselineCuda && readTextFile(p.baselineCuda->source.string()) == t.source)
    t.role = eval::KernelRole::Baseline;
  else if (p.referenceCuda && readTextFile(p.referenceCuda->source.string()) == t.source)
    t.role = eval::KernelRole::Reference;
  return t;
}

std::optional<fs::path> findCudaTool(const std::string& name,
                                     const std::optional<std::string>& given, const char* envVar) {
  auto existing = [](const fs::path& p) {
    return fs::exists(p) ? std::optional<fs::path>(p) : std::nullopt;
  };
  if (given) return existing(*given);
  if (const char* env = std::getenv(envVar); env && *env) return existing(env);
  if (auto toolkit = backend::findCudaToolkit();
      toolkit && fs::exists(toolkit->home / "bin" / name))
    return toolkit->home / "bin" / name;
  if (const char* path = std::getenv("PATH")) {
    std::istringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (!dir.empty() && fs::exists(fs::path(dir) / name)) return fs::path(dir) / name;
  }
  return std::nullopt;
}

std::vector<std::string> relaxedLayers(const Args& args, const std::string& fallback) {
  std::vector<std::string> out;
  std::istringstream s(args.value("relax").value_or(fallback));
  for (std::string layer; std::getline(s, layer, ',');) {
    if (layer.empty()) continue;
    if (!eval::isRelaxableLayer(layer))
      throw UsageError("--relax: no sandbox layer \"" + layer +
                       "\" (network, user, landlock, seccomp, exec_memory)");
    out.push_back(layer);
  }
  return out;
}

}  // namespace kevo::cli

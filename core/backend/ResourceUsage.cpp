#include "backend/ResourceUsage.h"

#include <regex>
#include <sstream>

namespace kevo::backend {

nlohmann::json KernelResources::toJson() const {
  return {{"kernel", kernel},
          {"registers", registers},
          {"stack_bytes", stackBytes},
          {"spill_store_bytes", spillStoreBytes},
          {"spill_load_bytes", spillLoadBytes},
          {"static_shared_bytes", staticSharedBytes},
          {"barriers", barriers}};
}

std::string KernelResources::describe() const {
  std::string s = kernel + ": " + std::to_string(registers) + " registers, ";
  if (spillStoreBytes || spillLoadBytes)
    s += std::to_string(spillStoreBytes) + " B spill stores / " + std::to_string(spillLoadBytes) +
         " B spill loads";
  else
    s += "no spills";
  if (stackBytes) s += ", " + std::to_string(stackBytes) + " B stack frame";
  if (staticSharedBytes) s += ", " + std::to_string(staticSharedBytes) + " B static shared memory";
  return s;
}

std::vector<KernelResources> parsePtxasResources(const std::string& log) {
  static const std::regex entry(
      R"(ptxas info\s*: (?:Compiling entry function|Function properties for) '?([A-Za-z_]\w*)'?)");
  static const std::regex frame(
      R"((\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads)");
  static const std::regex used(R"(ptxas info\s*: Used (\d+) registers)");
  static const std::regex barriers(R"(used (\d+) barriers)");
  static const std::regex smem(R"((\d+) bytes smem)");
  std::vector<KernelResources> out;
  auto current = [&](const std::string& name) -> KernelResources& {
    if (out.empty() || out.back().kernel != name) out.push_back(KernelResources{name});
    return out.back();
  };
  std::istringstream lines(log);
  std::string line, name;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, m, entry)) {
      name = m[1];
      current(name);
    } else if (!name.empty() && std::regex_search(line, m, frame)) {
      auto& k = current(name);
      k.stackBytes = std::stoll(m[1]);
      k.spillStoreBytes = std::stoll(m[2]);
      k.spillLoadBytes = std::stoll(m[3]);
    } else if (!name.empty() && std::regex_search(line, m, used)) {
      auto& k = current(name);
      k.registers = std::stoi(m[1]);
      if (std::regex_search(line, m, barriers)) k.barriers = std::stoi(m[1]);
      if (std::regex_search(line, m, smem)) k.staticSharedBytes = std::stoll(m[1]);
    }
  }
  return out;
}

}  // namespace kevo::backend

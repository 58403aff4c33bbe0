#include "eval/ArenaLayout.h"

#include <unistd.h>

namespace kevo::eval {

ArenaLayout makeArenaLayout(const problem::ConcreteShapes& shapes, int sets) {
  ArenaLayout layout;
  layout.pageSize = sysconf(_SC_PAGESIZE);
  int64_t page = layout.pageSize;
  int64_t cursor = page;  // a guard page before the first buffer too
  layout.guardPages.push_back(0);
  auto place = [&](int64_t bytes) {
    BufferSlot s;
    s.offset = cursor;
    s.bytes = bytes;
    s.capacity = (bytes + page - 1) / page * page;
    cursor += s.capacity;
    layout.guardPages.push_back(cursor);
    cursor += page;
    return s;
  };
  for (int k = 0; k < sets; ++k) {
    std::vector<BufferSlot> in, out;
    for (const auto& t : shapes.inputs) in.push_back(place(t.bytes));
    for (const auto& t : shapes.outputs) out.push_back(place(t.bytes));
    layout.inputs.push_back(std::move(in));
    layout.outputs.push_back(std::move(out));
  }
  layout.totalBytes = cursor;
  return layout;
}

nlohmann::json describeSets(const problem::ConcreteShapes& shapes, const ArenaLayout& layout) {
  auto tensor = [](const problem::ConcreteTensor& t, const BufferSlot& s) {
    return nlohmann::json{{"offset", s.offset},     {"bytes", s.bytes},
                          {"capacity", s.capacity}, {"dtype", problem::abiDtypeCode(t.dtype)},
                          {"shape", t.shape},       {"element_bytes", problem::dtypeSize(t.dtype)}};
  };
  nlohmann::json sets = nlohmann::json::array();
  for (size_t k = 0; k < layout.inputs.size(); ++k) {
    nlohmann::json set = {{"inputs", nlohmann::json::array()},
                          {"outputs", nlohmann::json::array()}};
    for (size_t i = 0; i < shapes.inputs.size(); ++i)
      set["inputs"].push_back(tensor(shapes.inputs[i], layout.inputs[k][i]));
    for (size_t i = 0; i < shapes.outputs.size(); ++i)
      set["outputs"].push_back(tensor(shapes.outputs[i], layout.outputs[k][i]));
    sets.push_back(set);
  }
  return sets;
}

}  // namespace kevo::eval

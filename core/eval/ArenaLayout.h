// Where each input and output of each rotation set lives in the shared memory arena that the
// parent and the worker both map. Every buffer starts on a page and is followed by a guard page
// (PROT_NONE in the worker), and the bytes between a buffer's end and its guard page hold a
// canary the parent checks: a write past the end of an output either faults or is seen.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "problem/Problem.h"

namespace kevo::eval {

struct BufferSlot {
  int64_t offset = 0;    // from the arena start, page aligned
  int64_t bytes = 0;     // the tensor's size
  int64_t capacity = 0;  // bytes rounded up to a page; [bytes, capacity) is canary
};

struct ArenaLayout {
  std::vector<std::vector<BufferSlot>> inputs;   // [set][tensor]
  std::vector<std::vector<BufferSlot>> outputs;  // [set][tensor]
  std::vector<int64_t> guardPages;               // offsets of PROT_NONE pages
  int64_t totalBytes = 0;
  int64_t pageSize = 4096;
};

ArenaLayout makeArenaLayout(const problem::ConcreteShapes& shapes, int sets);

// The tensor descriptors the worker builds its kevo_tensor arrays from.
nlohmann::json describeSets(const problem::ConcreteShapes& shapes, const ArenaLayout& layout);

}  // namespace kevo::eval

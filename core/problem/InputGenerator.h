// Draws a problem's inputs from their declared distributions. Deterministic in the seed, so a
// recorded seed reproduces the exact data a candidate was checked on.
#pragma once

#include <cstdint>

#include "problem/Problem.h"

namespace kevo::problem {

// Fills `dst` (t.bytes long) with values of spec.dist for the shape set's symbols.
void generateInput(const TensorSpec& spec, const ConcreteTensor& t, const SymbolTable& symbols,
                   uint64_t seed, void* dst);

// A seed for one (trial, tensor) pair derived from a trial seed; stable across versions.
uint64_t deriveSeed(uint64_t seed, uint64_t stream);

}  // namespace kevo::problem

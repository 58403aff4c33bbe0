// The evaluator configuration for a backend on this machine: the worker beside the executable,
// the cache directory, and the ceilings the roofline floor comes from (the CPU probe for "cpu",
// GPU 0's probe for "cuda"). Shared by kevo-cli and the workbench.
#pragma once

#include <string>

#include "eval/Evaluator.h"
#include "hw/HardwareInfo.h"

namespace kevo::eval {

// Throws std::invalid_argument for an unknown backend, std::runtime_error when the worker is
// missing or (cuda) there is no driver, GPU or toolkit to probe with.
EvaluatorConfig evaluatorConfigFor(const std::string& backend, const hw::HardwareInfo& cpu);

// The ceilings that bound one problem's kernels. A problem with a bf16 input may do its
// arithmetic on bf16 units (GPU tensor cores; AVX512-BF16 dot products or AMX on a CPU), so its
// compute peak is c.tensorGflops where that is higher than the fp32 FMA peak: otherwise a
// tensor-core GEMM would be "faster than the floor" and rejected. Every other problem keeps c.
profile::Ceilings ceilingsForProblem(const profile::Ceilings& c, const problem::Problem& p);

}  // namespace kevo::eval

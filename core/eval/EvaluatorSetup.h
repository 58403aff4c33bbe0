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

}  // namespace kevo::eval

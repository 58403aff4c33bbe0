// The bundled problem library (resources/problems/) and how a command-line argument names a
// problem: a bundled id ("softmax") or a path to a problem folder.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "problem/Problem.h"

namespace kevo::problem {

std::filesystem::path bundledProblemsDir();

// Folders of the bundled library, sorted by name.
std::vector<std::filesystem::path> bundledProblemDirs();

// "softmax" -> the bundled folder; "./dir" or any existing directory -> that folder.
// Throws ProblemError naming the known ids when nothing matches.
std::filesystem::path resolveProblemDir(const std::string& idOrPath);

}  // namespace kevo::problem

// The kevo-cli commands; each returns an exit code of CliSupport.h. docs/cli.md documents them.
#pragma once

#include <string>
#include <vector>

#include "CliSupport.h"
#include "eval/EvaluationResult.h"
#include "search/SearchRunner.h"
#include "search/SearchTree.h"
#include "store/SessionStore.h"

namespace kevo::cli {

int runProblemsCommand(const std::vector<std::string>& args);
int runHwCommand(const std::vector<std::string>& args);
int runEvalCommand(const std::vector<std::string>& args);
int runBuildCommand(const std::vector<std::string>& args);
int runSurveyCommand(const std::vector<std::string>& args);
int runBenchCommand(const std::vector<std::string>& args);
int runSearchCommand(const std::vector<std::string>& args);
int runShowCommand(const std::vector<std::string>& args);
int runExportCommand(const std::vector<std::string>& args);
int runSteerCommand(const std::vector<std::string>& args);
int runProfileCommand(const std::vector<std::string>& args);
int runSanitizeCommand(const std::vector<std::string>& args);

// A session's search tree, and its search configuration (InputError naming `file` when the
// session holds no search or a damaged one).
search::SearchTree loadTree(const store::SessionStore& s);
search::SearchConfig loadConfig(const store::SessionStore& s, const std::string& file);
// The node --best or --node N names in `tree` (UsageError / InputError naming `command`).
int64_t chosenNode(const search::SearchTree& tree, const Args& args, const std::string& file,
                   const std::string& command);

// The readable report of one evaluation (shared by eval and survey).
void printEvaluation(const eval::EvaluationResult& result);
// Appends an evaluation (made on `backend`: cpu or cuda) to a session file (created if missing).
void recordInSession(const std::string& sessionPath, const eval::EvaluationResult& result,
                     const std::string& source, const std::string& flags,
                     const std::string& backend);

}  // namespace kevo::cli

// kevo-cli: Kevo without a window. Every command prints a table, or one JSON document with
// --json (docs/cli.md); exit codes say what went wrong without parsing the text.
#include <iostream>
#include <string>
#include <vector>

#include "CliSupport.h"
#include "Commands.h"
#include "eval/Evaluator.h"
#include "problem/Problem.h"
#include "store/SessionError.h"

namespace {

const char* kUsage = R"(kevo-cli: search-based kernel optimization, headless

usage: kevo-cli <command> [options]

  problems [--json]                       the bundled problem library, one line each
  problems validate DIR|ID... [--all]     check problem folders: spec, reference, baseline,
            [--spec-only] [--json]        and canary kernels that must fail
  hw [--reprobe] [--json]                 this machine: CPU, ISA, caches, measured ceilings
  hw --backend cuda [--reprobe] [--json]  GPU 0 and its measured ceilings
  eval --problem ID|DIR --source FILE     evaluate a kernel: verdict, per shape set time,
       [--shape-set NAME]... [--seed N]   speedup over the baseline, GB/s, GFLOP/s,
       [--flags "..."] [--timeout SEC]    % of roofline floor, bottleneck
       [--no-baseline] [--session FILE] [--backend cpu|cuda] [--json]
  build --source FILE [--backend cpu|cuda] [--arch sm_XX] [--flags "..."] [--json]
                                          compile only (no GPU needed): diagnostics, the
                                          launch plan, registers and spills per CUDA kernel
  survey [--problem ID]... [--shape-set NAME]... [--session FILE] [--backend B] [--json]
                                          evaluate every bundled problem's reference and
                                          baseline: where each stands against the roofline
  search --problem ID|DIR -o FILE [--policy mcts|evolve|greedy|random] [--budget N]
         [--seed N] [--batch N] [--operator adaptive|round-robin|fixed:OP]
         [--time-limit SEC] [--plateau N] [--shape-set NAME]... [--replace]
         [--backend cpu|cuda] [--json]
                                          search for fast kernels; every node goes to FILE
  search --resume FILE [--budget N]       continue a search (also after kill -9)
  show FILE [--tree] [--node N] [--json]  a session: summary, ASCII tree, one node in full
  export FILE --best|--node N -o OUT      write a node's kernel source
  steer FILE prune|unprune|pin|unpin N    steer a search (running or not): applied between
  steer FILE expand N [--operator OP] [--hint TEXT]   steps, recorded with who and when
  steer FILE edit N --source F            evaluate your edit as a child of node N
  steer FILE pause|resume|step|set [--params JSON]
  bench harness [--problem ID]... [--evals N] [--backend cpu|cuda] [--json]
  profile --problem P --source F | FILE --node N|--best
                  [--shape-set S] [--json]   one CUDA kernel under Nsight Compute (ncu)
  sanitize --problem P --source F | FILE --node N|--best|--finalists K
                  [--tool memcheck,racecheck,initcheck] [--json]   compute-sanitizer
                                          evaluation overhead and evaluations per minute

exit codes: 0 ok, 1 a verdict or check is not ok, 2 usage, 3 bad input file,
            4 environment (compiler, worker, broken reference)
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace kevo::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "problems") return runProblemsCommand(rest);
    if (command == "hw") return runHwCommand(rest);
    if (command == "eval") return runEvalCommand(rest);
    if (command == "build") return runBuildCommand(rest);
    if (command == "survey") return runSurveyCommand(rest);
    if (command == "bench") return runBenchCommand(rest);
    if (command == "search") return runSearchCommand(rest);
    if (command == "show") return runShowCommand(rest);
    if (command == "export") return runExportCommand(rest);
    if (command == "steer") return runSteerCommand(rest);
    if (command == "profile") return runProfileCommand(rest);
    if (command == "sanitize") return runSanitizeCommand(rest);
    std::cerr << "kevo-cli: unknown command \"" << command << "\"\n\n" << kUsage;
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "kevo-cli " << command << ": " << e.what() << "\n(see kevo-cli --help)\n";
    return kExitUsage;
  } catch (const std::invalid_argument& e) {
    std::cerr << "kevo-cli " << command << ": " << e.what() << "\n";
    return kExitUsage;
  } catch (const InputError& e) {
    std::cerr << "kevo-cli " << command << ": " << e.what() << "\n";
    return kExitInput;
  } catch (const kevo::problem::ProblemError& e) {
    std::cerr << "kevo-cli " << command << ": the problem spec is broken:\n" << e.what() << "\n";
    return kExitInput;
  } catch (const kevo::store::SessionError& e) {
    std::cerr << "kevo-cli " << command << ": " << e.what() << "\n";
    return kExitInput;
  } catch (const kevo::eval::EvaluationSetupError& e) {
    std::cerr << "kevo-cli " << command << ": " << e.what() << "\n";
    return kExitEnvironment;
  } catch (const std::exception& e) {
    std::cerr << "kevo-cli " << command << ": " << e.what() << "\n";
    return kExitEnvironment;
  }
}

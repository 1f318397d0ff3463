// lingerlab's exit codes, documented in README.md and `lingerlab --help`.
#pragma once

namespace lingerlab {

constexpr int kExitOk = 0;           // every case completed and none deviates
constexpr int kExitDeviation = 1;    // a case's outcome differs from its expected table
constexpr int kExitUsage = 2;        // bad command line, matrix, expected or results file
constexpr int kExitEnvironment = 3;  // cannot run here: privileges, tools, agent binary
constexpr int kExitCaseError = 4;    // a case did not complete (lost agent, target failure)
constexpr int kExitResultsLost = 5;  // results.json could not be written (cases/ has each case)
constexpr int kExitInterrupted = 130;

}  // namespace lingerlab

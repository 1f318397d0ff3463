// What a run takes when the command line leaves it out: repository files
// found from the install or the source tree, the agent binary beside lingerlab, a random run
// id, a fresh results/run-<time> directory. Shared by the run pipeline and
// the other subcommands; nothing here keeps state.
#pragma once

#include <string>

#include "agents/base/result.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

// A repository path (matrix/..., matrix/expected): relative to the working
// directory if it exists there, else to the installed data beside the binary,
// else to the source tree lingerlab was built from (data_paths.h).
std::string RepoPath(const std::string& relative);

// --expected-dir as given (through RepoPath), or the matrix's own directory of tables.
std::string ExpectedDirFor(const std::string& option, const Matrix& matrix);

// lingerlab-agent in the directory of the running binary (CMake puts both
// in bin/); the bare name when /proc/self/exe cannot be read.
std::string AgentBesideUs();

// Eight hex digits: names a run's namespaces and lock (netns_lab.h).
std::string RandomRunId();

// results/run-<UTC time>, created exclusively: a second run started in the
// same second gets results/run-<UTC time>-2 (results_writer.h).
Result<std::string> CreateDefaultOutDir();

}  // namespace lingerlab

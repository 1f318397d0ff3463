// The subcommands of `lingerlab`. Each returns a process exit code
// (exit_codes.h) and reports problems in one clear line on the log.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "suite/cli/color.h"
#include "suite/run/pipeline.h"
#include "suite/run/saved_results.h"

namespace lingerlab {

class StatusLineSink;  // progress.h

std::string VersionString();
// `--tap -`: TAP owns stdout, so the lines commands print there (the
// summary of run and check) go to stderr instead.
void PrintLinesToStderr();
// --color: whether `run` and `check` colour their verdict words (color.h);
// decided for where the lines go, so call after PrintLinesToStderr.
void SetColorMode(ColorMode mode);

// `lingerlab run`'s options: the pipeline's request (suite/run/pipeline.h)
// and how progress is shown.
struct RunArgs : RunRequest {
  // The terminal's status line (main.cc, when stderr is a terminal and not
  // -q); null: progress as plain log lines.
  std::shared_ptr<StatusLineSink> status_line;
};
// `lingerlab check`: the re-analysis (suite/run/saved_results.h) and where
// its product is written.
struct CheckArgs : CheckRequest {
  std::string write_back;
  std::string junit;
  std::string tap;    // "-": stdout
  bool json = false;  // print CheckJson (doc/json-output.md) instead of the case lines
};
struct DiffArgs : DiffRequest {
  bool json = false;  // print DiffJson instead of the change lines
};
using ReportArgs = ReportRequest;

int CmdRun(const RunArgs& args);
// `json`: ListJson (doc/json-output.md) instead of a line per case.
int CmdList(const std::string& matrix, bool as_json);
int CmdClean(const std::string& target);
int CmdCheck(const CheckArgs& args);
int CmdReport(const ReportArgs& args);
// One case of a results file as a timeline on the terminal (calls and
// packets in time order, suite/report/case_timeline.h); 2 if it is not there.
// A --repeat run: `repetition` K (or the stem's "__r<K>"), 0 for the first.
int CmdShow(const std::string& results, const std::string& case_id, const std::string& matrix,
            int repetition = 0);
// Per case, the claims that changed from BASE to NEW (suite/expect/run_diff.h);
// exit 1 when any did, 0 when none, 2 for a bad file.
int CmdDiff(const DiffArgs& args);
// Writes a new pre-shared key for remote agents (doc/protocol.md §7).
int CmdKeygen(const std::string& path);

}  // namespace lingerlab

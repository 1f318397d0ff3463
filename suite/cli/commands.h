// The subcommands of `lingerlab`. Each returns a process exit code
// (exit_codes.h) and reports problems in one clear line on the log.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "suite/run/pipeline.h"

namespace lingerlab {

class StatusLineSink;  // progress.h

std::string VersionString();

// `lingerlab run`'s options: the pipeline's request (suite/run/pipeline.h)
// and how progress is shown.
struct RunArgs : RunRequest {
  // The terminal's status line (main.cc, when stderr is a terminal and not
  // -q); null: progress as plain log lines.
  std::shared_ptr<StatusLineSink> status_line;
};
struct CheckArgs {
  std::string results;
  std::string matrix = "matrix/so_linger.json";
  std::string expect_family;
  std::string expected_dir;  // "": the matrix's own (Matrix::expected_dir)
  std::string write_back;
  std::string junit;
};
struct DiffArgs {
  std::string base, now;  // two results files of the same matrix
  std::string matrix = "matrix/so_linger.json";
  std::string
      cases;  // "": every case; else only these ids (a run of a few cases against a full one)
  std::string expect_family;
  std::string expected_dir;  // "": the matrix's own (Matrix::expected_dir)
};
struct ReportArgs {
  std::vector<std::string> results;
  std::string matrix = "matrix/so_linger.json";
  std::string format = "md";
  std::string expected_dir;  // "": the matrix's own (Matrix::expected_dir)
  std::string out;
};

int CmdRun(const RunArgs& args);
int CmdList(const std::string& matrix);
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

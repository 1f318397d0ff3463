// The subcommands of `lingerlab`. Each returns a process exit code
// (exit_codes.h) and reports problems in one clear line on the log.
#pragma once

#include <string>
#include <vector>

#include "suite/target/target.h"

namespace lingerlab {

std::string VersionString();
// A repository path (matrix/..., matrix/expected): relative to the working
// directory if it exists there, else to the source tree lingerlab was built from.
std::string RepoPath(const std::string& relative);

struct RunArgs {
  std::string matrix = "matrix/so_linger.json";
  std::string cases;
  double time_scale = 1.0;
  int jobs = 0;
  std::string out;
  std::string target = "netns";
  std::string agent;
  double case_timeout_s = 0;
  std::string expect_family;
  std::string expected_dir = "matrix/expected";
  std::string run_id;      // "" = random
  bool overwrite = false;  // replace results.json in an existing --out
  RemoteAgentsConfig remote;  // --target remote
  QemuConfig qemu;            // --target qemu
};
struct CheckArgs {
  std::string results;
  std::string matrix = "matrix/so_linger.json";
  std::string expect_family;
  std::string expected_dir = "matrix/expected";
  std::string write_back;
};
struct ReportArgs {
  std::vector<std::string> results;
  std::string matrix = "matrix/so_linger.json";
  std::string format = "md";
  std::string expected_dir = "matrix/expected";
  std::string out;
};

int CmdRun(const RunArgs& args);
int CmdList(const std::string& matrix);
int CmdClean(const std::string& target);
int CmdCheck(const CheckArgs& args);
int CmdReport(const ReportArgs& args);
// Writes a new pre-shared key for remote agents (doc/protocol.md §7).
int CmdKeygen(const std::string& path);

}  // namespace lingerlab

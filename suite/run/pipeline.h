// RunPipeline: one run of a matrix on a target, from the request to the
// written results, in five stages:
//
//   prepare  load the matrix, select the cases, load the expected tables,
//            check the output paths, make the target and check it is usable
//   probe    reach the agents once (targets that ask for it), sweep the
//            leftovers of dead runs
//   execute  create and lock the output directory, run the cases (each one
//            analysed and written to cases/ as it ends), release the agents
//   analyze  analyse what is left unanalysed, summarise
//   persist  write results.json (and results/latest), remove what is left
//            of the run on the target, write the JUnit and TAP files (TAP
//            on stdout for `--tap -`, the one thing the pipeline prints)
//
// The pipeline owns the target and the output directory's lock while it
// runs; SIGINT/SIGTERM/SIGHUP are caught from the first case to the end of
// persist, so an interrupted run still tears down and writes its results.
// It logs what a person watching wants to know (agents found, leftovers
// swept, the run starting) and tells a RunObserver about progress and the
// final results; it prints nothing itself and knows no exit code (the
// caller maps RunEnd).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/coordinator/run.h"
#include "suite/matrix/matrix.h"
#include "suite/targets/target.h"

namespace lingerlab {

// What to run, as `lingerlab run` takes it.
struct RunRequest {
  std::string matrix = "matrix/so_linger.json";
  std::string cases;
  double time_scale = 1.0;
  int repeat = 1;                       // --repeat: each case this many times (RunOptions::repeat)
  std::string close_mode = "blocking";  // or "nonblocking": the run's variant (matrix.h)
  int jobs = 0;
  std::string out;
  std::string target = "netns";
  int ip = 4;  // --ip: the test link's IP version (6: --target netns only)
  std::string agent;
  double case_timeout_s = 0;
  std::string expect_family;
  std::string expected_dir;   // "": the matrix's own (Matrix::expected_dir)
  std::string run_id;         // "" = random
  bool overwrite = false;     // replace results.json in an existing --out
  std::string junit;          // also write JUnit XML here (doc/junit.xsd)
  std::string tap;            // also write TAP here, "-": stdout (doc/tap.md)
  RemoteAgentsConfig remote;  // --target remote
  QemuConfig qemu;            // --target qemu
};

// Whoever watches a run (the CLI's progress display and summary).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // The cases are about to start, `jobs` at a time (0: RunMatrix's default).
  virtual void CasesStarting(const std::vector<MatrixCase>& cases, double time_scale,
                             size_t jobs) = 0;
  // A case started or finished; called from the run's worker threads.
  virtual void CaseEvent(const CaseProgress& event) = 0;
  // Every case has ended; no CaseEvent follows.
  virtual void CasesEnded() = 0;
  // The analysed results, after the target has removed what was left of the
  // run. `path` is where they were written, or ends in "(NOT WRITTEN)".
  virtual void ResultsReady(const nlohmann::json& results, const std::string& path) = 0;
};

// How a run ended. kCompleted: every stage ran (cases may still have
// errored, deviated or been interrupted: see the results).
enum class RunEnd {
  kCompleted,
  kBadRequest,   // bad request, matrix, expected table or output path
  kEnvironment,  // cannot run here: privileges, tools, agents
  kResultsLost,  // the cases ran but results.json, the JUnit or TAP file was not written
};

struct RunOutcome {
  RunEnd end = RunEnd::kCompleted;
  std::string error;       // otherwise: one line saying why, for the log
  nlohmann::json results;  // kCompleted, kResultsLost: the analysed results document
};

// Runs the stages in order and stops at the first that fails. Whatever the
// run made (the target's labs and agents, the output directory's lock) is
// released before it returns.
RunOutcome RunPipeline(const RunRequest& request, RunObserver& observer);

}  // namespace lingerlab

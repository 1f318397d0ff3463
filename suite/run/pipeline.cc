#include "suite/run/pipeline.h"

#include <atomic>
#include <filesystem>
#include <optional>

#include <spdlog/spdlog.h>

#include "agents/base/clock.h"
#include "agents/protocol/protocol.h"
#include "suite/coordinator/results_writer.h"
#include "suite/expect/stability.h"
#include "suite/run/analyzer.h"
#include "suite/run/defaults.h"
#include "suite/run/junit_file.h"
#include "suite/run/signal_watcher.h"
#include "suite/run/tap_file.h"

#ifndef LINGERLAB_VERSION
#define LINGERLAB_VERSION "unknown"
#endif
#ifndef LINGERLAB_GIT_COMMIT
#define LINGERLAB_GIT_COMMIT "unknown"
#endif

namespace lingerlab {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A stage that failed: how the run ends and why.
struct Stop {
  RunEnd end;
  std::string error;
};
using StageResult = std::optional<Stop>;

Stop BadRequest(std::string error) { return {RunEnd::kBadRequest, std::move(error)}; }

bool HoldsResults(const std::string& dir) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(fs::path(dir) / "results.json", ec));
}

// What the stages hand on to each other.
struct RunState {
  // prepare
  std::optional<Matrix> matrix;
  std::vector<MatrixCase> cases;
  std::optional<Analyzer> analyzer;
  std::unique_ptr<Target> target;
  // probe
  json probed_agents = nullptr;
  // execute
  bool default_out = false;
  std::string out_dir;
  std::optional<OutputDirLock> out_lock;  // held until the run returns: one run per directory
  RunOptions options;
  std::atomic<bool> cancelled{false};
  json results;
};

StageResult Prepare(const RunRequest& request, RunState& run);
StageResult Probe(RunState& run);
// Execute, in two parts: the output directory before signals are caught,
// the cases after.
StageResult OpenOutput(const RunRequest& request, RunState& run);
void RunCases(RunState& run, RunObserver& observer);
void Analyze(const RunRequest& request, RunState& run);
StageResult Persist(const RunRequest& request, RunState& run, RunObserver& observer);

RunOutcome Stopped(const Stop& stop, json results = nullptr) {
  return RunOutcome{stop.end, stop.error, std::move(results)};
}

}  // namespace

RunOutcome RunPipeline(const RunRequest& request, RunObserver& observer) {
  RunState run;
  if (StageResult stop = Prepare(request, run)) return Stopped(*stop);
  if (StageResult stop = Probe(run)) return Stopped(*stop);
  if (StageResult stop = OpenOutput(request, run)) return Stopped(*stop);
  {
    // Signals stay caught until the results are written and the target has
    // removed what is left: a second Ctrl-C must not cost the results file.
    SignalWatcher signals(run.cancelled);
    RunCases(run, observer);
    Analyze(request, run);
    if (StageResult stop = Persist(request, run, observer)) return Stopped(*stop, run.results);
  }
  return RunOutcome{RunEnd::kCompleted, "", run.results};
}

namespace {

StageResult Prepare(const RunRequest& request, RunState& run) {
  // Only the netns lab chooses its own addresses; the others' are IPv4 by
  // construction (gvisor, qemu) or whatever the user gave (remote).
  if (request.ip != 4 && request.target != "netns")
    return BadRequest("--ip " + std::to_string(request.ip) + " is only for --target netns" +
                      (request.target == "remote"
                           ? " (--target remote uses the family of --server-test-address: give "
                             "it an IPv6 address for IPv6)"
                           : ""));
  auto loaded = LoadMatrix(RepoPath(request.matrix));
  if (!loaded.ok()) return BadRequest(loaded.error().message);
  run.matrix = std::move(*loaded);
  auto selected = SelectCases(*run.matrix, request.cases);
  if (!selected.ok()) return BadRequest(selected.error().message);
  run.cases = std::move(*selected);
  auto made = MakeAnalyzer(request.expected_dir, request.expect_family, *run.matrix);
  if (!made.ok()) return BadRequest(made.error().message);
  run.analyzer = std::move(*made);
  // An explicit --out that already holds results is refused unless
  // --overwrite says replacing them is intended (checked again under the
  // directory's lock, in OpenOutput: another run may be writing it now).
  if (!request.out.empty() && !request.overwrite && HoldsResults(request.out))
    return BadRequest(request.out +
                      " already holds results.json; choose another --out, or pass --overwrite "
                      "to replace it");
  if (!request.junit.empty()) {
    if (Status s = CheckOutputPath(request.junit); !s.ok())
      return BadRequest("--junit: " + s.message());
  }
  const std::string agent = request.agent.empty() ? AgentBesideUs() : request.agent;
  TargetConfig config =
      TargetConfig::For(agent, request.run_id.empty() ? RandomRunId() : request.run_id);
  config.ip = request.ip;
  config.remote = request.remote;
  config.qemu = request.qemu;
  auto made_target = MakeTarget(request.target, config);
  if (!made_target.ok()) return BadRequest(made_target.error().message);
  run.target = std::move(*made_target);
  if (Status s = run.target->CheckUsable(); !s.ok()) {
    // A target's options that are missing or malformed (--target remote
    // without --server-agent, a port that is not a number) are a bad
    // request; the rest is this machine or the agents.
    return Stop{s.code() == ErrorCode::kInvalidInput ? RunEnd::kBadRequest : RunEnd::kEnvironment,
                s.message()};
  }
  return std::nullopt;
}

StageResult Probe(RunState& run) {
  if (run.target->ProbeAgentsBeforeRun()) {
    auto probed = ProbeAgents(*run.target);
    if (!probed.ok())
      return Stop{RunEnd::kEnvironment, "cannot use the agents: " + probed.error().message};
    run.probed_agents = *probed;
    for (const char* role : {"server", "client"}) {
      const json& a = run.probed_agents[role];
      const json& p = a["platform"];
      spdlog::info("{} agent {}: {} {} ({}), clock offset {:.3f} ms, round trip {:.3f} ms", role,
                   a.value("endpoint", ""), p.value("os", "?"), p.value("release", "?"),
                   p.value("family", "?"),
                   static_cast<double>(a.value("clock_offset_ns", int64_t{0})) / 1e6,
                   static_cast<double>(a.value("clock_rtt_ns", int64_t{0})) / 1e6);
    }
  }
  if (auto swept = run.target->SweepStale(); swept.ok()) {
    for (const std::string& line : *swept) spdlog::warn("removed leftover of a dead run: {}", line);
  } else {
    spdlog::warn("could not sweep leftovers of earlier runs: {}", swept.error().message);
  }
  return std::nullopt;
}

StageResult OpenOutput(const RunRequest& request, RunState& run) {
  run.default_out = request.out.empty();
  run.out_dir = request.out;
  if (run.default_out) {
    auto created = CreateDefaultOutDir();
    if (!created.ok())
      return BadRequest("cannot create output directory: " + created.error().message);
    run.out_dir = *created;
  } else {
    std::error_code ec;
    fs::create_directories(run.out_dir, ec);
    if (ec)
      return BadRequest("cannot create output directory " + run.out_dir + ": " + ec.message());
  }
  auto lock = OutputDirLock::Acquire(run.out_dir);
  if (!lock.ok()) return BadRequest(lock.error().message + "; choose another --out");
  run.out_lock.emplace(std::move(*lock));
  if (!run.default_out && !request.overwrite && HoldsResults(run.out_dir))
    return BadRequest(run.out_dir + " already holds results.json (written while this run started)");

  run.options.time_scale = request.time_scale;
  run.options.repeat = request.repeat;
  run.options.jobs = request.jobs;
  if (const int most = run.target->MaxParallelCases();
      most > 0 && (run.options.jobs == 0 || run.options.jobs > most) &&
      static_cast<int>(run.cases.size()) * request.repeat > most) {
    spdlog::info("target {} runs at most {} cases at once (--jobs {})", request.target, most, most);
    run.options.jobs = most;
  }
  run.options.case_timeout_s = request.case_timeout_s;
  run.options.out_dir = run.out_dir;
  run.options.matrix_path = request.matrix;
  run.options.variant =
      request.close_mode == "nonblocking" ? kVariantNonblockingClose : kVariantBlockingClose;
  run.options.version = LINGERLAB_VERSION;
  run.options.commit = LINGERLAB_GIT_COMMIT;
  run.options.probed_agents = run.probed_agents;
  // One time scale for the run: RunMatrix writes options.time_scale into
  // environment.time_scale and every case's parameters, and analysis uses it.
  const double scale = run.options.time_scale;
  run.options.post_process = [&run, scale](json& c) { run.analyzer->Analyze(c, scale); };
  spdlog::info("running {} case(s){} of {} at time scale {} on target {}; output in {}",
               run.cases.size(),
               request.repeat > 1 ? " " + std::to_string(request.repeat) + " times each" : "",
               run.matrix->name, request.time_scale, request.target, run.out_dir);
  return std::nullopt;
}

void RunCases(RunState& run, RunObserver& observer) {
  std::vector<MatrixCase> each;  // one entry per repetition: what the observer counts
  for (const RunItem& item : ExpandRepetitions(run.cases, run.options.repeat))
    each.push_back(*item.c);
  observer.CasesStarting(each, run.options.time_scale, static_cast<size_t>(run.options.jobs));
  run.options.on_progress = [&observer](const CaseProgress& e) { observer.CaseEvent(e); };
  run.results = RunMatrix(run.cases, *run.target, run.options, run.cancelled);
  run.options.on_progress = nullptr;
  observer.CasesEnded();
  // Every case has ended: agents that serve other coordinators too may be
  // freed for the next run now rather than after the lease's grace time.
  if (run.target->ProbeAgentsBeforeRun()) {
    if (Status r = ReleaseAgents(*run.target); !r.ok())
      spdlog::warn(
          "could not tell the agents the run is over ({}); they stay reserved for "
          "this run for {} s",
          r.message(), protocol::kLeaseGrace / kNsPerSec);
  }
}

void Analyze(const RunRequest& request, RunState& run) {
  for (json& c : run.results["cases"])
    if (!c.contains("verdict")) run.analyzer->Analyze(c, run.options.time_scale);
  SummarizeResults(run.results);
  AddStabilitySummary(run.results);  // summary.unstable of a --repeat run
  if (!request.expect_family.empty())
    run.results["environment"]["expect_family"] = request.expect_family;
}

StageResult Persist(const RunRequest& request, RunState& run, RunObserver& observer) {
  const std::string path = (fs::path(run.out_dir) / "results.json").string();
  if (Status s = WriteJsonAtomically(path, run.results); !s.ok()) {
    run.target.reset();
    observer.ResultsReady(run.results, path + " (NOT WRITTEN)");
    return Stop{RunEnd::kResultsLost, "the run finished but its results file was not written: " +
                                          s.message() + ". Each finished case's document is in " +
                                          run.out_dir + "/cases/ (if that could be written)."};
  }
  if (run.default_out) {
    if (Status l = ReplaceSymlink("results/latest", fs::path(run.out_dir).filename().string());
        !l.ok())
      spdlog::warn("{}", l.message());
  }
  run.target.reset();  // removes anything of this run still left, releases the run lock
  observer.ResultsReady(run.results, path);
  if (!request.junit.empty()) {
    if (Status j = WriteJunit(request.junit, run.results, *run.matrix); !j.ok())
      return Stop{RunEnd::kResultsLost, "the results are in " + path +
                                            " but the JUnit file was not written: " + j.message()};
  }
  if (Status t = WriteTap(request.tap, run.results, *run.matrix); !t.ok())
    return Stop{RunEnd::kResultsLost,
                "the results are in " + path + " but the TAP was not written: " + t.message()};
  return std::nullopt;
}

}  // namespace

}  // namespace lingerlab

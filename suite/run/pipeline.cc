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

}  // namespace

// What the stages hand on to each other.
struct RunPipeline::State {
  State(const RunRequest& r, RunObserver& o) : request(r), observer(o) {}

  const RunRequest& request;
  RunObserver& observer;

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
  std::optional<OutputDirLock> out_lock;  // held until the pipeline ends: one run per directory
  RunOptions options;
  std::atomic<bool> cancelled{false};
  json results;

  StageResult Prepare();
  StageResult Probe();
  // execute, in two parts: the output directory before signals are caught,
  // the cases after.
  StageResult OpenOutput();
  void RunCases();
  void Analyze();
  StageResult Persist();
};

RunPipeline::RunPipeline(const RunRequest& request, RunObserver& observer)
    : state_(std::make_unique<State>(request, observer)) {}

RunPipeline::~RunPipeline() = default;

RunOutcome RunPipeline::Run() {
  State& s = *state_;
  auto stopped = [](const Stop& stop, json results = nullptr) {
    return RunOutcome{stop.end, stop.error, std::move(results)};
  };
  if (StageResult stop = s.Prepare()) return stopped(*stop);
  if (StageResult stop = s.Probe()) return stopped(*stop);
  if (StageResult stop = s.OpenOutput()) return stopped(*stop);
  {
    // Signals stay caught until the results are written and the target has
    // removed what is left: a second Ctrl-C must not cost the results file.
    SignalWatcher signals(s.cancelled);
    s.RunCases();
    s.Analyze();
    if (StageResult stop = s.Persist()) return stopped(*stop, s.results);
  }
  return RunOutcome{RunEnd::kCompleted, "", s.results};
}

StageResult RunPipeline::State::Prepare() {
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
  matrix = std::move(*loaded);
  auto selected = SelectCases(*matrix, request.cases);
  if (!selected.ok()) return BadRequest(selected.error().message);
  cases = std::move(*selected);
  auto made = MakeAnalyzer(request.expected_dir, request.expect_family, *matrix);
  if (!made.ok()) return BadRequest(made.error().message);
  analyzer = std::move(*made);
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
  target = std::move(*made_target);
  if (Status s = target->CheckUsable(); !s.ok()) {
    // A target's options that are missing or malformed (--target remote
    // without --server-agent, a port that is not a number) are a bad
    // request; the rest is this machine or the agents.
    return Stop{s.code() == ErrorCode::kInvalidInput ? RunEnd::kBadRequest : RunEnd::kEnvironment,
                s.message()};
  }
  return std::nullopt;
}

StageResult RunPipeline::State::Probe() {
  if (target->ProbeAgentsBeforeRun()) {
    auto probed = ProbeAgents(*target);
    if (!probed.ok())
      return Stop{RunEnd::kEnvironment, "cannot use the agents: " + probed.error().message};
    probed_agents = *probed;
    for (const char* role : {"server", "client"}) {
      const json& a = probed_agents[role];
      const json& p = a["platform"];
      spdlog::info("{} agent {}: {} {} ({}), clock offset {:.3f} ms, round trip {:.3f} ms", role,
                   a.value("endpoint", ""), p.value("os", "?"), p.value("release", "?"),
                   p.value("family", "?"),
                   static_cast<double>(a.value("clock_offset_ns", int64_t{0})) / 1e6,
                   static_cast<double>(a.value("clock_rtt_ns", int64_t{0})) / 1e6);
    }
  }
  if (auto swept = target->SweepStale(); swept.ok()) {
    for (const std::string& line : *swept) spdlog::warn("removed leftover of a dead run: {}", line);
  } else {
    spdlog::warn("could not sweep leftovers of earlier runs: {}", swept.error().message);
  }
  return std::nullopt;
}

StageResult RunPipeline::State::OpenOutput() {
  default_out = request.out.empty();
  out_dir = request.out;
  if (default_out) {
    auto created = CreateDefaultOutDir();
    if (!created.ok())
      return BadRequest("cannot create output directory: " + created.error().message);
    out_dir = *created;
  } else {
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) return BadRequest("cannot create output directory " + out_dir + ": " + ec.message());
  }
  auto lock = OutputDirLock::Acquire(out_dir);
  if (!lock.ok()) return BadRequest(lock.error().message + "; choose another --out");
  out_lock.emplace(std::move(*lock));
  if (!default_out && !request.overwrite && HoldsResults(out_dir))
    return BadRequest(out_dir + " already holds results.json (written while this run started)");

  options.time_scale = request.time_scale;
  options.repeat = request.repeat;
  options.jobs = request.jobs;
  if (const int most = target->MaxParallelCases();
      most > 0 && (options.jobs == 0 || options.jobs > most) &&
      static_cast<int>(cases.size()) * request.repeat > most) {
    spdlog::info("target {} runs at most {} cases at once (--jobs {})", request.target, most, most);
    options.jobs = most;
  }
  options.case_timeout_s = request.case_timeout_s;
  options.out_dir = out_dir;
  options.matrix_path = request.matrix;
  options.variant =
      request.close_mode == "nonblocking" ? kVariantNonblockingClose : kVariantBlockingClose;
  options.version = LINGERLAB_VERSION;
  options.commit = LINGERLAB_GIT_COMMIT;
  options.probed_agents = probed_agents;
  // One time scale for the run: RunMatrix writes options.time_scale into
  // environment.time_scale and every case's parameters, and analysis uses it.
  const double scale = options.time_scale;
  options.post_process = [this, scale](json& c) { analyzer->Analyze(c, scale); };
  spdlog::info("running {} case(s){} of {} at time scale {} on target {}; output in {}",
               cases.size(),
               request.repeat > 1 ? " " + std::to_string(request.repeat) + " times each" : "",
               matrix->name, request.time_scale, request.target, out_dir);
  return std::nullopt;
}

void RunPipeline::State::RunCases() {
  std::vector<MatrixCase> each;  // one entry per repetition: what the observer counts
  for (const RunItem& item : ExpandRepetitions(cases, options.repeat)) each.push_back(*item.c);
  observer.CasesStarting(each, options.time_scale, static_cast<size_t>(options.jobs));
  options.on_progress = [this](const CaseProgress& e) { observer.CaseEvent(e); };
  results = RunMatrix(cases, *target, options, cancelled);
  options.on_progress = nullptr;
  observer.CasesEnded();
  // Every case has ended: agents that serve other coordinators too may be
  // freed for the next run now rather than after the lease's grace time.
  if (target->ProbeAgentsBeforeRun()) {
    if (Status r = ReleaseAgents(*target); !r.ok())
      spdlog::warn(
          "could not tell the agents the run is over ({}); they stay reserved for "
          "this run for {} s",
          r.message(), protocol::kLeaseGrace / kNsPerSec);
  }
}

void RunPipeline::State::Analyze() {
  for (json& c : results["cases"])
    if (!c.contains("verdict")) analyzer->Analyze(c, options.time_scale);
  SummarizeResults(results);
  AddStabilitySummary(results);  // summary.unstable of a --repeat run
  if (!request.expect_family.empty())
    results["environment"]["expect_family"] = request.expect_family;
}

StageResult RunPipeline::State::Persist() {
  const std::string path = (fs::path(out_dir) / "results.json").string();
  if (Status s = WriteJsonAtomically(path, results); !s.ok()) {
    target.reset();
    observer.ResultsReady(results, path + " (NOT WRITTEN)");
    return Stop{RunEnd::kResultsLost, "the run finished but its results file was not written: " +
                                          s.message() + ". Each finished case's document is in " +
                                          out_dir + "/cases/ (if that could be written)."};
  }
  if (default_out) {
    if (Status l = ReplaceSymlink("results/latest", fs::path(out_dir).filename().string()); !l.ok())
      spdlog::warn("{}", l.message());
  }
  target.reset();  // removes anything of this run still left, releases the run lock
  observer.ResultsReady(results, path);
  if (!request.junit.empty()) {
    if (Status j = WriteJunit(request.junit, results, *matrix); !j.ok())
      return Stop{RunEnd::kResultsLost, "the results are in " + path +
                                            " but the JUnit file was not written: " + j.message()};
  }
  return std::nullopt;
}

}  // namespace lingerlab

// RunMatrix: runs a set of cases in parallel on a target and assembles the
// results document (doc/results-format.md). Cases run `jobs` at a time, each
// with its own hosts, addresses and capture. Interruption (the `cancelled`
// flag, set from a signal) kills the running cases' agents by pid, lets every
// case tear down, and still returns a complete document in which the cases
// that did not finish are "error: interrupted".
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/matrix/matrix.h"
#include "suite/targets/target.h"

namespace lingerlab {

// A case starting or finishing, for a progress display (RunOptions::on_progress).
struct CaseProgress {
  enum Kind { kStarted, kFinished } kind = kStarted;
  std::string id;
  bool failed = false;  // kFinished: the case errored or deviates from its expected table
  int repetition = 0;   // CaseContext::repetition: 0 without --repeat
};

struct RunOptions {
  double time_scale = 1.0;
  // `run --repeat N`: every case runs N times in this one run, each
  // repetition its own case document ("repetition": K, doc/results-format.md).
  // 1: as without --repeat (no repetition fields, today's names).
  int repeat = 1;
  int jobs = 0;               // 0: DefaultJobs(cases)
  int setup_slots = 0;        // cases setting up or tearing down at once; 0: DefaultSetupSlots()
  double case_timeout_s = 0;  // 0: each case's budget + kCaseSlackS
  std::string out_dir;        // pcaps/ and cases/ go here (results.json: the caller)
  std::string matrix_path;
  std::string variant = kVariantBlockingClose;  // `--close-mode` (matrix.h)
  std::string version;  // lingerlab version and commit, for the environment block
  std::string commit;
  // Derives outcome and verdict for a finished case (classify + compare);
  // may be empty.
  std::function<void(nlohmann::json& case_doc)> post_process;
  // What ProbeAgents() found, recorded as environment.agents; null: taken
  // from the first case that reached its agents.
  nlohmann::json probed_agents;
  // Called from the worker threads as each case starts and finishes (after
  // post_process); may be empty.
  std::function<void(const CaseProgress&)> on_progress;
  // Test hook, passed to each case (CaseContext::on_settle).
  std::function<void(pid_t server, pid_t client)> on_settle;
};

// Each case's document is written, atomically, to
// <out_dir>/cases/<id>__<name>.json as soon as the case has finished (after
// post_process), so a run whose results.json cannot be written, or that is
// killed, loses no finished case.
// Repetition K >= 1 of a --repeat run: <id>__<name>__r<K>.json (CaseStem).
Result<std::string> CaseDocPath(const std::string& out_dir, const MatrixCase& c,
                                int repetition = 0);

// One unit of work of a run: a case, and which repetition of it (0: the run
// has no --repeat).
struct RunItem {
  const MatrixCase* c = nullptr;
  int repetition = 0;
};
// The run's work in document order: each case's repetitions 1..repeat
// together, cases in the given order; repeat <= 1 gives each case once with
// repetition 0.
std::vector<RunItem> ExpandRepetitions(const std::vector<MatrixCase>& cases, int repeat);

// --jobs 0: as many cases at once as this machine holds. A running case is
// mostly waiting (its scenario's pauses and reads), so cores do not bound
// it -- the set-up slots below keep the busy part in check; descriptors do:
// each running case holds about kDescriptorsPerCase (control sockets,
// capture, namespace and pid descriptors, the agents' pipes), so
// min(cases, (RLIMIT_NOFILE soft limit - 64) / kDescriptorsPerCase).
constexpr int kDescriptorsPerCase = 16;
size_t DefaultJobs(size_t cases);
// Cases setting up or tearing down at once: the machine's cores, at least 2.
int DefaultSetupSlots();

nlohmann::json RunMatrix(const std::vector<MatrixCase>& cases, Target& target,
                         const RunOptions& options, std::atomic<bool>& cancelled);

// Reaches both agents of a target once, before any case (for targets whose
// ProbeAgentsBeforeRun() is true): provisions a lab, connects and
// authenticates each agent, does the protocol's hello, estimates its clock
// offset, and says bye. Returns {"server": {...}, "client": {...}}, each with
// the agent's endpoint, platform, version, clock offset and round trip.
// Fails naming the agent and the reason: unreachable, wrong key, protocol
// mismatch, busy.
Result<nlohmann::json> ProbeAgents(Target& target);

// Tells both agents the run is over (bye with "release", doc/protocol.md
// §3.2), so a --listen agent frees the run's lease at once rather than after
// its grace time and the next run need not wait. For the same targets as
// ProbeAgents, after the last case; best effort: the lease lapses anyway.
Status ReleaseAgents(Target& target);

// Recomputes the "summary" block of a results document from its cases:
// counts per status, and per verdict status except "error" (a case whose
// verdict is error is already counted by its status), and "warnings": the
// number of cases with warnings, present only when there are some.
void SummarizeResults(nlohmann::json& results);

// "2026-11-21T12:00:00.123Z"
std::string IsoTimeUtc(int64_t real_ns);

}  // namespace lingerlab

// CaseRunner: runs one matrix case from start to end — provision the hosts,
// start the capture and both agents, perform the steps of the case's
// scenario (data from the matrix file, suite/matrix/scenario.h), let late packets settle, tear down
// — and returns the case's results JSON. It never throws and never aborts the run: a failed syscall
// is recorded as an event, a lost agent or a broken target makes the case's status "error" with the
// reason. Except where the agent is the stack under test (CaseLab::AgentIsStack): an agent that
// exits during a step, or does not answer within the step's bound, is then the stack's own outcome
// (a "stack_fault" event and case field, doc/results-format.md), and the case ends "completed".
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/clock.h"
#include "suite/coordinator/setup_gate.h"
#include "suite/matrix/matrix.h"
#include "suite/targets/target.h"

namespace lingerlab {

// Fixed slack added to a case's own time budget to form its deadline: covers
// kernel timers that do not scale (BSD's 120 s lsock linger block) and slow
// machines. `--case-timeout` overrides the whole deadline.
constexpr double kCaseSlackS = 150.0;
// Bound for steps that should return at once (socket, bind, accept, ...).
constexpr int64_t kQuickStepTimeoutNs = 5 * kNsPerSec;
// On a side whose agent is the stack under test (CaseLab::AgentIsStack),
// close() is bounded by the case's applied linger time plus this margin, not
// by the case's budget: the stack's own source bounds its close() by the
// linger time (lwIP: tcp_abort once SO_LINGER's seconds have passed), and
// lwIP notices that at its next 500 ms poll_tcp tick, so a close() still
// running 3 s (six ticks, and scheduling on a loaded 2-core machine) past
// its linger time will not return: a stack hang, recorded as the case's
// stack_fault at once rather than after the budget and kCaseSlackS.
constexpr int64_t kStackCloseMarginNs = 3 * kNsPerSec;

// Set-up and teardown (namespaces, links, agents, handshakes) share the
// machine's cores with every running case; a run lets this many cases set
// up or tear down at once, and the rest wait their turn before their clock
// starts (SetupSlots in run.h; the gate: setup_gate.h). Far above 2 on a
// 2-core machine let 340 cases' set-ups push load to 12 and running cases
// past their deadlines.

struct CaseContext {
  Target* target = nullptr;
  int slot = 0;  // unique within the run: picks the addresses
  // 0: the run has no --repeat (names and document as without one); K >= 1:
  // repetition K of a `run --repeat N` run, which names the case's lab,
  // files and document after it (CaseStem, CaseLabName; doc/results-format.md).
  int repetition = 0;
  double time_scale = 1.0;
  double case_timeout_s = 0;                    // 0: the case's budget + kCaseSlackS
  std::string out_dir;                          // results directory; pcaps go to out_dir/pcaps/
  std::string matrix_path;                      // for messages
  std::string variant = kVariantBlockingClose;  // run-time variant (matrix.h)
  const std::atomic<bool>* cancelled = nullptr;
  // Held while the case sets up (until both agents have answered) and while
  // it tears down; null: no limit.
  SetupGate* setup_gate = nullptr;
  // This case's place in the gate's queue: lower sets up first.
  int64_t setup_order = 0;
  // Called with the lab once it exists and with nullptr when it is gone, so
  // an interrupted run can kill the case's agents from another thread.
  std::function<void(CaseLab*)> on_lab;
  // Test hook: called when the settle period begins, with the agents' pids
  // (-1 for an agent that was not started).
  std::function<void(pid_t server, pid_t client)> on_settle;
};

// The case's own time budget at the applied parameters, in seconds.
double CaseBudgetSeconds(const MatrixCase& c, const AppliedParams& a);

nlohmann::json RunCase(const MatrixCase& c, const CaseContext& ctx);

// "04__slow-client__linger-csock-0": file stem for the case's pcap and
// document; repetition K >= 1 appends "__r<K>" (IsSafeName characters only).
std::string CaseStem(const MatrixCase& c, int repetition = 0);
// The name the case's lab is provisioned under (namespaces ll-<run>-<name>-s):
// the case id, or "<id>r<K>" for repetition K, so repetitions of one case
// running at once never share a namespace (still [A-Za-z0-9]+ for the sweep).
std::string CaseLabName(const MatrixCase& c, int repetition = 0);

}  // namespace lingerlab

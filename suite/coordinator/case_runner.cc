#include "suite/coordinator/case_runner.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "agents/base/clock.h"
#include "agents/protocol/protocol.h"
#include "suite/capture/connection_view.h"
#include "suite/coordinator/agent_client.h"
#include "suite/coordinator/case_capture.h"
#include "suite/coordinator/results_writer.h"
#include "suite/matrix/impairment_spec.h"

namespace lingerlab {
namespace {

using nlohmann::json;

constexpr int kClockSamples = 5;
constexpr int64_t kAgentStopGraceNs = 2 * kNsPerSec;
// How far an event's stamps may lie outside the interval in which the
// coordinator sent the request and got the reply, beyond the clock
// offset's own uncertainty (its round trip): scheduling and clock-rate
// differences between hosts. An agent whose stamps stray further (a close
// "blocked" for 28154 s in a 10 s case) is lying or broken, and the case
// says so rather than classify a fiction.
constexpr int64_t kStampSlackNs = kNsPerSec;
// How long a stack fault waits for an agent whose control channel closed to
// be reaped, for its wait status (the channel closes as the process dies).
constexpr int64_t kExitStatusWaitNs = kNsPerSec;

int64_t Ms(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1000.0)); }

// An agent refuses waits beyond protocol::kMaxStepMs (doc/protocol.md §3.3),
// so a long --case-timeout must not turn the time left into a refused read:
// the agent's limit then ends the read first and the case says so.
int64_t AgentLimitMs(int64_t left_ns) {
  return std::clamp<int64_t>(left_ns / kNsPerMs, 1, protocol::kMaxStepMs);
}

// One side of a case: its agent and the log of its events.
struct Side {
  explicit Side(Role r) : role(r) {}
  Role role;
  std::unique_ptr<AgentClient> agent;
  json events = json::array();
  json hello;
  ClockOffset offset;
  pid_t pid = -1;
  bool gone = false;  // its control channel closed (or spoke unasked) before bye
};

class CaseDriver {
 public:
  CaseDriver(const MatrixCase& c, const CaseContext& ctx)
      : c_(c),
        ctx_(ctx),
        applied_(ApplyTimeScale(c, ctx.time_scale)),
        attrs_(CaseAttributes(c, ctx.variant)) {
    StartClock();  // again once the hosts and agents are ready
  }

  json Run();

 private:
  // Performs one step; appends its event to the side's log. Returns the
  // event, or nothing after recording why the case cannot go on.
  std::optional<json> Step(Side& side, const std::string& op, json args, int64_t timeout_ns);
  // On a side whose agent is the stack (CaseLab::AgentIsStack): records a
  // step that ended without a reply (`err`: the agent exited, or no reply
  // within the step's own `bound_ns`, 0 when the case's deadline came
  // first) as the case's stack fault and ends the case. False,
  // recording nothing, on any other side or failure.
  bool RecordStackFault(Side& side, const std::string& op, const json& args, const Error& err,
                        int64_t sent_real, int64_t bound_ns);
  // Whether a stack fault has ended the case (its other agent was killed
  // then, so that agent's interrupted step is no error).
  bool EndedByStackFault() {
    std::lock_guard<std::mutex> lock(mu_);
    return !stack_fault_.is_null();
  }
  int64_t StepBoundNs(const Side& side, const ScenarioStep& step, const json& args) const;
  void Fail(const std::string& why);
  // The case cannot measure what its scenario asks for on this target (a
  // lab step the lab does not support): no further step is performed, and
  // the case is completed and "not_comparable" with the reason, not an error.
  void NotComparable(const std::string& why);
  bool IsNotComparable() {
    std::lock_guard<std::mutex> lock(mu_);
    return !not_comparable_.empty();
  }
  // Performs a lab step ("host": "lab") and records it as an event of the lab.
  void LabStep(const ScenarioStep& step);
  double CaseTime(int64_t real_ns) const { return static_cast<double>(real_ns - t0_real_) / 1e9; }
  // The case's deadline: its budget (or --case-timeout) from now. Called
  // when its hosts and agents are ready, so time spent waiting for a set-up
  // slot or setting up never counts against the case.
  void StartClock() {
    const double budget = ctx_.case_timeout_s > 0 ? ctx_.case_timeout_s
                                                  : CaseBudgetSeconds(c_, applied_) + kCaseSlackS;
    deadline_ = MonotonicNs() + static_cast<int64_t>(budget * kNsPerSec);
  }
  // Sets up the lab and both agents (handshake, clock offset) while holding
  // a set-up slot.
  void SetUp();
  // Fail(why), or Fail("interrupted") when the run is being interrupted:
  // then the agent was killed on purpose, and losing it is no finding.
  void FailUnlessInterrupted(const std::string& why);
  std::string CheckStamps(const json& e, const Side& side, int64_t sent_real,
                          int64_t got_real) const;
  bool Failed();
  int64_t LeftNs() const { return std::max<int64_t>(0, deadline_ - MonotonicNs()); }
  std::optional<json> Variable(const std::string& name);
  int64_t StepTimeoutNs(const std::string& op, const json& args) const;
  void RunSteps(const std::vector<ScenarioStep>& steps);
  void Settle();
  void AgentGone(Side& side, const std::string& what);
  json Annotate(json event, const Side& side) const;
  json CaseJson(json packets, json capture_info, double duration_s);

  const MatrixCase& c_;
  const CaseContext& ctx_;
  AppliedParams applied_;
  std::map<std::string, std::string> attrs_;  // what the steps' "when" tests
  int64_t deadline_ = 0;
  double setup_s_ = 0;  // waiting for a set-up slot, then setting up
  int64_t t0_real_ = 0;
  int port_ = 0;  // the server's port: the matrix's, or the lab's own per case
  std::unique_ptr<CaseLab> lab_;
  Side server_{Role::kServer}, client_{Role::kClient};
  std::mutex mu_;
  std::string error_;
  std::string not_comparable_;         // guarded by mu_
  json lab_events_ = json::array();    // guarded by mu_
  std::atomic<bool> parallel_{false};  // the server and client lists are running
  json stack_fault_ = nullptr;         // guarded by mu_; the case-level "stack_fault" once recorded
  std::vector<std::string> warnings_;  // guarded by mu_
};

void CaseDriver::Fail(const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_.empty()) error_ = why;
}

void CaseDriver::FailUnlessInterrupted(const std::string& why) {
  Fail(ctx_.cancelled && ctx_.cancelled->load() ? "interrupted" : why);
}

// Why the annotated event `e` cannot be on this case's time axis, or "".
// Its stamps must lie within [sent, got] of the coordinator's request,
// widened by the clock offset's round trip and kStampSlackNs.
std::string CaseDriver::CheckStamps(const json& e, const Side& side, int64_t sent_real,
                                    int64_t got_real) const {
  const double slack = static_cast<double>(kStampSlackNs + side.offset.rtt_ns) / 1e9;
  const double lo = static_cast<double>(sent_real - t0_real_) / 1e9 - slack;
  const double hi = static_cast<double>(got_real - t0_real_) / 1e9 + slack;
  const double start = e["t_start"].get<double>(), end = e["t_end"].get<double>();
  auto window = [&] {
    return " outside the " + std::to_string(hi - lo).substr(0, 6) +
           " s in which the coordinator waited for it";
  };
  if (start < lo || start > hi || end < start || end > hi)
    return "the agent's clock stamps (" + std::to_string(start) + " .. " + std::to_string(end) +
           " s into the case) lie" + window();
  if (e.contains("read_times"))
    for (const json& r : e["read_times"])
      if (r[0].get<double>() < lo || r[0].get<double>() > hi)
        return "a read's clock stamp (" + std::to_string(r[0].get<double>()) + " s) lies" +
               window();
  return "";
}

// Whether the case performs nothing more: it failed, or a stack fault
// ended it (then it completes).
bool CaseDriver::Failed() {
  if (ctx_.cancelled && ctx_.cancelled->load()) Fail("interrupted");
  std::lock_guard<std::mutex> lock(mu_);
  return !error_.empty() || !not_comparable_.empty() || !stack_fault_.is_null();
}

void CaseDriver::NotComparable(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.empty() || !not_comparable_.empty()) return;
    not_comparable_ = why;
    warnings_.push_back("not comparable: " + why);
  }
  // In the parallel lists the other one may wait for a peer that will
  // never act now; in setup nothing else runs, and the agents end with bye.
  if (lab_ && parallel_.load()) lab_->KillAgents();
}

void CaseDriver::LabStep(const ScenarioStep& step) {
  Impairment imp;
  if (step.op == "impair") {
    // Checked at load (scenario.cc); a failure here is a bug, said as such.
    auto parsed = ParseImpairment(step.args, ctx_.matrix_path, "lab step impair");
    if (!parsed.ok()) {
      Fail("scenario " + c_.scenario->name + ": " + parsed.error().message);
      return;
    }
    imp = *parsed;
  }
  const int64_t start = RealtimeNs();
  const Status s = step.op == "impair" ? lab_->Impair(imp) : lab_->ClearImpairments();
  const int64_t end = RealtimeNs();
  json e = {{"step", step.op},
            {"host", "lab"},
            {"t_start", CaseTime(start)},
            {"t_end", CaseTime(end)},
            {"ok", s.ok()},
            {"error", s.ok() ? json(nullptr) : json(s.message())}};
  if (step.op == "impair") {
    e["impairment"] = ImpairmentJson(imp);
    // In force from some moment within [t_start, t_end] (the lab's one
    // transaction) for for_ms: at the latest until t_end + for_ms.
    if (s.ok() && imp.for_ms > 0)
      e["until"] = CaseTime(end) + static_cast<double>(imp.for_ms) / 1000.0;
  }
  spdlog::debug("case {} lab {}: {} ({:.4f}..{:.4f} s)", c_.id, step.op,
                s.ok() ? "ok" : s.message(), e["t_start"].get<double>(), e["t_end"].get<double>());
  {
    std::lock_guard<std::mutex> lock(mu_);
    lab_events_.push_back(std::move(e));
  }
  if (s.ok()) return;
  if (s.code() == ErrorCode::kUnsupported)
    NotComparable("lab step " + step.op + ": " + s.message());
  else
    Fail("lab step " + step.op + ": " + s.message());
}

// `e` has passed CheckEventShape (agent_client.h): both stamps are there.
json CaseDriver::Annotate(json e, const Side& side) const {
  auto rel = [&](int64_t agent_real) {
    return static_cast<double>(agent_real - side.offset.offset_ns - t0_real_) / 1e9;
  };
  e["t_start"] = rel(e["clock_start"]["real_ns"].get<int64_t>());
  e["t_end"] = rel(e["clock_end"]["real_ns"].get<int64_t>());
  if (e.contains("reads")) {
    json times = json::array();
    for (auto& r : e["reads"]) times.push_back({rel(r[0].get<int64_t>()), r[1]});
    e["read_times"] = std::move(times);
  }
  return e;
}

std::optional<json> CaseDriver::Step(Side& side, const std::string& op, json args,
                                     int64_t timeout_ns) {
  if (Failed()) return std::nullopt;
  const int64_t sent_real = RealtimeNs();
  // The case's deadline may cut the step's own bound short: no reply by the
  // deadline is the case running out of time, not the stack hanging.
  const int64_t to_deadline = LeftNs() + protocol::kReplyMargin;
  const int64_t own_bound = timeout_ns <= to_deadline ? timeout_ns : 0;
  auto r = side.agent->Request(op, args, std::min(timeout_ns, to_deadline));
  const int64_t got_real = RealtimeNs();
  json e = r.ok() ? Annotate(*r, side) : json();
  const std::string bad_stamps = r.ok() ? CheckStamps(e, side, sent_real, got_real) : "";
  if (!r.ok() || !bad_stamps.empty()) {
    // After a lab step the lab cannot do, the agents were ended on purpose.
    if (IsNotComparable()) return std::nullopt;
    if (!r.ok() &&
        (RecordStackFault(side, op, args, r.error(), sent_real, own_bound) || EndedByStackFault()))
      return std::nullopt;
    FailUnlessInterrupted(r.ok() ? side.agent->label() + ": " + op + ": " + bad_stamps
                                 : r.error().message);
    // The other side may be blocked on a peer that will never act now.
    if (lab_) lab_->KillAgents();
    return std::nullopt;
  }
  spdlog::debug("case {} {} {}: ret {} {} ({:.4f}..{:.4f} s)", c_.id,
                side.agent->label().substr(side.agent->label().find('/') + 1), op,
                e.value("ret", json()).dump(), e.value("errno_name", json()).dump(),
                e.value("t_start", 0.0), e.value("t_end", 0.0));
  spdlog::trace("case {} event {}", c_.id, e.dump());
  side.events.push_back(e);
  return e;
}

bool CaseDriver::RecordStackFault(Side& side, const std::string& op, const json& args,
                                  const Error& err, int64_t sent_real, int64_t bound_ns) {
  if (!lab_ || !lab_->AgentIsStack(side.role)) return false;
  if (ctx_.cancelled && ctx_.cancelled->load()) return false;  // killed on purpose
  if (err.code != ErrorCode::kClosed && (err.code != ErrorCode::kTimeout || bound_ns <= 0))
    return false;
  const bool exited = err.code == ErrorCode::kClosed;
  const std::string handle =
      args.is_object() && args.contains("handle") && args["handle"].is_string()
          ? args["handle"].get<std::string>()
          : "";
  const std::string call = op + "()" + (handle.empty() ? "" : " of " + handle);
  char buf[160];
  std::string detail;
  if (exited) {
    const std::string how =
        side.pid > 0 ? lab_->AgentExitStatus(side.pid, kExitStatusWaitNs) : std::string();
    detail = std::string("the ") + RoleName(side.role) + " agent" +
             (side.pid > 0 ? " (pid " + std::to_string(side.pid) + ")" : "") +
             ", which runs the stack, ended during " + call + ": " +
             (how.empty() ? "its control channel closed" : how);
  } else {
    std::snprintf(buf, sizeof buf, "%s had not returned after %.1f s", call.c_str(),
                  static_cast<double>(bound_ns) / 1e9);
    detail = buf;
    if (op == "close" && attrs_.count("linger.socket") && attrs_.at("linger.socket") != "none") {
      std::snprintf(buf, sizeof buf, " (SO_LINGER %d s on %s; bound: the linger time + %.0f s)",
                    applied_.linger_s, attrs_.at("linger.socket").c_str(),
                    static_cast<double>(kStackCloseMarginNs) / 1e9);
      detail += buf;
    }
  }
  auto rel = [this](int64_t real) { return static_cast<double>(real - t0_real_) / 1e9; };
  const double t = rel(RealtimeNs());
  // The call as far as it is known: when the coordinator sent it and, for an
  // exit, when the agent's channel closed; it never returned a value.
  json e = {{"step", op},
            {"args", args},
            {"ret", nullptr},
            {"errno", nullptr},
            {"errno_name", nullptr},
            {"fault", exited ? "stack_exited" : "stack_hung"},
            {"detail", detail},
            {"t_start", rel(sent_real)},
            {"t_end", exited ? json(t) : json(nullptr)}};
  if (!handle.empty()) e["handle"] = handle;
  spdlog::warn("case {}: stack fault: {}", c_.id, detail);
  side.events.push_back(std::move(e));
  {
    std::lock_guard<std::mutex> lock(mu_);
    stack_fault_ = {{"host", RoleName(side.role)},
                    {"op", op},
                    {"handle", handle.empty() ? json(nullptr) : json(handle)},
                    {"kind", exited ? "exited" : "hung"},
                    {"detail", detail},
                    {"t_start", rel(sent_real)},
                    {"t", t}};
  }
  // The other side may be blocked on a peer that is gone; its interrupted
  // step is then no error (EndedByStackFault).
  lab_->KillAgents();
  return true;
}

// The value of a scenario variable (suite/matrix/scenario.h) for this case,
// now: "$case_left_ms" shrinks as the case runs.
std::optional<json> CaseDriver::Variable(const std::string& name) {
  const CaseParams& p = applied_.params;
  const std::string& addr = lab_->host(Role::kServer).address;
  if (name == "server_address") return addr;
  if (name == "client_address") return lab_->host(Role::kClient).address;
  if (name == "port") return port_;
  if (name == "family") return lab_->host(Role::kServer).family;  // the lab's: "inet" or "inet6"
  if (name == "linger_s") return applied_.linger_s;
  if (name == "payload_bytes") return p.payload_bytes;
  if (name == "request_bytes") return p.request_bytes;
  if (name == "server_sndbuf") return p.server_sndbuf;
  if (name == "client_rcvbuf") return p.client_rcvbuf;
  if (name == "read_chunk") return p.read_chunk;
  if (name == "server_pause_ms") return Ms(p.server_pause_s);
  if (name == "read_interval_ms") return Ms(p.read_interval_s);
  if (name == "idle_ms") return Ms(p.idle_s);
  // A bounded wait of 0 ms would mean "no limit" to the agent.
  if (name == "eof_wait_limit_ms") return std::max<int64_t>(1, Ms(p.eof_wait_limit_s));
  if (name == "queue_wait_limit_ms") return std::max<int64_t>(1, Ms(p.queue_wait_limit_s));
  if (name == "case_left_ms") return AgentLimitMs(LeftNs());
  return std::nullopt;
}

// How long the coordinator waits for a step's reply: a step that waits by
// design gets its own bound plus the reply margin; write and close may block
// as long as the case has left; everything else returns at once.
int64_t CaseDriver::StepTimeoutNs(const std::string& op, const json& args) const {
  auto ms_arg = [&](const char* key) -> std::optional<int64_t> {
    auto it = args.find(key);
    if (it == args.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<int64_t>();
  };
  if (op == "pause") return ms_arg("ms").value_or(0) * kNsPerMs + kQuickStepTimeoutNs;
  if (op == "read" || op == "wait_outq") {
    const int64_t limit = ms_arg("limit_ms").value_or(0);
    return limit > 0 ? limit * kNsPerMs + protocol::kReplyMargin
                     : LeftNs() + protocol::kReplyMargin;
  }
  // poll waits its timeout_ms (default 0), end_child until the child is
  // reaped or its limit_ms passes (then a kill and reap, which is quick).
  if (op == "poll") return ms_arg("timeout_ms").value_or(0) * kNsPerMs + protocol::kReplyMargin;
  if (op == "end_child") return ms_arg("limit_ms").value_or(0) * kNsPerMs + protocol::kReplyMargin;
  // fork_close waits for its child (then kills it).
  if (op == "fork_close") return protocol::kForkCloseLimitMs * kNsPerMs + protocol::kReplyMargin;
  if (op == "write" || op == "close") return LeftNs() + protocol::kReplyMargin;
  return kQuickStepTimeoutNs;
}

// The bound of one step's reply: close() on a side whose agent is the stack
// by the linger time plus kStackCloseMarginNs (case_runner.h), whatever the
// step asks; otherwise "quick" or the op's own (StepTimeoutNs).
int64_t CaseDriver::StepBoundNs(const Side& side, const ScenarioStep& step,
                                const json& args) const {
  if (step.op == "close" && lab_->AgentIsStack(side.role))
    return int64_t{applied_.linger_s} * kNsPerSec + kStackCloseMarginNs;
  return step.timeout == "quick" ? kQuickStepTimeoutNs : StepTimeoutNs(step.op, args);
}

// Performs the steps of one list that apply to this case, in order. Once
// the case has failed, Step() performs nothing more.
void CaseDriver::RunSteps(const std::vector<ScenarioStep>& steps) {
  for (const ScenarioStep& step : steps) {
    if (Failed()) return;
    if (!StepApplies(step, attrs_)) continue;
    if (step.host == "lab") {
      LabStep(step);
      continue;
    }
    auto args = BindArgs(step, [this](const std::string& n) { return Variable(n); });
    if (!args.ok()) {
      Fail("scenario " + c_.scenario->name + ": " + args.error().message);
      return;
    }
    Side& side = step.host == "server" ? server_ : client_;
    const int64_t timeout = StepBoundNs(side, step, *args);
    auto e = Step(side, step.op, std::move(*args), timeout);
    if (!e) return;
    // The observation this step makes (scenario.h), for the classifier.
    if (!step.claim.empty()) side.events.back()["claim"] = step.claim;
    // A call this stack does not have (an option, dup(), fork()): the case
    // cannot measure what it was written for, which is no error of the stack.
    // A stack that cannot tell a state (tcp_state, socket_table) only leaves
    // that evidence out: the classifier says so for the claim it would make.
    const bool evidence_only = step.op == "tcp_state" || step.op == "socket_table";
    if (e->value("unsupported", false) == true && !evidence_only) {
      const json& option = step.args.contains("option") ? step.args["option"] : json();
      NotComparable(step.host + " " + step.op +
                    (option.is_string() ? " " + option.get<std::string>() : "") +
                    ": not supported by this stack (" +
                    e->value("errno_name", json("no errno")).dump() + ")");
    }
    if (step.must_succeed && (*e)["ret"].is_number() && (*e)["ret"].get<int64_t>() < 0)
      Fail(step.host + " " + step.op + " failed: " + (*e).value("errno_name", json()).dump());
    if (!step.on_limit.empty() && (*e).value("end", json()) == "limit") Fail(step.on_limit);
    if (step.stop_on_failure && (*e)["ret"].is_number() && (*e)["ret"].get<int64_t>() < 0) return;
  }
}

// Waits out the settle period while watching both control channels. An
// agent sends nothing unasked, so a channel that turns readable before bye
// means its agent exited (end of stream) or broke the protocol; either way
// it no longer holds its host. The channels stay readable once closed, so an
// agent that died between its last step and the settle period is caught too.
void CaseDriver::Settle() {
  const int64_t end = MonotonicNs() + static_cast<int64_t>(applied_.params.settle_s * kNsPerSec);
  for (;;) {
    pollfd fds[2];
    Side* sides[2];
    nfds_t n = 0;
    for (Side* s : {&server_, &client_}) {
      if (!s->agent || s->gone || s->agent->fd() < 0) continue;
      fds[n] = {s->agent->fd(), POLLIN, 0};
      sides[n++] = s;
    }
    const int64_t left = end - MonotonicNs();
    if (n == 0) {
      if (left > 0) SleepNs(left);
      return;
    }
    // A last look with a zero timeout once the period is over.
    const int timeout_ms = static_cast<int>(std::max<int64_t>(0, (left + kNsPerMs - 1) / kNsPerMs));
    const int rc = ::poll(fds, n, timeout_ms);
    if (rc < 0 && errno != EINTR) {
      spdlog::warn("case {}: cannot watch the agents during settle: {}", c_.id,
                   std::strerror(errno));
      if (left > 0) SleepNs(left);
      return;
    }
    for (nfds_t i = 0; rc > 0 && i < n; ++i) {
      if (fds[i].revents == 0) continue;
      char byte;
      const ssize_t got = ::recv(fds[i].fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (got > 0)
        AgentGone(*sides[i], "sent a message nobody asked for");
      else if (got == 0 || (fds[i].revents & (POLLHUP | POLLERR)))
        AgentGone(*sides[i], "exited (its control channel closed)");
    }
    if (left <= 0) return;
  }
}

// An agent gone before bye: on a target whose stack outlives the agent the
// measurement stands and the case gets a warning; elsewhere the orphaned
// connection died with the agent and the case is an error.
void CaseDriver::AgentGone(Side& side, const std::string& what) {
  side.gone = true;
  const std::string role = &side == &server_ ? "server" : "client";
  const double t = static_cast<double>(RealtimeNs() - t0_real_) / 1e9;
  char when[64];
  std::snprintf(when, sizeof(when), "%.3f", t);
  std::string msg = role + " agent (pid " + std::to_string(side.pid) + ") " + what +
                    " before bye, noticed at t=" + when + " s during settle";
  if (lab_ && lab_->OrphansOutliveAgent()) {
    msg += "; this target's kernel keeps the orphaned connection, so the measurement stands";
    spdlog::warn("case {}: {}", c_.id, msg);
    std::lock_guard<std::mutex> lock(mu_);
    warnings_.push_back(msg);
  } else {
    Fail(msg + "; on this target the connection did not outlive it");
  }
}

// A set-up slot (SetupGate), held for its scope. Waiting for one ends when
// the run is interrupted: the case then sets up nothing (Failed() says
// "interrupted" first).
class SetupSlot {
 public:
  SetupSlot(SetupGate* gate, int64_t key, const std::atomic<bool>* cancelled) {
    if (gate && gate->Acquire(key, cancelled)) held_ = gate;
  }
  ~SetupSlot() {
    if (held_) held_->Release();
  }
  SetupSlot(const SetupSlot&) = delete;
  SetupSlot& operator=(const SetupSlot&) = delete;

 private:
  SetupGate* held_ = nullptr;
};

void CaseDriver::SetUp() {
  if (Failed()) return;
  auto lab = ctx_.target->Provision(CaseLabName(c_, ctx_.repetition), ctx_.slot);
  if (!lab.ok()) {
    FailUnlessInterrupted(lab.error().message);
    return;
  }
  lab_ = std::move(*lab);
  if (ctx_.on_lab) ctx_.on_lab(lab_.get());
  for (auto [side, role] :
       {std::pair{&server_, Role::kServer}, std::pair{&client_, Role::kClient}}) {
    if (Failed()) break;
    auto proc = lab_->StartAgent(role);
    if (!proc.ok()) {
      FailUnlessInterrupted(std::string(RoleName(role)) + " agent: " + proc.error().message);
      break;
    }
    side->pid = proc->pid;
    side->agent =
        std::make_unique<AgentClient>(std::move(proc->control), c_.id + "/" + RoleName(role));
    auto hello = side->agent->Handshake(role);
    if (!hello.ok()) {
      FailUnlessInterrupted(hello.error().message);
      break;
    }
    side->hello = *hello;
    auto off = side->agent->EstimateClockOffset(kClockSamples);
    if (!off.ok())
      FailUnlessInterrupted(off.error().message);
    else
      side->offset = *off;
  }
}

json CaseDriver::Run() {
  const int64_t started = MonotonicNs();
  {
    SetupSlot slot(ctx_.setup_gate, ctx_.setup_order, ctx_.cancelled);
    SetUp();
  }
  setup_s_ = static_cast<double>(MonotonicNs() - started) / 1e9;
  if (!lab_) return CaseJson(json::array(), json(nullptr), setup_s_);
  StartClock();
  const HostInfo server_host = lab_->host(Role::kServer);
  const HostInfo client_host = lab_->host(Role::kClient);
  spdlog::debug("case {}: hosts {} ({}) and {} ({})", c_.id, server_host.address, server_host.netns,
                client_host.address, client_host.netns);
  port_ = lab_->TestPort(applied_.params.port);
  const std::string pcap_rel = "pcaps/" + CaseStem(c_, ctx_.repetition) + ".pcap";
  auto pcap_path = PathInside(ctx_.out_dir, pcap_rel);
  if (!pcap_path.ok()) Fail(pcap_path.error().message);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(ctx_.out_dir) / "pcaps", ec);

  // The capture starts before the first test step. Where the lab's capture
  // site cannot capture at all, the case runs without packets and says so:
  // packet-based claims are then not observed, never guessed from syscalls.
  std::unique_ptr<CaseCapture> capture;
  json capture_unavailable = nullptr;
  if (!Failed()) {
    CaseCaptureRequest req;
    req.bpf_filter = "tcp and host " + server_host.address +
                     (client_host.address.empty() ? "" : " and host " + client_host.address) +
                     " and port " + std::to_string(port_);
    req.pcap_path = *pcap_path;
    req.server_clock_offset_ns = server_.offset.offset_ns;
    req.deadline_ns = deadline_;
    auto cap = OpenCaseCapture(*lab_, server_.agent.get(), req);
    Status opened = cap.ok() ? (*cap)->Start() : cap.status();
    if (opened.ok()) {
      capture = std::move(*cap);
    } else if (opened.code() == ErrorCode::kUnsupported) {
      capture_unavailable = {{"site", CaptureSiteName(lab_->capture_site())},
                             {"available", false},
                             {"reason", opened.message()}};
      std::lock_guard<std::mutex> lock(mu_);
      warnings_.push_back("no capture: " + opened.message());
    } else {
      Fail("capture: " + opened.message());
    }
  }

  t0_real_ = RealtimeNs();
  if (!c_.scenario) Fail("matrix " + ctx_.matrix_path + " has no scenario for this case");
  if (!Failed()) RunSteps(c_.scenario->setup);
  if (!Failed()) {
    parallel_ = true;
    std::thread client_thread([this] { RunSteps(c_.scenario->client); });
    RunSteps(c_.scenario->server);
    client_thread.join();
  }
  // Late packets: a retransmitted FIN, a RST after a clean close, an abort.
  // The agents must live until bye: a stack keeps an orphaned connection
  // only while its host lives.
  if (!Failed()) {
    if (ctx_.on_settle) ctx_.on_settle(server_.pid, client_.pid);
    Settle();
  }

  json capture_info = std::move(capture_unavailable);
  json packets = json::array();
  if (capture) {
    // The agent's capture is stopped over its control channel, so before bye.
    // (A server agent ended for a lab step the lab cannot do took its
    // capture along: the case is not comparable, and that is no error.)
    if (Status s = capture->Stop(); !s.ok() && !IsNotComparable()) Fail("capture: " + s.message());
    ConnectionSummary sum =
        SummarizeConnection(capture->Packets(), server_host.address, port_, t0_real_);
    packets = std::move(sum.packets);
    capture_info = {{"pcap", pcap_rel},
                    {"available", true},
                    {"packets", packets.size()},
                    {"dropped", capture->Dropped()},
                    {"server_isn", sum.server_isn ? json(*sum.server_isn) : json(nullptr)},
                    {"client_isn", sum.client_isn ? json(*sum.client_isn) : json(nullptr)}};
    capture_info.update(capture->Where());
  }
  for (Side* s : {&server_, &client_})
    if (s->agent) s->agent->Bye();
  {
    // Teardown forks too; never skipped, and ahead of waiting set-ups.
    SetupSlot slot(ctx_.setup_gate, SetupGate::kTeardownKey, nullptr);
    if (Status s = lab_->Teardown(kAgentStopGraceNs); !s.ok()) Fail("teardown: " + s.message());
  }
  spdlog::debug("case {}: torn down", c_.id);
  if (ctx_.on_lab) ctx_.on_lab(nullptr);
  return CaseJson(std::move(packets), std::move(capture_info),
                  static_cast<double>(MonotonicNs() - started) / 1e9);
}

json CaseDriver::CaseJson(json packets, json capture_info, double duration_s) {
  json hosts = nullptr;
  if (lab_) {
    const HostInfo& s = lab_->host(Role::kServer);
    const HostInfo& c = lab_->host(Role::kClient);
    hosts = {{"server",
              {{"address", s.address},
               {"port", port_},
               {"netns", s.netns},
               {"agent", s.agent_endpoint}}},
             {"client", {{"address", c.address}, {"netns", c.netns}, {"agent", c.agent_endpoint}}}};
  }
  auto agent_info = [](const Side& s) {
    if (s.hello.is_null()) return json(nullptr);
    return json{{"pid", s.pid >= 0 ? json(s.pid) : json(nullptr)},  // null: not ours (remote)
                {"platform", s.hello.value("platform", json())},
                {"version", s.hello.value("agent", json())},
                {"clock_offset_ns", s.offset.offset_ns},
                {"clock_rtt_ns", s.offset.rtt_ns}};
  };
  std::lock_guard<std::mutex> lock(mu_);
  json doc = {{"id", c_.id},
              {"name", c_.name},
              {"parameters", ParametersJson(c_, ctx_.time_scale, ctx_.variant)},
              {"status", error_.empty() ? "completed" : "error"},
              {"error", error_.empty() ? json(nullptr) : json(error_)},
              {"warnings", warnings_},
              {"duration_s", duration_s},
              {"setup_s", setup_s_},
              {"hosts", hosts},
              {"agents", {{"server", agent_info(server_)}, {"client", agent_info(client_)}}},
              {"t0_real_ns", t0_real_},
              {"events", {{"server", server_.events}, {"client", client_.events}}},
              {"packets", std::move(packets)},
              {"capture", std::move(capture_info)}};
  // Only cases whose scenario has lab steps: every other document is as before.
  if (!lab_events_.empty()) doc["events"]["lab"] = lab_events_;
  if (!not_comparable_.empty()) doc["not_comparable"] = not_comparable_;
  if (ctx_.repetition > 0) doc["repetition"] = ctx_.repetition;
  // Only where an agent is the stack could a stack fault happen: null there
  // says none did (the claim stack_fault "none"); elsewhere it is absent.
  if (lab_ && (lab_->AgentIsStack(Role::kServer) || lab_->AgentIsStack(Role::kClient)))
    doc["stack_fault"] = stack_fault_;
  return doc;
}

}  // namespace

namespace {

// The waits a scenario writes as literal milliseconds (a pause's "ms", a
// bounded read's "limit_ms", poll's or accept's "timeout_ms"): they do not
// scale, and the case's budget must hold them. Setup, then the longer of the
// two parallel lists.
double LiteralWaitSeconds(const Scenario& sc) {
  auto sum = [](const std::vector<ScenarioStep>& steps) {
    int64_t ms = 0;
    for (const ScenarioStep& st : steps)
      for (const char* key : {"ms", "limit_ms", "timeout_ms"})
        if (auto it = st.args.find(key); it != st.args.end() && it->is_number_integer())
          ms += std::max<int64_t>(0, it->get<int64_t>());
    return static_cast<double>(ms) / 1000.0;
  };
  return sum(sc.setup) + std::max(sum(sc.server), sum(sc.client));
}

}  // namespace

double CaseBudgetSeconds(const MatrixCase& c, const AppliedParams& a) {
  const CaseParams& p = a.params;
  double reads = std::ceil(static_cast<double>(p.payload_bytes) / p.read_chunk) + 1;
  double t = p.server_pause_s + p.settle_s + a.linger_s;
  if (c.client == ClientKind::kSlow) t += reads * p.read_interval_s;
  if (c.client == ClientKind::kIdle) t += p.idle_s;
  if (c.shutdown == ShutdownMode::kWaitEofLimited) t += p.eof_wait_limit_s;
  t += p.queue_wait_limit_s;
  if (c.scenario) t += LiteralWaitSeconds(*c.scenario);
  return t;
}

std::string CaseStem(const MatrixCase& c, int repetition) {
  return c.id + "__" + c.name + (repetition > 0 ? "__r" + std::to_string(repetition) : "");
}

std::string CaseLabName(const MatrixCase& c, int repetition) {
  return repetition > 0 ? c.id + "r" + std::to_string(repetition) : c.id;
}

json RunCase(const MatrixCase& c, const CaseContext& ctx) {
  CaseDriver d(c, ctx);
  return d.Run();
}

}  // namespace lingerlab

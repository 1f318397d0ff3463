// Whole cases (RunMatrix over the matrix's scenario) against scripted
// agents in threads, behind a scripted target: how the run holds load
// (set-up slots, deadlines that start when a case is ready), and agents that
// complete the handshake and then lie: a hello whose platform strings are
// numbers or terminal escapes, an errno name that is no name, clock stamps
// thousands of seconds off, a capture served a byte per reply or as 64 MiB
// of garbage. Each lie must end its case as an error naming the agent and
// what was wrong -- never an abort of the run, a case held past its
// deadline, or gigabytes left in memory or on disk.
//
// The agents here sit behind a socketpair, as local agents do; a remote
// agent reaches the same AgentClient once its channel is authenticated
// (doc/protocol.md §7), so what it may say afterwards is checked the same.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "agents/base/base64.h"
#include "agents/base/clock.h"
#include "agents/base/text_rules.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/protocol.h"
#include "suite/coordinator/case_capture.h"
#include "suite/coordinator/case_runner.h"
#include "suite/coordinator/run.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json Stamp() { return {{"mono_ns", MonotonicNs()}, {"real_ns", RealtimeNs()}}; }

// A well-formed event for `op` that says it succeeded at once.
json GoodEvent(const std::string& op) {
  json e = {
      {"step", op},          {"ret", 0}, {"errno", 0}, {"errno_name", ""}, {"clock_start", Stamp()},
      {"clock_end", Stamp()}};
  if (op == "read" || op == "wait_outq") {
    e["bytes"] = 0;
    e["end"] = "eof";
    e["reads"] = json::array();
  }
  return e;
}

// What a lying agent does differently from an honest one.
struct Lies {
  json hello_platform = {{"os", "Linux"}, {"release", "6.1"}, {"family", "linux"}};
  // Applied to the reply of each request (`reply` holds ok/event or error).
  std::function<void(const std::string& op, const json& args, json& reply)> tamper;
  // Called for every request, e.g. to count them.
  std::function<void(const std::string& op)> seen;
  // The lab's CaseLab::Impair; unset: the default (kUnsupported).
  std::function<Status(const Impairment&)> impair;
  // What the agent of `role` does with a request instead of replying:
  // kExit (its channel closes, as a process that died in the call), kHang
  // (no reply, ever), or kReply.
  enum class Fate { kReply, kExit, kHang };
  std::function<Fate(Role role, const std::string& op, const json& args)> fate;
};

// One scripted agent on a socketpair: the coordinator gets the other end.
class ScriptedAgentThread {
 public:
  ScriptedAgentThread(const Lies& lies, Role role, int* coordinator_fd) : role_(role) {
    int fds[2];
    EXPECT_TRUE(MakeStreamPair(fds).ok());
    *coordinator_fd = fds[0];
    agent_fd_ = UniqueFd(fds[1]);
    thread_ = std::thread([this, lies] { Serve(lies); });
  }
  ~ScriptedAgentThread() {
    Kill();
    thread_.join();
  }
  // As a killed agent: its end of the channel closes. The descriptor is
  // ours until we go (the channel has a dup), so this never hits a number
  // that another case's socket has reused.
  void Kill() { ::shutdown(agent_fd_.get(), SHUT_RDWR); }

 private:
  void Serve(const Lies& lies) {
    Channel ch{UniqueFd(::dup(agent_fd_.get()))};
    auto hello = ch.Receive(10 * kNsPerSec);
    if (!hello.ok()) return;
    if (!ch.Send({{"type", "hello"},
                  {"protocol", protocol::kVersion},
                  {"agent", {{"name", "scripted"}, {"version", "0"}}},
                  {"platform", lies.hello_platform},
                  {"pid", 1}})
             .ok())
      return;
    for (;;) {
      auto m = ch.Receive(30 * kNsPerSec);
      if (!m.ok()) return;
      const std::string op = (*m)["op"].get<std::string>();
      if (lies.seen) lies.seen(op);
      const Lies::Fate fate = lies.fate ? lies.fate(role_, op, (*m)["args"]) : Lies::Fate::kReply;
      if (fate == Lies::Fate::kExit) {
        Kill();
        return;
      }
      if (fate == Lies::Fate::kHang) continue;  // until killed: Receive fails
      json reply = {{"ok", true}, {"event", GoodEvent(op)}};
      if (op == "capture_start")
        reply = {{"ok", false},
                 {"error", {{"code", "capture_unavailable"}, {"message", "scripted"}}}};
      if (lies.tamper) lies.tamper(op, (*m)["args"], reply);
      reply["type"] = "reply";
      reply["id"] = (*m)["id"];
      if (!ch.Send(reply).ok() || op == "bye") return;
    }
  }

  Role role_;
  UniqueFd agent_fd_;
  std::thread thread_;
};

class ScriptedLab : public CaseLab {
 public:
  ScriptedLab(const Lies& lies, CaptureSite site, bool agent_is_stack = false)
      : lies_(lies), site_(site), agent_is_stack_(agent_is_stack) {
    server_.address = "127.0.0.1";
    client_.address = "127.0.0.1";
  }
  ~ScriptedLab() override { agents_.clear(); }
  const HostInfo& host(Role role) const override {
    return role == Role::kServer ? server_ : client_;
  }
  Result<AgentProcess> StartAgent(Role role) override {
    int fd = -1;
    std::lock_guard<std::mutex> lock(mu_);
    agents_.push_back(std::make_unique<ScriptedAgentThread>(lies_, role, &fd));
    return AgentProcess{Channel(UniqueFd(fd)), -1};
  }
  void KillAgents() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& a : agents_) a->Kill();
  }
  CaptureSite capture_site() const override { return site_; }
  Status Impair(const Impairment& imp) override {
    return lies_.impair ? lies_.impair(imp) : CaseLab::Impair(imp);
  }
  // As lwIP's lab: the server's agent is the stack (target.h).
  bool AgentIsStack(Role role) const override { return agent_is_stack_ && role == Role::kServer; }
  Status Teardown(int64_t) override {
    KillAgents();
    return Status::Ok();
  }

 private:
  Lies lies_;
  CaptureSite site_;
  bool agent_is_stack_;
  HostInfo server_, client_;
  std::mutex mu_;
  std::vector<std::unique_ptr<ScriptedAgentThread>> agents_;
};

class ScriptedTarget : public Target {
 public:
  ScriptedTarget(Lies lies, CaptureSite site, bool agent_is_stack = false)
      : lies_(std::move(lies)), site_(site), agent_is_stack_(agent_is_stack) {}
  std::string Name() const override { return "scripted"; }
  std::string Stack() const override { return "scripted"; }
  Status CheckUsable() override { return Status::Ok(); }
  Result<std::unique_ptr<CaseLab>> Provision(const std::string&, int) override {
    return std::unique_ptr<CaseLab>(new ScriptedLab(lies_, site_, agent_is_stack_));
  }
  Result<std::vector<std::string>> SweepStale() override { return std::vector<std::string>{}; }

 private:
  Lies lies_;
  CaptureSite site_;
  bool agent_is_stack_;
};

class HostileAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
    ASSERT_TRUE(m.ok()) << m.error().message;
    matrix_ = std::move(*m);
    out_ = fs::temp_directory_path() / ("ll-hostile-" + std::to_string(::getpid()));
    fs::remove_all(out_);
    fs::create_directories(out_);
  }
  void TearDown() override { fs::remove_all(out_); }

  // Runs case `id` against agents that tell `lies`; returns its document.
  json RunOne(const std::string& id, Lies lies, CaptureSite site = CaptureSite::kServerAgent,
              double case_timeout_s = 0, std::atomic<bool>* cancel = nullptr,
              bool agent_is_stack = false) {
    return RunOneCase(*matrix_.Find(id), std::move(lies), site, case_timeout_s, cancel,
                      agent_is_stack);
  }
  json RunOneCase(const MatrixCase& mc, Lies lies, CaptureSite site = CaptureSite::kServerAgent,
                  double case_timeout_s = 0, std::atomic<bool>* cancel = nullptr,
                  bool agent_is_stack = false) {
    ScriptedTarget target(std::move(lies), site, agent_is_stack);
    RunOptions opt;
    opt.time_scale = 0.01;
    opt.case_timeout_s = case_timeout_s;
    opt.out_dir = out_.string();
    std::atomic<bool> own{false};
    json results = RunMatrix({mc}, target, opt, cancel ? *cancel : own);
    return results["cases"][0];
  }

  Matrix matrix_;
  fs::path out_;
};

std::string Error(const json& c) {
  return c.value("error", json("")).is_string() ? c["error"].get<std::string>() : "";
}

TEST_F(HostileAgentTest, AnHonestScriptedAgentCompletesTheCase) {
  const json c = RunOne("02", Lies{});
  EXPECT_EQ(c["status"], "completed") << c.dump();
}

TEST_F(HostileAgentTest, APlatformOsThatIsANumberIsACaseErrorNotAnAbort) {
  Lies lies;
  lies.hello_platform["os"] = 42;
  const json c = RunOne("02", lies);
  EXPECT_EQ(c["status"], "error");
  EXPECT_NE(Error(c).find("platform.os"), std::string::npos) << Error(c);
  EXPECT_NE(Error(c).find("02/server"), std::string::npos) << "names the agent: " << Error(c);
}

TEST_F(HostileAgentTest, TerminalEscapesInPlatformStringsAreRefusedOnArrival) {
  for (const char* bad : {"\x1b]0;pwned\x07", "Linux\r\x1b[2K fake line", "a\nb"}) {
    Lies lies;
    lies.hello_platform["release"] = bad;
    const json c = RunOne("02", lies);
    EXPECT_EQ(c["status"], "error");
    EXPECT_NE(Error(c).find("platform.release"), std::string::npos) << Error(c);
    // What the error quotes of it is escaped: no control character reaches
    // a later reader (a terminal, a report).
    EXPECT_TRUE(IsPlainText(Error(c), SIZE_MAX)) << Error(c);
  }
  Lies family;
  family.hello_platform["family"] = "../../etc";
  EXPECT_NE(Error(RunOne("02", family)).find("platform.family"), std::string::npos);
}

TEST_F(HostileAgentTest, AnErrnoNameThatIsNoNameIsACaseErrorNamingTheField) {
  Lies lies;
  lies.tamper = [](const std::string& op, const json&, json& reply) {
    if (op == "close") reply["event"]["errno_name"] = "claims.client_end";
  };
  const json c = RunOne("02", lies);
  EXPECT_EQ(c["status"], "error");
  EXPECT_NE(Error(c).find("errno_name"), std::string::npos) << Error(c);
}

TEST_F(HostileAgentTest, AbsurdClockStampsAreACaseErrorNotA28154SecondClose) {
  Lies lies;
  lies.tamper = [](const std::string& op, const json&, json& reply) {
    if (op == "close")
      reply["event"]["clock_end"]["real_ns"] =
          reply["event"]["clock_end"]["real_ns"].get<int64_t>() + 28154 * kNsPerSec;
  };
  const json c = RunOne("02", lies);
  EXPECT_EQ(c["status"], "error");
  EXPECT_NE(Error(c).find("clock stamps"), std::string::npos) << Error(c);
  // And stamps before the request was sent.
  Lies early;
  early.tamper = [](const std::string& op, const json&, json& reply) {
    if (op == "close")
      reply["event"]["clock_start"]["real_ns"] =
          reply["event"]["clock_start"]["real_ns"].get<int64_t>() - 3600 * kNsPerSec;
  };
  EXPECT_NE(Error(RunOne("02", early)).find("clock stamps"), std::string::npos);
}

// A capture of 64 MiB served a byte per capture_read would take hours; the
// case's own deadline (--case-timeout) ends it, and no pcap is left.
TEST_F(HostileAgentTest, AByteAtATimeCaptureCannotHoldTheCasePastItsTimeout) {
  Lies lies;
  lies.tamper = [](const std::string& op, const json& args, json& reply) {
    if (op == "capture_start")
      reply = {{"ok", true}, {"event", GoodEvent(op)}};
    else if (op == "capture_stop")
      reply["event"]["bytes"] = kMaxAgentPcapBytes;
    else if (op == "capture_read")  // a pcap's magic, then anything
      reply["event"]["data"] = Base64Encode(
          std::string(1, "\xd4\xc3\xb2\xa1"[std::min<size_t>(args["offset"].get<size_t>(), 3)]));
  };
  const double timeout_s = 3;
  const int64_t t0 = MonotonicNs();
  const json c = RunOne("02", lies, CaptureSite::kServerAgent, timeout_s);
  const double took = static_cast<double>(MonotonicNs() - t0) / 1e9;
  EXPECT_EQ(c["status"], "error");
  EXPECT_NE(Error(c).find("deadline"), std::string::npos) << Error(c);
  EXPECT_LT(took, timeout_s + 2.0) << "held " << took << " s under --case-timeout " << timeout_s;
  EXPECT_FALSE(fs::exists(out_ / "pcaps" / "02__slow-client__no-linger.pcap"));
}

// 64 MiB of garbage is refused at its first chunk: one capture_read, no file.
TEST_F(HostileAgentTest, AGarbagePcapIsDiscardedAtItsFirstChunk) {
  Lies lies;
  std::atomic<int> reads{0};
  lies.seen = [&reads](const std::string& op) { reads += op == "capture_read"; };
  lies.tamper = [](const std::string& op, const json& args, json& reply) {
    if (op == "capture_start") {
      reply = {{"ok", true}, {"event", GoodEvent(op)}};
    } else if (op == "capture_stop") {
      reply["event"]["bytes"] = kMaxAgentPcapBytes;
    } else if (op == "capture_read") {
      const std::string junk(args["length"].get<size_t>(), 'x');
      reply["event"]["data"] = Base64Encode(junk);
    }
  };
  const json c = RunOne("02", lies, CaptureSite::kServerAgent);
  EXPECT_EQ(c["status"], "error");
  EXPECT_NE(Error(c).find("not a pcap"), std::string::npos) << Error(c);
  EXPECT_EQ(reads.load(), 1);
  EXPECT_TRUE(fs::is_empty(out_ / "pcaps"));
}

// A pcap header followed by 64 MiB of garbage is fetched a chunk at a time
// (the coordinator never holds the file), fails to parse, and is deleted.
// tools/bench-hostile.sh measures this test's peak memory.
TEST_F(HostileAgentTest, A64MiBPcapOfGarbageIsStreamedThenDiscarded) {
  Lies lies;
  lies.tamper = [](const std::string& op, const json& args, json& reply) {
    if (op == "capture_start") {
      reply = {{"ok", true}, {"event", GoodEvent(op)}};
    } else if (op == "capture_stop") {
      reply["event"]["bytes"] = kMaxAgentPcapBytes;
    } else if (op == "capture_read") {
      // A classic pcap header (little-endian, Ethernet), then 0xff forever.
      std::string chunk(args["length"].get<size_t>(), '\xff');
      if (args["offset"].get<int64_t>() == 0) {
        const unsigned char header[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                          0,    0,    0,    0,    0, 0, 4, 0, 1, 0, 0, 0};
        chunk.replace(0, sizeof header, reinterpret_cast<const char*>(header), sizeof header);
      }
      reply["event"]["data"] = Base64Encode(chunk);
    }
  };
  const json c = RunOne("02", lies, CaptureSite::kServerAgent, 60);
  EXPECT_EQ(c["status"], "error");
  EXPECT_NE(Error(c).find("does not parse (discarded)"), std::string::npos) << Error(c);
  EXPECT_TRUE(fs::is_empty(out_ / "pcaps")) << "the garbage pcap was kept";
}

// The server's agent meets its fate at close() of the listening socket, as
// lwIP 2.1.3 does with SO_LINGER there (doc/lwip.md).
Lies FateAtCloseOfLsock(Lies::Fate fate) {
  Lies lies;
  lies.fate = [fate](Role role, const std::string& op, const json& args) {
    return role == Role::kServer && op == "close" && args.value("handle", "") == "lsock"
               ? fate
               : Lies::Fate::kReply;
  };
  return lies;
}

// Where the agent is the stack (lwIP), an agent that dies in close() is the
// stack's outcome: the case completes with the fault recorded as an event
// and as the case's stack_fault, and the client's events so far are kept.
TEST_F(HostileAgentTest, AStackAgentExitingInCloseIsARecordedStackFault) {
  const json c = RunOne("03", FateAtCloseOfLsock(Lies::Fate::kExit), CaptureSite::kServerAgent, 0,
                        nullptr, /*agent_is_stack=*/true);
  ASSERT_EQ(c["status"], "completed") << c.dump();
  EXPECT_TRUE(c["error"].is_null());
  const json& f = c["stack_fault"];
  ASSERT_TRUE(f.is_object()) << c.dump();
  EXPECT_EQ(f["kind"], "exited");
  EXPECT_EQ(f["host"], "server");
  EXPECT_EQ(f["op"], "close");
  EXPECT_EQ(f["handle"], "lsock");
  const json& last = c["events"]["server"].back();
  EXPECT_EQ(last["fault"], "stack_exited");
  EXPECT_EQ(last["step"], "close");
  EXPECT_TRUE(last["t_start"].is_number() && last["t_end"].is_number()) << last.dump();
  EXPECT_LE(last["t_start"].get<double>(), last["t_end"].get<double>());
  EXPECT_FALSE(c["events"]["client"].empty()) << "the client's events were dropped";
}

// A close() that never returns is bounded by the linger time plus
// kStackCloseMarginNs, not by the case's budget and its 150 s slack.
TEST_F(HostileAgentTest, AStackAgentHangingInCloseIsAStackFaultWithinTheBound) {
  const int64_t t0 = MonotonicNs();
  const json c = RunOne("05", FateAtCloseOfLsock(Lies::Fate::kHang), CaptureSite::kServerAgent, 0,
                        nullptr, /*agent_is_stack=*/true);
  const double took = static_cast<double>(MonotonicNs() - t0) / 1e9;
  ASSERT_EQ(c["status"], "completed") << c.dump();
  ASSERT_TRUE(c["stack_fault"].is_object()) << c.dump();
  EXPECT_EQ(c["stack_fault"]["kind"], "hung");
  const std::string detail = c["stack_fault"]["detail"].get<std::string>();
  EXPECT_NE(detail.find("close() of lsock had not returned after"), std::string::npos) << detail;
  // 20 s x 0.01, applied as at least 1 s (ApplyTimeScale).
  EXPECT_NE(detail.find("SO_LINGER 1 s on lsock"), std::string::npos) << detail;
  const json& last = c["events"]["server"].back();
  EXPECT_EQ(last["fault"], "stack_hung");
  EXPECT_TRUE(last["t_end"].is_null());
  const double bound = static_cast<double>(kStackCloseMarginNs) / 1e9 + 1.0;  // linger 1 s
  EXPECT_LT(took, bound + 3.0) << "held " << took << " s, bound " << bound << " s";
  EXPECT_GE(took, bound - 0.5);
}

// Where the agent only uses a kernel's stack, the same exit is a lost agent.
TEST_F(HostileAgentTest, AnAgentExitingInCloseIsStillAnErrorWhereItIsNotTheStack) {
  const json c = RunOne("03", FateAtCloseOfLsock(Lies::Fate::kExit));
  EXPECT_EQ(c["status"], "error") << c.dump();
  EXPECT_NE(Error(c).find("peer closed the channel"), std::string::npos) << Error(c);
  EXPECT_FALSE(c.contains("stack_fault")) << c.dump();
}

// A stack lab where nothing went wrong says so: stack_fault null.
TEST_F(HostileAgentTest, AStackLabWithoutAFaultRecordsStackFaultNull) {
  const json c = RunOne("02", Lies{}, CaptureSite::kServerAgent, 0, nullptr,
                        /*agent_is_stack=*/true);
  EXPECT_EQ(c["status"], "completed") << c.dump();
  ASSERT_TRUE(c.contains("stack_fault"));
  EXPECT_TRUE(c["stack_fault"].is_null());
}

// A target whose labs take `delay` to provision, counting how many are
// being provisioned at once.
class SlowTarget : public ScriptedTarget {
 public:
  SlowTarget(int64_t delay_ns, std::atomic<int>* peak)
      : ScriptedTarget(Lies{}, CaptureSite::kServerAgent), delay_ns_(delay_ns), peak_(peak) {}
  Result<std::unique_ptr<CaseLab>> Provision(const std::string& id, int slot) override {
    const int now = ++active_;
    for (int seen = peak_->load(); now > seen && !peak_->compare_exchange_weak(seen, now);) {
    }
    SleepNs(delay_ns_);
    --active_;
    return ScriptedTarget::Provision(id, slot);
  }

 private:
  int64_t delay_ns_;
  std::atomic<int>* peak_;
  std::atomic<int> active_{0};
};

// Five cases that each take 0.4 s to set up, one set-up slot, and a case
// timeout shorter than the queue: the last case waits 1.6 s for its slot,
// which must not count against its deadline (it did: the deadline started
// when the case was claimed, so cases queued behind others' set-up failed).
TEST_F(HostileAgentTest, WaitingForASetUpSlotDoesNotCountAgainstTheDeadline) {
  std::atomic<int> peak{0};
  SlowTarget target(400 * kNsPerMs, &peak);
  RunOptions opt;
  opt.time_scale = 0.01;
  opt.case_timeout_s = 1.5;
  opt.setup_slots = 1;
  opt.out_dir = out_.string();
  std::atomic<bool> cancel{false};
  std::vector<MatrixCase> cases;
  for (const char* id : {"02", "04", "10", "11", "15"}) cases.push_back(*matrix_.Find(id));
  const json results = RunMatrix(cases, target, opt, cancel);
  for (const json& c : results["cases"])
    EXPECT_EQ(c["status"], "completed") << c["id"] << ": " << Error(c);
  EXPECT_EQ(peak.load(), 1) << "more cases set up at once than the run's set-up slots";
  EXPECT_EQ(results["environment"]["setup_slots"], 1);
}

// Agents that never answer the hello, and die when killed.
class SilentLab : public CaseLab {
 public:
  SilentLab() { host_.address = "127.0.0.1"; }
  const HostInfo& host(Role) const override { return host_; }
  Result<AgentProcess> StartAgent(Role) override {
    int fds[2];
    if (Status s = MakeStreamPair(fds); !s.ok()) return s.error();
    std::lock_guard<std::mutex> lock(mu_);
    silent_.emplace_back(fds[1]);
    return AgentProcess{Channel(UniqueFd(fds[0])), -1};
  }
  void KillAgents() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (UniqueFd& fd : silent_) ::shutdown(fd.get(), SHUT_RDWR);
  }
  Status Teardown(int64_t) override { return Status::Ok(); }

 private:
  HostInfo host_;
  std::mutex mu_;
  std::vector<UniqueFd> silent_;
};

class SilentTarget : public ScriptedTarget {
 public:
  SilentTarget() : ScriptedTarget(Lies{}, CaptureSite::kLocal) {}
  Result<std::unique_ptr<CaseLab>> Provision(const std::string&, int) override {
    return std::unique_ptr<CaseLab>(new SilentLab());
  }
};

// Ctrl-C while an agent has not yet answered the hello: the case was cut
// off by the user, not lost to a "peer closed the channel".
TEST_F(HostileAgentTest, ACaseInterruptedDuringItsHandshakeSaysInterrupted) {
  std::atomic<bool> cancel{false};
  std::thread interrupter([&cancel] {
    SleepNs(300 * kNsPerMs);
    cancel = true;
  });
  SilentTarget silent;
  RunOptions opt;
  opt.time_scale = 0.01;
  opt.out_dir = out_.string();
  const json results = RunMatrix({*matrix_.Find("02")}, silent, opt, cancel);
  interrupter.join();
  EXPECT_EQ(results["cases"][0]["error"], "interrupted") << results["cases"][0].dump();
}

}  // namespace
}  // namespace lingerlab

namespace lingerlab {
namespace {

// Case 02 with lab steps: an impair first in setup, a clear_impairments in
// the client's list before its first step.
MatrixCase WithLabSteps(const MatrixCase& base) {
  MatrixCase c = base;
  auto sc = std::make_shared<Scenario>(*base.scenario);
  ScenarioStep impair;
  impair.host = "lab";
  impair.op = "impair";
  impair.args = {{"direction", "to_client"}, {"match", "fin"}, {"action", "drop"}, {"for_ms", 250}};
  sc->setup.insert(sc->setup.begin(), impair);
  ScenarioStep clear;
  clear.host = "lab";
  clear.op = "clear_impairments";
  sc->client.insert(sc->client.begin(), clear);
  c.scenario = sc;
  return c;
}

TEST_F(HostileAgentTest, LabStepsAreEventsOfTheLabOnTheCaseAxis) {
  std::vector<Impairment> applied;
  Lies lies;
  lies.impair = [&](const Impairment& imp) {
    applied.push_back(imp);
    return Status::Ok();
  };
  const json c = RunOneCase(WithLabSteps(*matrix_.Find("02")), lies);
  EXPECT_EQ(c["status"], "completed") << c.dump();
  EXPECT_FALSE(c.contains("not_comparable"));
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].direction, ImpairDirection::kToClient);
  EXPECT_EQ(applied[0].match, ImpairMatch::kFin);
  EXPECT_EQ(applied[0].for_ms, 250);
  const json& lab = c["events"]["lab"];
  ASSERT_EQ(lab.size(), 2u) << lab.dump();
  EXPECT_EQ(lab[0]["step"], "impair");
  EXPECT_EQ(lab[0]["host"], "lab");
  EXPECT_EQ(lab[0]["ok"], true);
  EXPECT_EQ(
      lab[0]["impairment"],
      json({{"direction", "to_client"}, {"match", "fin"}, {"action", "drop"}, {"for_ms", 250}}));
  EXPECT_NEAR(lab[0]["until"].get<double>(), lab[0]["t_end"].get<double>() + 0.25, 1e-9);
  EXPECT_LE(lab[0]["t_start"].get<double>(), lab[0]["t_end"].get<double>());
  EXPECT_EQ(lab[1]["step"], "clear_impairments");
  EXPECT_EQ(lab[1]["ok"], true);
  // On the case's one axis: the impair before the setup's first agent step.
  EXPECT_LE(lab[0]["t_end"].get<double>(), c["events"]["server"][0]["t_start"].get<double>());
  EXPECT_GT(c["events"]["client"].size(), 0u);  // the scenario went on
}

// The remote target (and any lab without a hook on the link): the case is
// not comparable with the lab's reason, not an error, and performs no
// further step.
TEST_F(HostileAgentTest, ALabStepTheLabCannotDoMakesTheCaseNotComparable) {
  const json c = RunOneCase(WithLabSteps(*matrix_.Find("02")), Lies{});
  EXPECT_EQ(c["status"], "completed") << c.dump();
  EXPECT_TRUE(c["error"].is_null()) << c["error"];
  ASSERT_TRUE(c["not_comparable"].is_string()) << c.dump();
  EXPECT_NE(c["not_comparable"].get<std::string>().find("cannot impair packets"), std::string::npos)
      << c["not_comparable"];
  const json& lab = c["events"]["lab"];
  ASSERT_EQ(lab.size(), 1u) << lab.dump();
  EXPECT_EQ(lab[0]["ok"], false);
  EXPECT_NE(lab[0]["error"].get<std::string>().find("cannot impair packets"), std::string::npos);
  EXPECT_TRUE(c["events"]["server"].empty());
  EXPECT_TRUE(c["events"]["client"].empty());
}

// A lab step that fails for another reason (nft missing, a kernel error)
// ends the case in error: the case cannot measure what it asks for.
TEST_F(HostileAgentTest, ALabStepThatFailsIsACaseError) {
  Lies lies;
  lies.impair = [](const Impairment&) { return Status(MakeError(ErrorCode::kFailed, "nft: no")); };
  const json c = RunOneCase(WithLabSteps(*matrix_.Find("02")), lies);
  EXPECT_EQ(c["status"], "error");
  EXPECT_EQ(Error(c), "lab step impair: nft: no");
  EXPECT_FALSE(c.contains("not_comparable"));
}

}  // namespace
}  // namespace lingerlab

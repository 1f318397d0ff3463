// OpenCaseCapture: the server agent's capture end to end over a control
// channel (a real agent session capturing on loopback), and what a
// misbehaving agent's capture replies do (a scripted agent): each is an error
// naming what was wrong, never a crash or a silently short pcap.
#include "suite/coordinator/case_capture.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <thread>

#include "agents/agent/agent_session.h"
#include "agents/base/base64.h"
#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"
#include "suite/capture/pcap_file.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A lab of one loopback host whose packets its server agent captures.
class LoopbackAgentLab : public CaseLab {
 public:
  LoopbackAgentLab() {
    server_.address = "127.0.0.1";
    server_.agent_endpoint = "test:1";
    client_.address = "127.0.0.1";
  }
  const HostInfo& host(Role role) const override {
    return role == Role::kServer ? server_ : client_;
  }
  Result<AgentProcess> StartAgent(Role) override {
    return MakeError(ErrorCode::kUnsupported, "not used");
  }
  void KillAgents() override {}
  CaptureSite capture_site() const override { return CaptureSite::kServerAgent; }
  Status Teardown(int64_t) override { return Status::Ok(); }

 private:
  HostInfo server_, client_;
};

class CaseCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll-case-capture-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  LoopbackAgentLab lab_;
};

// An agent that answers each request with what `script` returns for it
// (the reply's "event" or "error"), until bye or the channel ends.
class ScriptedAgent {
 public:
  using Script = std::function<json(const std::string& op, const json& args)>;
  explicit ScriptedAgent(Script script) {
    int fds[2];
    EXPECT_TRUE(MakeStreamPair(fds).ok());
    client_fd_ = UniqueFd(fds[0]);
    thread_ = std::thread([fd = fds[1], script = std::move(script)] {
      Channel ch{UniqueFd(fd)};
      for (;;) {
        auto m = ch.Receive(10 * kNsPerSec);
        if (!m.ok() || (*m)["op"] == "bye") return;
        json reply = script((*m)["op"].get<std::string>(), (*m)["args"]);
        reply["type"] = "reply";
        reply["id"] = (*m)["id"];
        if (!ch.Send(reply).ok()) return;
      }
    });
  }
  ~ScriptedAgent() {
    client_.reset();
    client_fd_.reset();
    if (thread_.joinable()) thread_.join();
  }
  AgentClient* client() {
    if (!client_) client_ = std::make_unique<AgentClient>(Channel(std::move(client_fd_)), "fake");
    return client_.get();
  }

 private:
  UniqueFd client_fd_;
  std::unique_ptr<AgentClient> client_;
  std::thread thread_;
};

json Event(const std::string& op, json extra = json::object()) {
  json clock = {{"mono_ns", 1}, {"real_ns", 1}};
  json e = {{"step", op},           {"ret", 0},          {"errno", 0}, {"errno_name", nullptr},
            {"clock_start", clock}, {"clock_end", clock}};
  e.update(extra);
  return {{"ok", true}, {"event", e}};
}

// A capture whose pcap is `pcap`, served in the agent's own chunks, with
// `tamper` applied to each capture_read event.
ScriptedAgent::Script ServingPcap(std::string pcap, int64_t claimed_size,
                                  std::function<void(json&)> tamper = {}) {
  return [pcap, claimed_size, tamper](const std::string& op, const json& args) {
    if (op == "capture_start") return Event(op, {{"interface", "lo"}, {"link_type", "EN10MB"}});
    if (op == "capture_stop")
      return Event(op,
                   {{"bytes", claimed_size}, {"packets", 1}, {"dropped", 0}, {"truncated", false}});
    if (op == "capture_read") {
      const auto off = args["offset"].get<size_t>();
      const auto len = args["length"].get<size_t>();
      std::string part = off < pcap.size() ? pcap.substr(off, len) : "";
      json r = Event(op, {{"data", Base64Encode(part)},
                          {"bytes", part.size()},
                          {"eof", off + part.size() >= pcap.size()}});
      if (tamper) tamper(r["event"]);
      return r;
    }
    return json{{"ok", false}, {"error", {{"code", "unknown_op"}, {"message", op}}}};
  };
}

std::string CaptureError(ScriptedAgent& agent, const LoopbackAgentLab& lab, const fs::path& pcap) {
  CaseCaptureRequest req{"tcp", pcap.string(), 0};
  auto cap = OpenCaseCapture(lab, agent.client(), req);
  if (!cap.ok()) return "open: " + cap.error().message;
  if (Status s = (*cap)->Start(); !s.ok()) return "start: " + s.message();
  Status s = (*cap)->Stop();
  return s.ok() ? "" : s.message();
}

// A real agent session (the agent's own StepExecutor and libpcap capture)
// captures a loopback connection; the coordinator fetches the pcap in chunks,
// writes it, and returns the packets on its own clock.
TEST_F(CaseCaptureTest, TheServerAgentsCaptureComesBackWholeAndOnOurClock) {
  if (::geteuid() != 0) GTEST_SKIP() << "capturing needs root (CAP_NET_RAW)";
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  std::thread agent([fd = fds[1]] {
    Channel ch{UniqueFd(fd)};
    StepExecutor exec(MakeNativeSocketApi());
    ServeSession(ch, exec, AgentIdentity{"1", "c", DescribeHostPlatform()});
  });
  AgentClient client{Channel{UniqueFd{fds[0]}}, "server"};
  ASSERT_TRUE(client.Handshake(Role::kServer).ok());

  auto listener = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(listener.ok());
  const int port = LocalPort(listener->get()).value();
  const fs::path pcap = dir_ / "case.pcap";
  // Pretend the agent's clock runs 1000 s ahead of ours.
  const int64_t offset = 1000 * kNsPerSec;
  CaseCaptureRequest req{"tcp and port " + std::to_string(port), pcap.string(), offset};
  auto cap = OpenCaseCapture(lab_, &client, req);
  ASSERT_TRUE(cap.ok()) << cap.error().message;
  Status started = (*cap)->Start();
  ASSERT_TRUE(started.ok()) << started.message();
  const int64_t before = RealtimeNs();
  {
    auto c = ConnectTcp("127.0.0.1", port, kNsPerSec);
    ASSERT_TRUE(c.ok());
    auto a = AcceptControl(listener->get(), kNsPerSec);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(WriteAll(c->get(), std::string(3000, 'x'), kNsPerSec).ok());
  }
  SleepNs(200 * kNsPerMs);  // let the closes' FINs reach the capture
  const int64_t after = RealtimeNs();
  Status stopped = (*cap)->Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.message();
  const std::vector<TcpPacket> pkts = (*cap)->Packets();
  ASSERT_GE(pkts.size(), 4u);  // SYN, SYN-ACK, ACK, data ..., FINs
  for (const TcpPacket& p : pkts) {
    // Stamped by the agent on its (= our) clock, shifted back by the offset.
    EXPECT_GE(p.t_ns, before - offset - kNsPerSec);
    EXPECT_LE(p.t_ns, after - offset + kNsPerSec);
  }
  // The file is the agent's pcap as recorded (its clock), whole.
  auto from_file = ReadPcapFile(pcap.string());
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  EXPECT_EQ(from_file->size(), pkts.size());
  EXPECT_EQ((*from_file)[0].t_ns - offset, pkts[0].t_ns);
  const json where = (*cap)->Where();
  EXPECT_EQ(where["site"], "server-agent");
  EXPECT_EQ(where["interface"], "lo");
  EXPECT_EQ(where["agent"], "test:1");
  client.Bye();
  agent.join();
}

TEST_F(CaseCaptureTest, MisbehavingCaptureRepliesAreErrorsNamingWhatWasWrong) {
  const std::string not_a_pcap(100, 'x');
  struct Bad {
    const char* name;
    int64_t claimed;
    std::function<void(json&)> tamper;
    const char* says;
  } bads[] = {
      {"size over the limit", kMaxAgentPcapBytes + 1, {}, "limit"},
      {"negative size", -1, {}, "bytes"},
      {"bad base64", 100, [](json& e) { e["data"] = "%%%%"; }, "capture_read at 0"},
      {"more than asked", 10, [](json& e) { e["data"] = Base64Encode(std::string(50, 'x')); },
       "asked for"},
      {"nothing at all", 100, [](json& e) { e["data"] = ""; }, "returned 0 bytes"},
      {"not a pcap", 100, {}, "not a pcap"},
  };
  for (const Bad& b : bads) {
    ScriptedAgent agent(ServingPcap(not_a_pcap, b.claimed, b.tamper));
    const std::string err = CaptureError(agent, lab_, dir_ / "x.pcap");
    EXPECT_NE(err.find(b.says), std::string::npos) << b.name << ": " << err;
  }
}

TEST_F(CaseCaptureTest, AnAgentThatCannotCaptureIsUnsupportedNotAFailure) {
  ScriptedAgent agent([](const std::string&, const json&) {
    return json{{"ok", false},
                {"error", {{"code", "capture_unavailable"}, {"message", "no privilege"}}}};
  });
  CaseCaptureRequest req{"tcp", (dir_ / "x.pcap").string(), 0};
  auto cap = OpenCaseCapture(lab_, agent.client(), req);
  ASSERT_TRUE(cap.ok());
  Status s = (*cap)->Start();
  EXPECT_EQ(s.code(), ErrorCode::kUnsupported) << s.message();
  EXPECT_NE(s.message().find("no privilege"), std::string::npos);
  EXPECT_TRUE((*cap)->Stop().ok());  // never started: nothing to stop
}

}  // namespace
}  // namespace lingerlab

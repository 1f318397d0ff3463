// ProbeAgents against the remote target with agents that are not what the
// coordinator expects: each is an error naming the agent and the reason,
// before any case (CmdRun turns it into exit 3).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "agents/platform/stream_io.h"
#include "agents/protocol/auth.h"
#include "suite/coordinator/run.h"
#include "suite/targets/remote_target.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A TCP peer that answers the first frame it gets with `answer`, then closes.
class OneAnswerPeer {
 public:
  explicit OneAnswerPeer(json answer) {
    auto l = ListenTcp("127.0.0.1", 0);
    EXPECT_TRUE(l.ok());
    port_ = LocalPort(l->get()).value();
    thread_ = std::thread([l = std::move(*l), answer = std::move(answer)]() mutable {
      auto conn = AcceptControl(l.get(), 5 * kNsPerSec);
      if (!conn.ok()) return;
      Channel ch{std::move(*conn)};
      (void)ch.Receive(5 * kNsPerSec);
      (void)ch.Send(answer);
    });
  }
  ~OneAnswerPeer() { thread_.join(); }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int port_ = 0;
  std::thread thread_;
};

class ProbeAgentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll-probe-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(WriteNewKeyFile((dir_ / "k").string()).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Probe(const std::string& server_endpoint) {
    TargetConfig c;
    c.run_id = "probe1";
    c.remote.server_agent = server_endpoint;
    c.remote.client_agent = "127.0.0.1:1";
    c.remote.key_file = (dir_ / "k").string();
    auto t = MakeRemoteTarget(c);
    if (Status s = t->CheckUsable(); !s.ok()) return "unusable: " + s.message();
    auto r = ProbeAgents(*t);
    return r.ok() ? "" : r.error().message;
  }
  fs::path dir_;
};

TEST_F(ProbeAgentsTest, AnotherProtocolVersionIsNamedWithTheAgent) {
  OneAnswerPeer peer(
      {{"type", "error"},
       {"error", {{"code", "protocol_version"}, {"message", "this agent speaks 2"}}}});
  const std::string err = Probe(peer.endpoint());
  EXPECT_NE(err.find("server agent " + peer.endpoint()), std::string::npos) << err;
  EXPECT_NE(err.find("protocol_version"), std::string::npos) << err;
}

TEST_F(ProbeAgentsTest, AnAgentWithoutAuthenticationIsRefusedNotTrusted) {
  // An old, unauthenticated agent answers the auth request with its hello.
  OneAnswerPeer peer({{"type", "hello"}, {"protocol", 1}, {"platform", {{"family", "linux"}}}});
  const std::string err = Probe(peer.endpoint());
  EXPECT_NE(err.find("server agent " + peer.endpoint()), std::string::npos) << err;
  EXPECT_FALSE(err.empty());
}

TEST_F(ProbeAgentsTest, ABusyAgentIsNamedAsBusy) {
  OneAnswerPeer peer({{"type", "error"}, {"error", {{"code", "busy"}, {"message", "taken"}}}});
  const std::string err = Probe(peer.endpoint());
  EXPECT_NE(err.find("server agent " + peer.endpoint()), std::string::npos) << err;
  EXPECT_NE(err.find("busy"), std::string::npos) << err;
}

TEST_F(ProbeAgentsTest, APeerThatSaysNothingIsATimeoutNotAHang) {
  auto l = ListenTcp("127.0.0.1", 0);  // accepts (the kernel does) but never answers
  ASSERT_TRUE(l.ok());
  const int64_t t0 = MonotonicNs();
  const std::string err = Probe("127.0.0.1:" + std::to_string(LocalPort(l->get()).value()));
  EXPECT_FALSE(err.empty());
  EXPECT_LT(MonotonicNs() - t0, 3 * protocol::kHandshakeTimeout);
}

}  // namespace
}  // namespace lingerlab

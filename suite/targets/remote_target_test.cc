// RemoteTarget without agents: endpoint parsing, what CheckUsable refuses
// before anything is sent, ports per case, and that an unreachable agent is
// an error naming it. The remote target against real agents is
// suite/cli/remote_e2e_test.cc.
#include "suite/targets/remote_target.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agents/platform/stream_io.h"
#include "agents/protocol/auth.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;

TEST(RemoteTargetTest, EndpointsAreAddressColonPort) {
  auto v4 = ParseEndpoint("192.0.2.1:7100", "--server-agent");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->address, "192.0.2.1");
  EXPECT_EQ(v4->port, 7100);
  auto v6 = ParseEndpoint("[fd00::1]:80", "--server-agent");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->address, "fd00::1");
  for (const char* bad : {"192.0.2.1", "192.0.2.1:", ":80", "192.0.2.1:0", "192.0.2.1:65536",
                          "192.0.2.1:80x", "192.0.2.1:-1", "lab-host:7100", "[fd00::1]80"}) {
    auto r = ParseEndpoint(bad, "--client-agent");
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput) << bad;
      EXPECT_NE(r.error().message.find("--client-agent"), std::string::npos) << r.error().message;
    }
  }
}

class RemoteTargetConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll-remote-unit-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    key_ = (dir_ / "k").string();
    ASSERT_TRUE(WriteNewKeyFile(key_).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  TargetConfig Config() const {
    TargetConfig c;
    c.run_id = "abc123";
    c.remote.server_agent = "127.0.0.1:1";
    c.remote.client_agent = "127.0.0.1:2";
    c.remote.key_file = key_;
    return c;
  }
  static Status Check(const TargetConfig& c) { return MakeRemoteTarget(c)->CheckUsable(); }

  fs::path dir_;
  std::string key_;
};

TEST_F(RemoteTargetConfigTest, MissingOrBadOptionsAreRefusedNamingTheOption) {
  EXPECT_TRUE(Check(Config()).ok()) << Check(Config()).message();
  TargetConfig c = Config();
  c.remote.client_agent.clear();
  EXPECT_NE(Check(c).message().find("--client-agent"), std::string::npos);
  c = Config();
  c.remote.server_test_address = "not-an-address";
  EXPECT_NE(Check(c).message().find("--server-test-address"), std::string::npos);
  c = Config();
  c.remote.port_base = 65500;
  EXPECT_NE(Check(c).message().find("--port-base"), std::string::npos);
  c = Config();
  c.remote.key_file = (dir_ / "missing").string();
  EXPECT_NE(Check(c).message().find("--key"), std::string::npos);
  // A key others can read is refused, with the fix.
  ::chmod(key_.c_str(), 0644);
  Status loose = Check(Config());
  EXPECT_FALSE(loose.ok());
  EXPECT_NE(loose.message().find("chmod 600"), std::string::npos) << loose.message();
}

TEST_F(RemoteTargetConfigTest, EachCaseSlotHasItsOwnPortAndTheAgentsEndpoints) {
  TargetConfig c = Config();
  c.remote.port_base = 30000;
  c.remote.server_test_address = "198.18.5.1";
  auto t = MakeRemoteTarget(c);
  ASSERT_TRUE(t->CheckUsable().ok());
  EXPECT_TRUE(t->ProbeAgentsBeforeRun());
  EXPECT_EQ(t->MaxParallelCases(), static_cast<int>(protocol::kMaxListenSessions));
  auto a = t->Provision("01", 0);
  auto b = t->Provision("02", 7);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->TestPort(5001), 30000);
  EXPECT_EQ((*b)->TestPort(5001), 30007);
  EXPECT_EQ((*a)->capture_site(), CaptureSite::kServerAgent);
  EXPECT_EQ((*a)->host(Role::kServer).address, "198.18.5.1");
  EXPECT_EQ((*a)->host(Role::kServer).agent_endpoint, "127.0.0.1:1");
  EXPECT_EQ((*a)->host(Role::kClient).agent_endpoint, "127.0.0.1:2");
  EXPECT_FALSE(t->Provision("99", 65535 - 30000 + 1).ok());
  auto swept = t->SweepStale();
  ASSERT_TRUE(swept.ok());
  EXPECT_TRUE(swept->empty());
}

TEST_F(RemoteTargetConfigTest, AnUnreachableAgentIsAnErrorNamingIt) {
  // A port nobody listens on: a socket bound but not listening refuses.
  auto l = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(l.ok());
  const int port = LocalPort(l->get()).value();
  l->reset();
  TargetConfig c = Config();
  c.remote.server_agent = "127.0.0.1:" + std::to_string(port);
  auto t = MakeRemoteTarget(c);
  ASSERT_TRUE(t->CheckUsable().ok());
  auto lab = t->Provision("01", 0);
  ASSERT_TRUE(lab.ok());
  auto agent = (*lab)->StartAgent(Role::kServer);
  ASSERT_FALSE(agent.ok());
  EXPECT_NE(agent.error().message.find("server agent 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << agent.error().message;
}

}  // namespace
}  // namespace lingerlab

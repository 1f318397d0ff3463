// The coordinator's agent client against a real agent session, over TCP (the
// transport remote agents use) and over a socketpair with a peer that stops
// answering.
#include "suite/coordinator/agent_client.h"

#include <gtest/gtest.h>

#include <thread>

#include "agents/agent/agent_session.h"
#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"

namespace lingerlab {
namespace {

using nlohmann::json;

TEST(AgentClientTest, SameProtocolWorksOverTcp) {
  auto lfd = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(lfd.ok());
  int port = LocalPort(lfd->get()).value();
  std::thread agent([&] {
    auto conn = AcceptControl(lfd->get());
    ASSERT_TRUE(conn.ok());
    Channel ch(std::move(*conn));
    StepExecutor exec(MakeNativeSocketApi());
    EXPECT_EQ(ServeSession(ch, exec, AgentIdentity{"1", "c", DescribeHostPlatform()}),
              SessionEnd::kBye);
  });
  auto fd = ConnectTcp("127.0.0.1", port, kNsPerSec);
  ASSERT_TRUE(fd.ok()) << fd.error().message;
  AgentClient client(Channel(std::move(*fd)), "remote");
  auto hello = client.Handshake(Role::kClient);
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  EXPECT_EQ((*hello)["role"], "client");
  auto ev = client.Request("socket", {{"handle", "s"}}, kNsPerSec);
  ASSERT_TRUE(ev.ok());
  EXPECT_GE((*ev)["ret"].get<int>(), 0);
  auto refused = client.Request("socket", {{"handle", "s"}}, kNsPerSec);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("bad_request"), std::string::npos);
  auto off = client.EstimateClockOffset(3);
  ASSERT_TRUE(off.ok());
  EXPECT_LT(std::llabs(off->offset_ns), 50 * kNsPerMs);  // same host, same clock
  client.Bye();
  agent.join();
}

TEST(AgentClientTest, AnAgentThatStopsAnsweringIsLostNotAHang) {
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  UniqueFd silent(fds[1]);  // reads nothing, answers nothing
  AgentClient client{Channel{UniqueFd{fds[0]}}, "mute"};
  int64_t t0 = MonotonicNs();
  auto r = client.Request("time", json::object(), 200 * kNsPerMs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_LT(MonotonicNs() - t0, 2 * kNsPerSec);
  auto again = client.Request("time", json::object(), kNsPerSec);
  EXPECT_FALSE(again.ok());  // the channel is not reused after a lost reply
}

TEST(AgentClientTest, AnAgentThatDiesIsReportedAsClosed) {
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  AgentClient client{Channel{UniqueFd{fds[0]}}, "dead"};
  ::close(fds[1]);
  auto r = client.Handshake(Role::kServer);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().code == ErrorCode::kClosed || r.error().code == ErrorCode::kFailed)
      << r.error().message;
}

}  // namespace
}  // namespace lingerlab

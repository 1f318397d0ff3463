// The agent's side of the control protocol, driven over a socketpair by a
// test that plays the coordinator, including one that misbehaves.
#include "agents/agent/agent_session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <string>

#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {
namespace {

using nlohmann::json;

class AgentSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_TRUE(MakeStreamPair(fds).ok());
    coordinator_ = std::make_unique<Channel>(UniqueFd(fds[0]));
    agent_fd_ = fds[1];
    done_ = std::async(std::launch::async, [this] {
      Channel ch{UniqueFd(agent_fd_)};
      StepExecutor exec(MakeNativeSocketApi());
      return ServeSession(ch, exec, AgentIdentity{"9.9.9", "abc", DescribeHostPlatform()});
    });
  }
  json Recv() {
    auto m = coordinator_->Receive(2 * kNsPerSec);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? *m : json();
  }
  json Hello() {
    EXPECT_TRUE(
        coordinator_
            ->Send({{"type", "hello"}, {"protocol", protocol::kVersion}, {"role", "server"}})
            .ok());
    return Recv();
  }
  SessionEnd End() {
    EXPECT_EQ(done_.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    return done_.get();
  }
  void SendRaw(const std::string& bytes) { ASSERT_TRUE(WriteAll(coordinator_->fd(), bytes).ok()); }

  std::unique_ptr<Channel> coordinator_;
  int agent_fd_ = -1;
  std::future<SessionEnd> done_;
};

TEST_F(AgentSessionTest, HandshakeReportsVersionPlatformAndPid) {
  json h = Hello();
  EXPECT_EQ(h["type"], "hello");
  EXPECT_EQ(h["protocol"], protocol::kVersion);
  EXPECT_EQ(h["agent"]["version"], "9.9.9");
  EXPECT_EQ(h["role"], "server");
  EXPECT_FALSE(h["platform"]["os"].get<std::string>().empty());
  EXPECT_EQ(h["pid"], ::getpid());
  coordinator_->Close();
  EXPECT_EQ(End(), SessionEnd::kPeerClosed);
}

TEST_F(AgentSessionTest, EveryRequestIsAnsweredAndByeEndsTheSession) {
  Hello();
  ASSERT_TRUE(coordinator_->Send({{"type", "request"}, {"id", 1}, {"op", "time"}}).ok());
  json r1 = Recv();
  EXPECT_EQ(r1["id"], 1);
  EXPECT_EQ(r1["ok"], true);
  ASSERT_TRUE(coordinator_->Send({{"type", "request"}, {"id", 2}, {"op", "warp"}}).ok());
  json r2 = Recv();
  EXPECT_EQ(r2["id"], 2);
  EXPECT_EQ(r2["ok"], false);
  EXPECT_EQ(r2["error"]["code"], "unknown_op");
  ASSERT_TRUE(coordinator_->Send({{"type", "request"}, {"op", "time"}}).ok());
  EXPECT_EQ(Recv()["error"]["code"], "bad_request");  // no id: still answered
  ASSERT_TRUE(coordinator_->Send({{"type", "request"}, {"id", 3}, {"op", "bye"}}).ok());
  EXPECT_EQ(Recv()["ok"], true);
  EXPECT_EQ(End(), SessionEnd::kBye);
}

TEST_F(AgentSessionTest, WrongProtocolVersionIsRefusedAndClosed) {
  ASSERT_TRUE(coordinator_->Send({{"type", "hello"}, {"protocol", 99}}).ok());
  json e = Recv();
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["error"]["code"], "protocol_version");
  EXPECT_EQ(End(), SessionEnd::kProtocolError);
  auto after = coordinator_->Receive(kNsPerSec);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kClosed);
}

TEST_F(AgentSessionTest, RequestBeforeHelloIsRefused) {
  ASSERT_TRUE(coordinator_->Send({{"type", "request"}, {"id", 1}, {"op", "time"}}).ok());
  EXPECT_EQ(Recv()["error"]["code"], "no_handshake");
  EXPECT_EQ(End(), SessionEnd::kProtocolError);
}

TEST_F(AgentSessionTest, GarbageFrameGetsAnErrorAndACleanClose) {
  Hello();
  std::string body = "{not json";
  std::string frame{0, 0, 0, static_cast<char>(body.size())};
  SendRaw(frame + body);
  json e = Recv();
  EXPECT_EQ(e["error"]["code"], "malformed_frame");
  EXPECT_EQ(End(), SessionEnd::kProtocolError);
}

TEST_F(AgentSessionTest, OversizedFrameGetsAnErrorWithoutReadingTheBody) {
  Hello();
  SendRaw(std::string("\x40\x00\x00\x00", 4));  // 1 GiB announced, never sent
  json e = Recv();
  EXPECT_EQ(e["error"]["code"], "frame_too_large");
  EXPECT_EQ(End(), SessionEnd::kProtocolError);
}

TEST_F(AgentSessionTest, MessageWithoutTypeIsMalformed) {
  Hello();
  ASSERT_TRUE(coordinator_->Send({{"id", 1}}).ok());
  EXPECT_EQ(Recv()["error"]["code"], "malformed_frame");
  EXPECT_EQ(End(), SessionEnd::kProtocolError);
}

TEST_F(AgentSessionTest, CoordinatorVanishingMidFrameEndsTheSession) {
  Hello();
  SendRaw(std::string("\x00\x00\x00\x20{\"type\"", 11));
  coordinator_.reset();
  EXPECT_EQ(End(), SessionEnd::kProtocolError);
}

TEST_F(AgentSessionTest, ArgumentsOfTheWrongTypeGetBadRequestAndTheAgentLivesOn) {
  Hello();
  const std::vector<json> bad = {
      {{"type", "request"},
       {"id", 1},
       {"op", "socket"},
       {"args", {{"handle", "s"}, {"family", 4}}}},
      {{"type", "request"}, {"id", 2}, {"op", "socket"}, {"args", "not an object"}},
      {{"type", "request"}, {"id", 3}, {"op", "socket"}, {"args", {{"handle", 17}}}},
  };
  for (const json& m : bad) {
    ASSERT_TRUE(coordinator_->Send(m).ok());
    json r = Recv();
    EXPECT_EQ(r["id"], m["id"]);
    EXPECT_EQ(r["ok"], false) << r.dump();
    EXPECT_EQ(r["error"]["code"], "bad_request") << r.dump();
  }
  // A socket to read from, then wrong-typed and oversized arguments on it.
  ASSERT_TRUE(
      coordinator_
          ->Send({{"type", "request"}, {"id", 4}, {"op", "socket"}, {"args", {{"handle", "s"}}}})
          .ok());
  EXPECT_EQ(Recv()["ok"], true);
  ASSERT_TRUE(coordinator_
                  ->Send({{"type", "request"},
                          {"id", 5},
                          {"op", "read"},
                          {"args", {{"handle", "s"}, {"verify", 1}, {"limit_ms", 1}}}})
                  .ok());
  EXPECT_EQ(Recv()["error"]["code"], "bad_request");
  ASSERT_TRUE(coordinator_
                  ->Send({{"type", "request"},
                          {"id", 6},
                          {"op", "write"},
                          {"args", {{"handle", "s"}, {"bytes", int64_t{1} << 62}}}})
                  .ok());
  EXPECT_EQ(Recv()["error"]["code"], "bad_request");
  ASSERT_TRUE(coordinator_->Send({{"type", "request"}, {"id", 7}, {"op", "bye"}}).ok());
  EXPECT_EQ(Recv()["ok"], true);
  EXPECT_EQ(End(), SessionEnd::kBye);
}

TEST_F(AgentSessionTest, HelloWithFieldsOfTheWrongTypeIsRefusedNotACrash) {
  ASSERT_TRUE(coordinator_->Send({{"type", 5}, {"protocol", protocol::kVersion}}).ok());
  EXPECT_EQ(Recv()["error"]["code"], "no_handshake");
  EXPECT_EQ(End(), SessionEnd::kProtocolError);
}

TEST_F(AgentSessionTest, RoleOfTheWrongTypeIsIgnored) {
  ASSERT_TRUE(
      coordinator_->Send({{"type", "hello"}, {"protocol", protocol::kVersion}, {"role", 7}}).ok());
  json h = Recv();
  EXPECT_EQ(h["type"], "hello");
  EXPECT_EQ(h["role"], "");
  coordinator_->Close();
  EXPECT_EQ(End(), SessionEnd::kPeerClosed);
}

}  // namespace
}  // namespace lingerlab

// The agent's side of the control protocol, driven over a socketpair by a
// test that plays the coordinator, including one that misbehaves.
#include "agents/agent/agent_session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// A session on its own thread over a socketpair, with the hello exchanged:
// for tests that need their own limits or channel deadlines.
struct BackgroundSession {
  std::unique_ptr<Channel> coordinator;
  std::future<SessionEnd> done;
};

BackgroundSession StartAfterHello(SessionLimits limits = {},
                                  int64_t write_timeout_ns = protocol::kFrameWriteTimeout) {
  int fds[2];
  EXPECT_TRUE(MakeStreamPair(fds).ok());
  BackgroundSession s;
  s.coordinator = std::make_unique<Channel>(UniqueFd(fds[0]));
  s.done = std::async(std::launch::async, [fd = fds[1], limits, write_timeout_ns] {
    Channel ch{UniqueFd(fd), protocol::kFrameReadTimeout, write_timeout_ns};
    StepExecutor exec(MakeNativeSocketApi());
    return ServeSession(ch, exec, AgentIdentity{"9.9.9", "abc", DescribeHostPlatform()}, limits);
  });
  EXPECT_TRUE(
      s.coordinator->Send({{"type", "hello"}, {"protocol", protocol::kVersion}, {"role", "c"}})
          .ok());
  EXPECT_TRUE(s.coordinator->Receive(2 * kNsPerSec).ok());
  return s;
}

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

// A frame whose body is `body`, however deep: Channel::Send would have to
// build and dump the value, which is what the agent must never do.
std::string RawFrame(const std::string& body) {
  const auto n = static_cast<uint32_t>(body.size());
  return std::string{static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                     static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)} +
         body;
}

std::string Arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
std::string Objects(size_t depth) {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += R"({"a":)";
  s += "1";
  return s + std::string(depth, '}');
}

// ~60,000 levels took the agent down with SIGSEGV: the value was built, then
// copied and dumped recursively. Now the frame is refused before that.
TEST_F(AgentSessionTest, DeeplyNestedHelloIsAMalformedFrameNotACrash) {
  SendRaw(RawFrame(R"({"type":"hello","role":"s","protocol":)" + Arrays(200000) + "}"));
  json e = Recv();
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["error"]["code"], "malformed_frame");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("deeper than 64"), std::string::npos);
  EXPECT_EQ(End(), SessionEnd::kProtocolError);
}

TEST(AgentSessionDepthTest, DeeplyNestedIdArgsOrObjectsAreMalformedFramesNotCrashes) {
  const std::vector<std::string> bodies = {
      R"({"type":"request","op":"time","id":)" + Arrays(200000) + "}",
      R"({"type":"request","id":1,"op":"socket","args":{"handle":)" + Arrays(200000) + "}}",
      R"({"type":"request","id":1,"op":"time","args":)" + Objects(100000) + "}",
  };
  for (const std::string& body : bodies) {
    auto [coordinator_end, done] = StartAfterHello();
    Channel& coordinator = *coordinator_end;
    ASSERT_TRUE(WriteAll(coordinator.fd(), RawFrame(body)).ok());
    auto e = coordinator.Receive(2 * kNsPerSec);
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ((*e)["error"]["code"], "malformed_frame") << body.substr(0, 60);
    ASSERT_EQ(done.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_EQ(done.get(), SessionEnd::kProtocolError);
  }
}

TEST_F(AgentSessionTest, NestingWithinTheLimitIsServed) {
  Hello();
  SendRaw(RawFrame(R"({"type":"request","id":1,"op":"time","args":{"x":)" + Arrays(60) + "}}"));
  json r = Recv();
  EXPECT_EQ(r["ok"], true) << r.dump();
  coordinator_->Close();
  EXPECT_EQ(End(), SessionEnd::kPeerClosed);
}

// get<int>() cut 2^32 + 1 to 1, so a wrong version passed as protocol 1.
TEST_F(AgentSessionTest, ProtocolVersionIsComparedWithoutTruncation) {
  ASSERT_TRUE(coordinator_->Send({{"type", "hello"}, {"protocol", (int64_t{1} << 32) + 1}}).ok());
  EXPECT_EQ(Recv()["error"]["code"], "protocol_version");
  EXPECT_EQ(End(), SessionEnd::kProtocolError);
}

// A 1 MiB-ish role made the hello reply too large to send: the agent went
// silent. Echoed peer text is cut to kMaxEchoBytes.
TEST_F(AgentSessionTest, AHugeRoleIsEchoedCutNotDropped) {
  const std::string role(protocol::kMaxFrameBytes - 100, 'r');
  ASSERT_TRUE(
      coordinator_->Send({{"type", "hello"}, {"protocol", protocol::kVersion}, {"role", role}})
          .ok());
  json h = Recv();
  EXPECT_EQ(h["type"], "hello");
  EXPECT_LE(h["role"].get<std::string>().size(), protocol::kMaxEchoBytes + 3);
  EXPECT_EQ(h["role"].get<std::string>().rfind("rrrr", 0), 0u);
  coordinator_->Close();
  EXPECT_EQ(End(), SessionEnd::kPeerClosed);
}

// A huge non-integer id was echoed, so neither the reply nor the
// reply_too_large fallback fitted a frame and the session ended silently.
TEST_F(AgentSessionTest, HugePeerTextInAMessageGetsABoundedAnswer) {
  Hello();
  const std::string big(protocol::kMaxFrameBytes - 200, 'x');
  const std::vector<json> messages = {
      {{"type", "note"}, {"id", big}},
      {{"type", big}, {"id", 4}},
      {{"type", "request"}, {"id", 5}, {"op", big}},
      {{"type", "request"},
       {"id", 6},
       {"op", "setsockopt"},
       {"args", {{"handle", "s"}, {"option", big}}}},
  };
  for (const json& m : messages) {
    ASSERT_TRUE(coordinator_->Send(m).ok());
    json r = Recv();
    EXPECT_EQ(r["type"], "reply");
    EXPECT_EQ(r["ok"], false);
    EXPECT_LT(r.dump().size(), 1000u) << r.dump().substr(0, 200);
  }
  ASSERT_TRUE(coordinator_->Send({{"type", "request"}, {"id", 9}, {"op", "bye"}}).ok());
  EXPECT_EQ(Recv()["ok"], true);
  EXPECT_EQ(End(), SessionEnd::kBye);
}

TEST(AgentSessionIdleTest, AnIdleSessionIsDroppedWithAnErrorAfterTheIdleDeadline) {
  auto [coordinator_end, done] = StartAfterHello(SessionLimits{kNsPerSec, 300 * kNsPerMs});
  Channel& coordinator = *coordinator_end;
  // Requests inside the deadline keep the session.
  for (int i = 1; i <= 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ASSERT_TRUE(coordinator.Send({{"type", "request"}, {"id", i}, {"op", "time"}}).ok());
    auto r = coordinator.Receive(2 * kNsPerSec);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)["ok"], true);
  }
  const int64_t t0 = MonotonicNs();
  auto e = coordinator.Receive(3 * kNsPerSec);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ((*e)["error"]["code"], "idle_timeout");
  EXPECT_LT(MonotonicNs() - t0, 2 * kNsPerSec);
  ASSERT_EQ(done.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  EXPECT_EQ(done.get(), SessionEnd::kIdle);
  auto after = coordinator.Receive(kNsPerSec);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kClosed);
}

// A coordinator that sends requests but never reads the replies held the
// agent in send() forever; now the session ends at the send deadline.
TEST(AgentSessionSendTest, ACoordinatorThatStopsReadingEndsTheSession) {
  auto [coordinator_end, done] = StartAfterHello(SessionLimits{}, 300 * kNsPerMs);
  Channel& coordinator = *coordinator_end;
  // Each reply echoes its args: ~700 KB that nobody reads.
  const json args = {{"pad", std::string(700 * 1024, 'p')}};
  for (int id = 1; id <= 3; ++id)
    (void)coordinator.Send({{"type", "request"}, {"id", id}, {"op", "time"}, {"args", args}});
  ASSERT_EQ(done.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  EXPECT_EQ(done.get(), SessionEnd::kPeerClosed);
}

}  // namespace
}  // namespace lingerlab

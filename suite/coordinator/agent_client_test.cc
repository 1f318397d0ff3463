// The coordinator's agent client against a real agent session, over TCP (the
// transport remote agents use) and over a socketpair with a peer that stops
// answering.
#include "suite/coordinator/agent_client.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <thread>

#include "agents/agent/agent_session.h"
#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/protocol.h"

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
  // A vanished peer host must not leave either end waiting forever.
  int keepalive = 0;
  unsigned int user_timeout = 0;
  socklen_t len = sizeof(keepalive);
  ::getsockopt(fd->get(), SOL_SOCKET, SO_KEEPALIVE, &keepalive, &len);
  len = sizeof(user_timeout);
  ::getsockopt(fd->get(), IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, &len);
  EXPECT_EQ(keepalive, 1);
  EXPECT_EQ(user_timeout, 60000u);
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

namespace lingerlab {
namespace {

// A fake agent that answers the hello properly (or not) and then answers
// every request with `reply` (its id filled in), to feed the coordinator
// malformed input.
class ScriptedAgent {
 public:
  ScriptedAgent(json hello, json reply) {
    int fds[2];
    EXPECT_TRUE(MakeStreamPair(fds).ok());
    coordinator_fd_ = fds[0];
    thread_ = std::thread([fd = fds[1], hello, reply] {
      Channel ch{UniqueFd{fd}};
      if (!ch.Receive(kNsPerSec).ok()) return;
      (void)ch.Send(hello);
      for (;;) {
        auto req = ch.Receive(2 * kNsPerSec);
        if (!req.ok()) return;
        json r = reply;
        if (r.is_object() && r.contains("id") && r["id"] == "ID") r["id"] = (*req)["id"];
        (void)ch.Send(r);
      }
    });
  }
  ~ScriptedAgent() { thread_.join(); }
  int coordinator_fd() const { return coordinator_fd_; }

 private:
  int coordinator_fd_;
  std::thread thread_;
};

const json kGoodHello = {
    {"type", "hello"}, {"protocol", 1}, {"platform", {{"os", "Fake"}}}, {"pid", 1}};

TEST(AgentClientTest, MalformedRepliesAreErrorsNotCrashes) {
  const std::vector<std::pair<json, std::string>> replies = {
      {{{"type", "reply"}, {"id", "ID"}, {"ok", true}, {"event", {{"step", "time"}}}},
       "malformed reply"},
      {{{"type", "reply"}, {"id", "ID"}, {"ok", true}, {"event", "boom"}}, "malformed reply"},
      {{{"type", "reply"}, {"id", "ID"}, {"ok", false}, {"error", "boom"}}, "refused"},
      {{{"type", "error"}}, "agent error"},
      {{{"type", 5}, {"id", "ID"}}, "no reply"},  // not a reply: ignored until the deadline
  };
  for (const auto& [reply, expect] : replies) {
    ScriptedAgent fake(kGoodHello, reply);
    AgentClient client{Channel{UniqueFd{fake.coordinator_fd()}}, "fake"};
    ASSERT_TRUE(client.Handshake(Role::kServer).ok());
    auto r = client.Request("time", json::object(), 300 * kNsPerMs);
    ASSERT_FALSE(r.ok()) << reply.dump();
    EXPECT_NE(r.error().message.find(expect), std::string::npos) << r.error().message;
    auto off = client.EstimateClockOffset(1);
    EXPECT_FALSE(off.ok());
  }
}

TEST(AgentClientTest, HandshakeWithoutPlatformIsRefused) {
  for (const json& hello :
       {json{{"type", "hello"}, {"protocol", 1}}, json{{"type", "hello"}, {"protocol", "1"}},
        json{{"type", 7}}, json{{"type", "hello"}, {"protocol", 1}, {"platform", 3}, {"pid", 1}}}) {
    ScriptedAgent fake(hello, json::object());
    AgentClient client{Channel{UniqueFd{fake.coordinator_fd()}}, "fake"};
    auto h = client.Handshake(Role::kClient);
    EXPECT_FALSE(h.ok()) << hello.dump();
  }
}

// What an agent says by name is checked as it arrives: an errno name is a
// name (what `check` then reads back), strings are bounded plain text.
TEST(EventShapeTest, AgentStringsAreValidatedOnArrival) {
  json good = {{"step", "close"},
               {"ret", -1},
               {"errno", 104},
               {"errno_name", "ECONNRESET"},
               {"clock_start", {{"mono_ns", 1}, {"real_ns", 2}}},
               {"clock_end", {{"mono_ns", 3}, {"real_ns", 4}}}};
  EXPECT_EQ(CheckEventShape(good), "");
  good["errno_name"] = "";
  EXPECT_EQ(CheckEventShape(good), "");
  for (const json& bad : {json("claims.client_end"), json("econnreset"), json("E\x1b[2J"),
                          json("E" + std::string(40, 'A')), json(104)}) {
    json e = good;
    e["errno_name"] = bad;
    EXPECT_NE(CheckEventShape(e).find("errno_name"), std::string::npos) << bad.dump();
  }
  for (const char* key : {"handle", "peer", "local", "step"}) {
    json e = good;
    e[key] = "a\rb";
    EXPECT_NE(CheckEventShape(e).find(key), std::string::npos) << key;
    e[key] = std::string(300, 'x');
    EXPECT_NE(CheckEventShape(e).find(key), std::string::npos) << key;
  }
  json e = good;
  e["end"] = "whatever";
  EXPECT_NE(CheckEventShape(e).find("end must be"), std::string::npos);
}

// The close-state ops' fields (doc/protocol.md §3.2): states and event names
// are words, the socket table a bounded list, values integers.
TEST(EventShapeTest, CloseStateFieldsAreValidatedOnArrival) {
  const json good = {
      {"step", "socket_table"},
      {"ret", 0},
      {"errno", 0},
      {"errno_name", nullptr},
      {"clock_start", {{"mono_ns", 1}, {"real_ns", 2}}},
      {"clock_end", {{"mono_ns", 3}, {"real_ns", 4}}},
      {"state", "FIN_WAIT1"},
      {"entries", {{{"state", "FIN_WAIT1"}, {"local_port", 5301}, {"remote_port", 4000}}}},
      {"revents", {"IN", "HUP"}},
      {"value", 104},
      {"value_name", "ECONNRESET"},
      {"status", nullptr},
      {"unsupported", false}};
  EXPECT_EQ(CheckEventShape(good), "");
  json entries_too_many = json::array();
  for (int i = 0; i < 65; ++i) entries_too_many.push_back(good["entries"][0]);
  const std::vector<std::pair<const char*, json>> bad = {
      {"state", "FIN WAIT"},
      {"state", std::string(40, 'A')},
      {"state", 3},
      {"revents", "IN"},
      {"revents", {"IN", "\x1b"}},
      {"revents", json(std::vector<std::string>(17, "IN"))},
      {"entries", {{{"state", "X"}, {"local_port", 70000}, {"remote_port", 1}}}},
      {"entries", {{{"local_port", 1}, {"remote_port", 1}}}},
      {"entries", entries_too_many},
      {"value", "104"},
      {"value_name", "econnreset"},
      {"status", std::string(300, 'x')},
      {"status", 9},
      {"unsupported", "yes"},
  };
  for (const auto& [key, value] : bad) {
    json e = good;
    e[key] = value;
    EXPECT_NE(CheckEventShape(e).find(key), std::string::npos) << key << " = " << value.dump();
  }
}

TEST(AgentClientTest, HelloPlatformMustBePlainText) {
  json hello = {{"type", "hello"}, {"protocol", 1}, {"pid", 1}};
  hello["platform"] = {{"os", "Linux"}, {"family", "linux"}};
  EXPECT_EQ(CheckHelloShape(hello), "");
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, json>>{{"os", 42},
                                                 {"os", "\x1b]0;t\x07"},
                                                 {"release", std::string(300, 'x')},
                                                 {"family", "../x"},
                                                 {"family", 7}}) {
    json h = hello;
    h["platform"][key] = value;
    EXPECT_NE(CheckHelloShape(h).find("platform." + key), std::string::npos)
        << key << "=" << value.dump() << ": " << CheckHelloShape(h);
  }
  json many = hello;
  for (int i = 0; i < 20; ++i) many["platform"]["k" + std::to_string(i)] = "v";
  EXPECT_NE(CheckHelloShape(many).find("more than"), std::string::npos);
  json agent = hello;
  agent["agent"] = {{"version", 3}};
  EXPECT_NE(CheckHelloShape(agent).find("agent.version"), std::string::npos);
}

TEST(EventShapeTest, AcceptsRealEventsAndNamesWhatIsWrong) {
  json good = {{"step", "read"},
               {"ret", 0},
               {"errno", 0},
               {"errno_name", nullptr},
               {"clock_start", {{"mono_ns", 1}, {"real_ns", 2}}},
               {"clock_end", {{"mono_ns", 3}, {"real_ns", 4}}},
               {"bytes", 512},
               {"end", "eof"},
               {"verified", true},
               {"reads", {{5, 512}}}};
  EXPECT_EQ(CheckEventShape(good), "");
  json e = good;
  e["reads"] = {{5}};
  EXPECT_NE(CheckEventShape(e).find("reads"), std::string::npos);
  e = good;
  e["errno_name"] = 4;
  EXPECT_NE(CheckEventShape(e).find("errno_name"), std::string::npos);
  e = good;
  e.erase("clock_end");
  EXPECT_NE(CheckEventShape(e).find("clock"), std::string::npos);
  e = good;
  e["verified"] = "yes";
  EXPECT_NE(CheckEventShape(e).find("verified"), std::string::npos);
}

// A fake agent that writes raw frame bodies (a value nested 200,000 deep
// cannot be built, let alone dumped, to send it): `hello` after the
// coordinator's hello, `reply` after its first request (id 1).
class RawAgent {
 public:
  RawAgent(std::string hello, std::string reply) {
    int fds[2];
    EXPECT_TRUE(MakeStreamPair(fds).ok());
    coordinator_fd_ = fds[0];
    thread_ = std::thread([fd = fds[1], hello = std::move(hello), reply = std::move(reply)] {
      Channel ch{UniqueFd{fd}};
      if (!ch.Receive(kNsPerSec).ok()) return;
      if (!WriteAll(ch.fd(), Framed(hello)).ok()) return;
      if (!ch.Receive(2 * kNsPerSec).ok()) return;
      if (!WriteAll(ch.fd(), Framed(reply)).ok()) return;
      (void)ch.Receive(2 * kNsPerSec);  // until the coordinator hangs up
    });
  }
  ~RawAgent() { thread_.join(); }
  int coordinator_fd() const { return coordinator_fd_; }

  static std::string Framed(const std::string& body) {
    const auto n = static_cast<uint32_t>(body.size());
    return std::string{static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                       static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)} +
           body;
  }

 private:
  int coordinator_fd_;
  std::thread thread_;
};

std::string Deep() { return std::string(200000, '[') + std::string(200000, ']'); }

const std::string kGoodHelloText =
    R"({"type":"hello","protocol":1,"platform":{"os":"Fake","family":"linux"},"pid":1})";

// A value nested this deep anywhere in a hello crashed the whole coordinator
// (the hello is copied and its platform.family read later); now the frame is
// malformed and only this agent's case errs.
TEST(AgentClientTest, ADeeplyNestedHelloIsAnErrorNotACrash) {
  for (const std::string& hello :
       {R"({"type":"hello","protocol":1,"pid":1,"platform":{"os":"x","family":)" + Deep() + "}}",
        R"({"type":"hello","protocol":1,"pid":1,"platform":{"os":"x"},"agent":)" + Deep() + "}",
        R"({"type":"error","error":{"code":"busy","message":)" + Deep() + "}}"}) {
    RawAgent fake(hello, "");
    AgentClient client{Channel{UniqueFd{fake.coordinator_fd()}}, "deep"};
    auto h = client.Handshake(Role::kServer);
    ASSERT_FALSE(h.ok());
    EXPECT_NE(h.error().message.find("malformed_frame"), std::string::npos) << h.error().message;
    EXPECT_NE(h.error().message.find("deeper than 64"), std::string::npos) << h.error().message;
  }
}

TEST(AgentClientTest, ADeeplyNestedReplyIsAnErrorNotACrash) {
  const std::string event_fields =
      R"("step":"time","ret":0,"errno":0,"errno_name":null,)"
      R"("clock_start":{"mono_ns":1,"real_ns":2},"clock_end":{"mono_ns":3,"real_ns":4})";
  for (const std::string& reply : {
           R"({"type":"reply","id":1,"ok":true,"event":{)" + event_fields + R"(,"extra":)" +
               Deep() + "}}",
           R"({"type":"reply","id":1,"ok":false,"error":{"code":)" + Deep() + "}}",
           R"({"type":"reply","id":)" + Deep() + "}",
           R"({"type":"error","error":)" + Deep() + "}",
       }) {
    RawAgent fake(kGoodHelloText, reply);
    AgentClient client{Channel{UniqueFd{fake.coordinator_fd()}}, "deep"};
    ASSERT_TRUE(client.Handshake(Role::kClient).ok());
    auto r = client.Request("time", json::object(), kNsPerSec);
    ASSERT_FALSE(r.ok()) << reply.substr(0, 80);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(r.error().message.find("malformed_frame"), std::string::npos) << r.error().message;
    EXPECT_FALSE(client.Request("time", json::object(), kNsPerSec).ok());  // the agent is lost
  }
}

// The clock offset is the agent's real_ns minus our midpoint: a reply with
// real_ns near INT64_MIN overflowed that subtraction (found by
// agent_client_fuzz, UBSan). Clock readings outside 0..2^62 and integers
// beyond +-2^62 are malformed replies now, before any arithmetic.
TEST(AgentClientTest, ClockReadingsAndIntegersOutOfRangeAreMalformedNotOverflowed) {
  const std::string min = "-9223372036854775808", umax = "18446744073709551615";
  for (
      const std::string& stamps : std::vector<std::string>{
          R"("clock_start":{"mono_ns":1,"real_ns":)" + min +
              R"(},"clock_end":{"mono_ns":3,"real_ns":4})",
          R"("clock_start":{"mono_ns":1,"real_ns":)" + umax +
              R"(},"clock_end":{"mono_ns":3,"real_ns":4})",
          R"("clock_start":{"mono_ns":-1,"real_ns":2},"clock_end":{"mono_ns":3,"real_ns":4})",
          R"("clock_start":{"mono_ns":1,"real_ns":2},"clock_end":{"mono_ns":3,"real_ns":4},"bytes":)" +
              umax}) {
    const std::string reply = R"({"type":"reply","id":1,"ok":true,"event":{"step":"time",)"
                              R"("ret":0,"errno":0,"errno_name":null,)" +
                              stamps + "}}";
    RawAgent fake(kGoodHelloText, reply);
    AgentClient client{Channel{UniqueFd{fake.coordinator_fd()}}, "clock"};
    ASSERT_TRUE(client.Handshake(Role::kClient).ok());
    auto offset = client.EstimateClockOffset(1);
    ASSERT_FALSE(offset.ok()) << stamps;
    EXPECT_NE(offset.error().message.find("malformed reply"), std::string::npos)
        << offset.error().message;
  }
}

// An error frame of nearly a megabyte was quoted whole into the case's
// error (and cut mid-UTF-8 by substr elsewhere).
TEST(AgentClientTest, AHugeErrorFrameIsQuotedBounded) {
  const std::string big = "\xc3\xa9" + std::string(protocol::kMaxFrameBytes - 200, 'e');
  ScriptedAgent fake({{"type", "error"}, {"error", {{"code", "x"}, {"message", big}}}},
                     json::object());
  AgentClient client{Channel{UniqueFd{fake.coordinator_fd()}}, "loud"};
  auto h = client.Handshake(Role::kServer);
  ASSERT_FALSE(h.ok());
  EXPECT_LT(h.error().message.size(), 1000u);
  EXPECT_NO_THROW((void)json(h.error().message).dump());  // valid UTF-8 for the results file
}

}  // namespace
}  // namespace lingerlab

// Listen mode: authenticated coordinators only; the sessions of one lease at
// once, other leases refused at once with `busy`; peers without the key get
// nothing run; idle and trickling peers dropped; bad --listen addresses
// refused.
#include "agents/agent/listener.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"

namespace lingerlab {
namespace {

using nlohmann::json;

constexpr int64_t kWait = 2 * kNsPerSec;

class ListenerTest : public ::testing::Test {
 protected:
  ListenerTest() {
    options_.limits = SessionLimits{kNsPerSec, 10 * kNsPerSec};
    options_.key = key_;
    options_.stop = &stop_;
    options_.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
  }
  void Start() {
    auto lfd = ListenTcp("127.0.0.1", 0);
    ASSERT_TRUE(lfd.ok()) << lfd.error().message;
    listen_fd_ = std::move(*lfd);
    port_ = LocalPort(listen_fd_.get()).value();
    thread_ =
        std::thread([this] { served_ = ServeListener(listen_fd_.get(), identity_, options_); });
  }
  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(served_.ok()) << served_.message();
  }
  Channel Connect() {
    auto fd = ConnectTcp("127.0.0.1", port_, kNsPerSec);
    EXPECT_TRUE(fd.ok());
    return Channel(fd.ok() ? std::move(*fd) : UniqueFd());
  }
  // A coordinator's start: authenticate with `key` for `lease`.
  Status Auth(Channel& ch, const std::string& lease, const AuthKey* key = nullptr) {
    return AuthenticateToAgent(ch, key ? *key : key_, lease, kWait);
  }
  static json Hello(Channel& ch) {
    EXPECT_TRUE(ch.Send({{"type", "hello"}, {"protocol", protocol::kVersion}, {"role", "c"}}).ok());
    auto h = ch.Receive(kWait);
    EXPECT_TRUE(h.ok()) << h.error().message;
    return h.ok() ? *h : json();
  }
  // Connects, authenticates and says hello; the channel is ready for requests.
  Channel Session(const std::string& lease) {
    Channel ch = Connect();
    Status s = Auth(ch, lease);
    EXPECT_TRUE(s.ok()) << s.message();
    if (s.ok()) {
      EXPECT_EQ(Hello(ch)["type"], "hello");
    }
    return ch;
  }
  static json Request(Channel& ch, int64_t id, const std::string& op, const json& args = {}) {
    json req = {{"type", "request"}, {"id", id}, {"op", op}};
    if (!args.is_null()) req["args"] = args;
    EXPECT_TRUE(ch.Send(req).ok());
    auto r = ch.Receive(kWait);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : json();
  }
  // The peer's next frames until the end of the stream: the error frame (if
  // any) and then kClosed.
  static json ErrorThenClose(Channel& ch) {
    auto e = ch.Receive(3 * kNsPerSec);
    EXPECT_TRUE(e.ok()) << e.error().message;
    auto closed = ch.Receive(3 * kNsPerSec);
    EXPECT_FALSE(closed.ok());
    if (!closed.ok()) {
      EXPECT_EQ(closed.error().code, ErrorCode::kClosed) << closed.error().message;
    }
    return e.ok() ? *e : json();
  }
  bool LogHas(const std::string& text) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const auto& line : log_)
      if (line.find(text) != std::string::npos) return true;
    return false;
  }
  // Polls `cond` every 20 ms for up to `bound_ns`.
  template <typename F>
  static bool Eventually(F cond, int64_t bound_ns = 3 * kNsPerSec) {
    const int64_t end = MonotonicNs() + bound_ns;
    while (!cond()) {
      if (MonotonicNs() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  AgentIdentity identity_{"9.9.9", "abc", DescribeHostPlatform()};
  AuthKey key_{std::string(32, 'k')};
  UniqueFd listen_fd_;
  int port_ = 0;
  ListenerOptions options_;
  std::atomic<bool> stop_{false};
  Status served_;
  std::thread thread_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(ListenerTest, AnotherLeaseIsRefusedBusyAtOnceWhileTheFirstSessionWorks) {
  Start();
  Channel first = Session("run-a");

  Channel second = Connect();
  const int64_t t0 = MonotonicNs();
  Status refused = Auth(second, "run-b");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kBusy) << refused.message();
  // Nothing about the holder reaches a peer that has not authenticated.
  EXPECT_EQ(refused.message().find("run-a"), std::string::npos) << refused.message();
  EXPECT_LT(MonotonicNs() - t0, 500 * kNsPerMs);
  auto closed = second.Receive(3 * kNsPerSec);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().code, ErrorCode::kClosed);

  // The first session is untouched.
  EXPECT_EQ(Request(first, 1, "time")["ok"], true);
  EXPECT_EQ(Request(first, 2, "bye")["ok"], true);
}

TEST_F(ListenerTest, TheSameLeaseGetsConcurrentSessionsEachWithItsOwnSockets) {
  Start();
  Channel a = Session("run-a");
  Channel b = Session("run-a");
  // The same handle in both: each session has its own socket table.
  const json args = {{"handle", "s"}, {"family", "inet"}};
  EXPECT_EQ(Request(a, 1, "socket", args)["ok"], true);
  EXPECT_EQ(Request(b, 1, "socket", args)["ok"], true);
  EXPECT_EQ(Request(a, 2, "close", {{"handle", "s"}})["ok"], true);
  EXPECT_EQ(Request(b, 2, "time")["ok"], true);
  EXPECT_EQ(Request(b, 3, "close", {{"handle", "s"}})["ok"], true);
  EXPECT_EQ(Request(a, 3, "bye")["ok"], true);
  EXPECT_EQ(Request(b, 4, "bye")["ok"], true);
  EXPECT_TRUE(Eventually([&] { return LogHas("session ended"); }));
  EXPECT_TRUE(LogHas("session started: peer 127.0.0.1:"));
  EXPECT_TRUE(LogHas("lease run-a"));
}

TEST_F(ListenerTest, TheLeaseOutlivesItsLastSessionByTheGraceThenPasses) {
  options_.lease_grace_ns = 400 * kNsPerMs;
  Start();
  {
    Channel a = Session("run-a");
    EXPECT_EQ(Request(a, 1, "bye")["ok"], true);
  }
  // Between two cases of run-a, run-b is still refused ...
  Channel early = Connect();
  EXPECT_EQ(Auth(early, "run-b").code(), ErrorCode::kBusy);
  // ... run-a's next case is served ...
  {
    Channel again = Session("run-a");
    EXPECT_EQ(Request(again, 1, "bye")["ok"], true);
  }
  // ... and once the grace has passed, run-b gets the agent.
  EXPECT_TRUE(Eventually([&] {
    Channel b = Connect();
    return Auth(b, "run-b").ok();
  }));
}

// A run that says it is over (bye "release") frees the agent at once: the
// next run need not wait out the grace.
TEST_F(ListenerTest, ByeWithReleaseEndsTheLeaseWithItsLastSessionWithoutGrace) {
  options_.lease_grace_ns = 60 * kNsPerSec;  // far longer than the test
  Start();
  Channel other_case = Session("run-a");
  {
    Channel last = Session("run-a");
    EXPECT_EQ(Request(last, 1, "bye", {{"release", true}})["ok"], true);
  }
  // Another session of run-a is still active: the lease stays with run-a ...
  SleepNs(100 * kNsPerMs);
  Channel early = Connect();
  EXPECT_EQ(Auth(early, "run-b").code(), ErrorCode::kBusy);
  // ... until it ends; then run-b gets the agent at once.
  EXPECT_EQ(Request(other_case, 1, "bye")["ok"], true);
  EXPECT_TRUE(Eventually([&] {
    Channel b = Connect();
    return Auth(b, "run-b").ok();
  }));
}

TEST_F(ListenerTest, AWrongKeyIsRefusedTakesNoLeaseAndTheNextCoordinatorIsServed) {
  Start();
  const AuthKey wrong{std::string(32, 'w')};
  Channel bad = Connect();
  Status s = Auth(bad, "run-x", &wrong);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kPermission) << s.message();
  EXPECT_TRUE(Eventually([&] { return LogHas("authentication failed from 127.0.0.1:"); }));

  Channel good = Session("run-y");  // another lease: the failed one took none
  EXPECT_EQ(Request(good, 1, "time")["ok"], true);
}

// Requests from a peer that has not authenticated are never performed: no
// socket is opened and no connection is made.
TEST_F(ListenerTest, AnUnauthenticatedPeerGetsNothingRun) {
  Start();
  auto target = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(target.ok());
  const int target_port = LocalPort(target->get()).value();
  const std::string requests =
      EncodeFrame({{"type", "request"},
                   {"id", 1},
                   {"op", "socket"},
                   {"args", {{"handle", "s"}, {"family", "inet"}}}})
          .value() +
      EncodeFrame({{"type", "request"},
                   {"id", 2},
                   {"op", "connect"},
                   {"args", {{"handle", "s"}, {"address", "127.0.0.1"}, {"port", target_port}}}})
          .value();

  // 1. An old coordinator: hello, then requests, all at once.
  {
    Channel peer = Connect();
    const std::string hello =
        EncodeFrame({{"type", "hello"}, {"protocol", 1}, {"role", "client"}}).value();
    ASSERT_TRUE(WriteAll(peer.fd(), hello + requests).ok());
    json e = ErrorThenClose(peer);
    EXPECT_EQ(e["error"]["code"], "auth_required");
    EXPECT_FALSE(e.contains("platform"));
  }
  // 1b. A first frame whose type would forge a log line.
  {
    Channel peer = Connect();
    ASSERT_TRUE(peer.Send({{"type", "x\nsession started: peer 6.6.6.6:1, lease evil"}}).ok());
    EXPECT_EQ(ErrorThenClose(peer)["error"]["code"], "auth_required");
    EXPECT_TRUE(Eventually([&] { return LogHas("x?session started"); }));
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const auto& line : log_) EXPECT_NE(line.rfind("session started: peer 6.6.6.6", 0), 0u);
  }
  // 2. A proper auth request, then requests in place of the proof.
  {
    Channel peer = Connect();
    const std::string auth = EncodeFrame({{"type", "auth"},
                                          {"scheme", "hmac-sha256"},
                                          {"version", 1},
                                          {"lease", "run-z"},
                                          {"nonce", std::string(64, '1')}})
                                 .value();
    ASSERT_TRUE(WriteAll(peer.fd(), auth + requests).ok());
    auto challenge = peer.Receive(kWait);
    ASSERT_TRUE(challenge.ok());
    EXPECT_EQ((*challenge)["type"], "auth_challenge");
    json e = ErrorThenClose(peer);
    EXPECT_EQ(e["error"]["code"], "auth_failed");
  }
  // 3. A wrong key, then requests sealed under nothing the agent knows.
  {
    Channel peer = Connect();
    const AuthKey wrong{std::string(32, 'w')};
    EXPECT_EQ(Auth(peer, "run-z", &wrong).code(), ErrorCode::kPermission);
    (void)WriteAll(peer.fd(), requests);  // may fail: the agent has closed
  }
  auto conn = AcceptControl(target->get(), 500 * kNsPerMs);
  ASSERT_FALSE(conn.ok()) << "the agent connected for an unauthenticated peer";
  EXPECT_EQ(conn.error().code, ErrorCode::kTimeout);

  // The agent was not taken by any of them.
  Channel good = Session("run-good");
  EXPECT_EQ(Request(good, 1, "time")["ok"], true);
}

TEST_F(ListenerTest, ATamperedFrameInASessionGetsASealedIntegrityErrorAndTheEnd) {
  Start();
  Channel c = Session("run-a");
  // An unsealed frame where a sealed one belongs.
  ASSERT_TRUE(
      WriteAll(c.fd(), EncodeFrame({{"type", "request"}, {"id", 1}, {"op", "time"}}).value()).ok());
  json e = ErrorThenClose(c);  // readable: sealed with the agent's key
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["error"]["code"], "integrity");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("integrity check"), std::string::npos);
}

TEST_F(ListenerTest, ATricklingPeerIsDroppedAtTheFrameDeadlineWhileOthersAreServed) {
  options_.limits.handshake_timeout_ns = 10 * kNsPerSec;
  options_.frame_timeout_ns = kNsPerSec;
  Start();
  Channel trickler = Connect();
  const std::string auth = EncodeFrame({{"type", "auth"},
                                        {"scheme", "hmac-sha256"},
                                        {"version", 1},
                                        {"lease", "run-t"},
                                        {"nonce", std::string(64, '1')}})
                               .value();
  std::atomic<bool> stop{false};
  std::atomic<int64_t> first_byte_ns{0};
  std::thread writer([&] {
    for (char ch : auth) {
      if (stop) return;
      if (first_byte_ns == 0) first_byte_ns = MonotonicNs();
      if (!WriteAll(trickler.fd(), std::string_view(&ch, 1)).ok()) return;
      for (int i = 0; i < 10 && !stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // 1 byte/s
    }
  });
  // Meanwhile a coordinator is served.
  Channel good = Session("run-g");
  EXPECT_EQ(Request(good, 1, "time")["ok"], true);

  auto dropped = trickler.Receive(5 * kNsPerSec);
  const int64_t took = MonotonicNs() - first_byte_ns;
  stop = true;
  writer.join();
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  EXPECT_EQ((*dropped)["error"]["code"], "auth_required");
  EXPECT_NE((*dropped)["error"]["message"].get<std::string>().find("not complete within"),
            std::string::npos);
  EXPECT_LT(took, options_.frame_timeout_ns + kNsPerSec);
  EXPECT_EQ(Request(good, 2, "time")["ok"], true);
}

TEST_F(ListenerTest, ConnectionsBeyondTheLimitAreRefusedBusyAtOnce) {
  options_.max_sessions = 2;
  Start();
  Channel a = Session("run-a");
  Channel pending = Connect();  // a handshake in progress counts too
  Channel third = Connect();
  const int64_t t0 = MonotonicNs();
  auto e = third.Receive(kWait);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ((*e)["error"]["code"], "busy");
  EXPECT_LT(MonotonicNs() - t0, 500 * kNsPerMs);
  EXPECT_EQ(Request(a, 1, "time")["ok"], true);
}

TEST_F(ListenerTest, AnIdleSessionIsDroppedAndFreesTheAgentAfterTheGrace) {
  options_.limits.idle_timeout_ns = 300 * kNsPerMs;
  options_.lease_grace_ns = 0;
  Start();
  Channel idle = Session("run-a");
  json e = ErrorThenClose(idle);
  EXPECT_EQ(e["error"]["code"], "idle_timeout");
  EXPECT_TRUE(Eventually([&] {
    Channel next = Connect();
    return Auth(next, "run-b").ok();
  }));
}

// The agent answered a 200,000-deep frame by dying; now it answers the
// frame with an error and serves the next coordinator.
TEST_F(ListenerTest, AfterADeeplyNestedFrameTheAgentServesTheNextCoordinator) {
  Start();
  Channel bad = Connect();
  const std::string body = R"({"type":"auth","lease":"x","nonce":)" + std::string(200000, '[') +
                           std::string(200000, ']') + "}";
  const auto n = static_cast<uint32_t>(body.size());
  const std::string header{static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                           static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  ASSERT_TRUE(WriteAll(bad.fd(), header + body).ok());
  auto e = bad.Receive(3 * kNsPerSec);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ((*e)["error"]["code"], "auth_required");
  EXPECT_NE((*e)["error"]["message"].get<std::string>().find("malformed_frame"), std::string::npos);
  bad.Close();
  Channel good = Session("run-a");
  EXPECT_EQ(Request(good, 1, "time")["ok"], true);
}

TEST_F(ListenerTest, StopEndsOpenSessionsAndReturns) {
  Start();
  Channel a = Session("run-a");
  Channel pending = Connect();
  ASSERT_TRUE(Eventually([&] { return LogHas("session started"); }));
  const int64_t t0 = MonotonicNs();
  stop_ = true;
  thread_.join();
  EXPECT_LT(MonotonicNs() - t0, 3 * kNsPerSec);
  EXPECT_TRUE(served_.ok()) << served_.message();
}

TEST(ListenerKeyTest, ServeListenerRefusesToRunWithoutAKey) {
  auto lfd = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(lfd.ok());
  ListenerOptions options;  // no key
  std::atomic<bool> stop{true};
  options.stop = &stop;
  AgentIdentity id{"9.9.9", "abc", DescribeHostPlatform()};
  Status s = ServeListener(lfd->get(), id, options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kInvalidInput);
}

TEST(ListenAddressTest, PortsOutsideTheRangeOrNotNumbersAreRefused) {
  auto ok = ParseListenAddress("127.0.0.1:7777");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->address, "127.0.0.1");
  EXPECT_EQ(ok->port, 7777);
  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->address, "::1");
  EXPECT_EQ(v6->port, 0);
  // atoi read 99999 as 34463 after the 16-bit cut, and "abc" as 0 (a random port).
  for (const char* bad : {"127.0.0.1:99999", "127.0.0.1:65536", "127.0.0.1:abc", "127.0.0.1:",
                          "127.0.0.1:-1", "127.0.0.1:80x", "127.0.0.1", "1.2.3.4:99999999999"}) {
    auto r = ParseListenAddress(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  }
  EXPECT_NE(ParseListenAddress("127.0.0.1:99999").error().message.find("0..65535"),
            std::string::npos);
}

TEST(ListenAddressTest, WildcardAddressesAreRecognised) {
  for (const char* any : {"0.0.0.0", "::", "0:0:0:0:0:0:0:0", "::0"})
    EXPECT_TRUE(IsWildcardAddress(any)) << any;
  for (const char* one : {"127.0.0.1", "::1", "198.18.0.1", "fe80::1", "localhost", ""})
    EXPECT_FALSE(IsWildcardAddress(one)) << one;
}

// A backlog of 8 queued 9 connections; the 10th connection's SYN was
// dropped and its connect() waited for the retransmission a second later.
TEST(ListenAddressTest, ListenTcpQueuesABurstOfConnectionsBeforeTheFirstAccept) {
  auto lfd = ListenTcp("127.0.0.1", 0);
  ASSERT_TRUE(lfd.ok());
  const int port = LocalPort(lfd->get()).value();
  constexpr int kBurst = 64;  // more than a run's cases, far less than kListenBacklog
  static_assert(kBurst < kListenBacklog);
  std::vector<UniqueFd> queued;
  for (int i = 0; i < kBurst; ++i) {
    auto fd = ConnectTcp("127.0.0.1", port, 300 * kNsPerMs);
    ASSERT_TRUE(fd.ok()) << "connection " << i + 1 << ": " << fd.error().message;
    queued.push_back(std::move(*fd));
  }
}

TEST(ListenAddressTest, ListenTcpRefusesPortsThatDoNotFitSixteenBits) {
  auto r = ListenTcp("127.0.0.1", 70000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace lingerlab

// Listen mode: authenticated coordinators only; the sessions of one lease at
// once, other leases refused at once with `busy`; peers without the key get
// nothing run, and however many of them connect they cannot keep a
// coordinator out (handshake slots, waiting, eviction); idle and trickling
// peers dropped; bad --listen addresses refused.
#include "agents/agent/listener.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "agents/platform/host_platform.h"
#include "agents/platform/sockaddr_posix.h"
#include "agents/platform/stream_io.h"

namespace lingerlab {
namespace {

using nlohmann::json;

constexpr int64_t kWait = 2 * kNsPerSec;

// A connection from `source`, a loopback address other than 127.0.0.1 (the
// per-address rule needs a second address; Linux answers all of 127/8 on
// lo). Invalid if the system will not bind it.
UniqueFd ConnectFrom(const std::string& source, int port) {
  sockaddr_storage from, to;
  socklen_t from_len, to_len;
  if (!ParseSockaddr(source, 0, &from, &from_len) ||
      !ParseSockaddr("127.0.0.1", port, &to, &to_len))
    return UniqueFd();
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  const timeval bound{1, 0};  // connect() waits at most this (SO_SNDTIMEO)
  if (!fd.valid() || ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof(bound)) != 0 ||
      ::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), from_len) != 0 ||
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), to_len) != 0)
    return UniqueFd();
  return fd;
}

// An auth request as a keyless peer sends it: the agent answers with its
// challenge and waits for a proof that never comes.
std::string AuthRequestFrame(const std::string& lease) {
  return EncodeFrame({{"type", "auth"},
                      {"scheme", "hmac-sha256"},
                      {"version", 1},
                      {"lease", lease},
                      {"nonce", std::string(64, '1')}})
      .value();
}

// Peers without the key, as in issue 17: `peers` connections held open
// from `threads` threads and made again whenever the agent drops one, until
// Stop() or kBound. Every other one sends an auth request (for `lease`, so
// it is not refused for another lease) and then nothing; the rest send
// nothing at all.
class Flood {
 public:
  static constexpr int64_t kBound = 20 * kNsPerSec;

  Flood(int port, int peers, int threads, const std::string& lease) {
    const int64_t end = MonotonicNs() + kBound;
    for (int t = 0; t < threads; ++t) {
      const int mine = peers / threads + (t < peers % threads ? 1 : 0);
      threads_.emplace_back(
          [this, port, mine, end, auth = AuthRequestFrame(lease)] { Hold(port, mine, end, auth); });
    }
  }
  ~Flood() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  int connections() const { return connections_; }

 private:
  void Hold(int port, int count, int64_t end, const std::string& auth) {
    std::vector<UniqueFd> held(static_cast<size_t>(count));
    char buf[4096];
    while (!stop_ && MonotonicNs() < end) {
      for (size_t i = 0; i < held.size() && !stop_; ++i) {
        if (!held[i].valid()) {
          auto fd = ConnectTcp("127.0.0.1", port, 500 * kNsPerMs);
          if (!fd.ok()) continue;
          held[i] = std::move(*fd);
          ++connections_;
          if (i % 2 == 1) (void)WriteAll(held[i].get(), auth, kNsPerSec);
          continue;
        }
        // Whatever the agent says (a challenge, `busy`) is read; its end
        // of the stream means dropped: connect again.
        auto n = ReadSome(held[i].get(), buf, sizeof(buf), kNsPerMs);
        if ((n.ok() && *n == 0) || (!n.ok() && n.error().code != ErrorCode::kTimeout))
          held[i].reset();
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::vector<std::thread> threads_;
};

class ListenerTest : public ::testing::Test {
 protected:
  ListenerTest() {
    options_.limits = SessionLimits{kNsPerSec, 10 * kNsPerSec};
    options_.key = key_;
    options_.stop = &stop_;
    options_.gauges = &gauges_;
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
  ListenerGauges gauges_;
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

// The limit is on authenticated sessions: a handshake in progress does not
// count (keyless peers filled all 48 connections, issue 17).
TEST_F(ListenerTest, SessionsBeyondTheLimitAreRefusedBusyAtOnceAndHandshakesDoNotCount) {
  options_.max_sessions = 2;
  Start();
  Channel a = Session("run-a");
  Channel pending = Connect();
  Channel b = Session("run-a");
  ASSERT_EQ(gauges_.sessions, 2u);
  Channel third = Connect();
  const int64_t t0 = MonotonicNs();
  auto e = third.Receive(kWait);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ((*e)["error"]["code"], "busy");
  EXPECT_NE((*e)["error"]["message"].get<std::string>().find("limit of 2 sessions"),
            std::string::npos);
  EXPECT_LT(MonotonicNs() - t0, 500 * kNsPerMs);
  EXPECT_EQ(Request(a, 1, "time")["ok"], true);
}

// Issue 17: 100 keyless connections, made again whenever dropped, kept the
// coordinator out (`busy` on 13 of 14 tries). Here more connections than
// the old limit of 48 flood from the coordinator's own address, half of
// them stalled after an auth request for the coordinator's own lease; the
// coordinator gets in each time, in its own handshake deadline.
TEST_F(ListenerTest, ACoordinatorGetsInWhileKeylessPeersFloodFromItsOwnAddress) {
  options_.limits.handshake_timeout_ns = protocol::kHandshakeTimeout;
  options_.handshake_evict_after_ns = 100 * kNsPerMs;  // a faster turnover, for a fast test
  Start();
  constexpr int kPeers = 64;
  static_assert(kPeers > static_cast<int>(protocol::kMaxListenSessions));  // the old limit
  Flood flood(port_, kPeers, 4, "run-a");
  ASSERT_TRUE(Eventually([&] {
    return gauges_.handshakes == options_.max_handshakes && gauges_.waiting > 0;
  })) << gauges_.handshakes
      << " handshakes, " << gauges_.waiting << " waiting";

  for (int i = 0; i < 3; ++i) {
    const int64_t t0 = MonotonicNs();
    Channel c = Connect();
    Status s = AuthenticateToAgent(c, key_, "run-a", protocol::kHandshakeTimeout);
    ASSERT_TRUE(s.ok()) << "try " << i + 1 << ": " << s.message();
    EXPECT_EQ(Hello(c)["type"], "hello");
    EXPECT_LT(MonotonicNs() - t0, protocol::kHandshakeTimeout);
    EXPECT_EQ(Request(c, 1, "time")["ok"], true);
    EXPECT_EQ(Request(c, 2, "bye")["ok"], true);
  }
  EXPECT_GT(flood.connections(), kPeers);  // the flood was dropped and came back
  EXPECT_TRUE(LogHas("evicted 127.0.0.1:"));

  // Once the flood is gone, nothing it took is left held.
  flood.Stop();
  EXPECT_TRUE(Eventually(
      [&] { return gauges_.waiting == 0 && gauges_.handshakes == 0 && gauges_.sessions == 0; },
      5 * kNsPerSec))
      << gauges_.waiting << " waiting, " << gauges_.handshakes << " handshakes, "
      << gauges_.sessions << " sessions";
}

// With every slot held and nothing else to do, the oldest handshake is
// ended for a waiting connection once it has had its time, and told so.
TEST_F(ListenerTest, WhenEverySlotIsTakenTheOldestHandshakeIsEvictedForAWaitingConnection) {
  options_.limits.handshake_timeout_ns = 10 * kNsPerSec;
  options_.max_handshakes = 2;
  options_.handshake_evict_after_ns = 200 * kNsPerMs;
  Start();
  const int64_t t_oldest = MonotonicNs();
  Channel oldest = Connect();
  ASSERT_TRUE(Eventually([&] { return gauges_.handshakes == 1; }));
  Channel younger = Connect();
  ASSERT_TRUE(Eventually([&] { return gauges_.handshakes == 2; }));
  Channel good = Connect();
  ASSERT_TRUE(Eventually([&] { return gauges_.waiting == 1; }));

  EXPECT_TRUE(Auth(good, "run-g").ok());
  json e = ErrorThenClose(oldest);
  EXPECT_GE(MonotonicNs() - t_oldest, options_.handshake_evict_after_ns);
  EXPECT_EQ(e["error"]["code"], "busy");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("try again"), std::string::npos);
  EXPECT_TRUE(Eventually([&] { return LogHas("evicted 127.0.0.1:"); }));
  // One eviction was enough: the younger handshake goes on.
  auto nothing = younger.Receive(100 * kNsPerMs);
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(Hello(good)["type"], "hello");
}

// The per-address rule: a freed slot goes to a connection from an address
// under its share before connections that waited longer from an address
// holding more. In first-come order the coordinator here would wait for
// the other address's four connections.
TEST_F(ListenerTest, AFreedHandshakeSlotGoesFirstToAnAddressBelowItsShare) {
  options_.limits.handshake_timeout_ns = 10 * kNsPerSec;
  options_.max_handshakes = 4;
  options_.max_handshakes_per_address = 2;
  options_.handshake_evict_after_ns = 60 * kNsPerSec;  // no eviction: only freed slots
  Start();
  std::vector<UniqueFd> holders, queued;
  for (int i = 0; i < 4; ++i) {
    holders.push_back(ConnectFrom("127.0.0.2", port_));
    if (!holders.back().valid()) GTEST_SKIP() << "cannot connect from 127.0.0.2";
  }
  ASSERT_TRUE(Eventually([&] { return gauges_.handshakes == 4; }));  // alone, it may hold all
  for (int i = 0; i < 4; ++i) queued.push_back(ConnectFrom("127.0.0.2", port_));
  ASSERT_TRUE(Eventually([&] { return gauges_.waiting == 4; }));
  Channel coordinator = Connect();
  ASSERT_TRUE(Eventually([&] { return gauges_.waiting == 5; }));

  holders[0].reset();  // one slot frees
  Status s = AuthenticateToAgent(coordinator, key_, "run-a", kNsPerSec);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(Hello(coordinator)["type"], "hello");
}

// A slot is taken back from the waiting connection's own address or from
// one holding more, never from an address holding fewer: here the oldest
// handshake (a slow coordinator's, say) is kept and the flooding address
// loses its own.
TEST_F(ListenerTest, AFloodingAddressLosesItsOwnHandshakeNotAnOlderOneOfAnAddressWithFewer) {
  options_.limits.handshake_timeout_ns = 10 * kNsPerSec;
  options_.max_handshakes = 2;
  options_.max_handshakes_per_address = 1;
  options_.handshake_evict_after_ns = 200 * kNsPerMs;
  Start();
  Channel slow = Connect();
  ASSERT_TRUE(Eventually([&] { return gauges_.handshakes == 1; }));
  Channel flooder{ConnectFrom("127.0.0.2", port_)};
  if (flooder.fd() < 0) GTEST_SKIP() << "cannot connect from 127.0.0.2";
  ASSERT_TRUE(Eventually([&] { return gauges_.handshakes == 2; }));
  UniqueFd next = ConnectFrom("127.0.0.2", port_);
  ASSERT_TRUE(Eventually([&] { return gauges_.waiting == 1; }));

  EXPECT_EQ(ErrorThenClose(flooder)["error"]["code"], "busy");
  EXPECT_TRUE(Eventually([&] { return gauges_.waiting == 0 && gauges_.handshakes == 2; }));
  auto nothing = slow.Receive(100 * kNsPerMs);
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(LogHas("evicted 127.0.0.2:"));
  EXPECT_FALSE(LogHas("evicted 127.0.0.1:"));
}

// Beyond max_waiting, a connection is refused at once (no thread, no wait):
// the newest of the address with the most waiting, here the newcomer.
TEST_F(ListenerTest, OverTheWaitingLimitTheNewestOfTheBusiestAddressIsRefusedBusyAtOnce) {
  options_.limits.handshake_timeout_ns = 10 * kNsPerSec;
  options_.max_handshakes = 1;
  options_.max_waiting = 2;
  options_.handshake_evict_after_ns = 60 * kNsPerSec;
  Start();
  Channel holder = Connect();
  ASSERT_TRUE(Eventually([&] { return gauges_.handshakes == 1; }));
  Channel first = Connect();
  Channel second = Connect();
  ASSERT_TRUE(Eventually([&] { return gauges_.waiting == 2; }));
  Channel over = Connect();
  const int64_t t0 = MonotonicNs();
  json e = ErrorThenClose(over);
  EXPECT_LT(MonotonicNs() - t0, 500 * kNsPerMs);
  EXPECT_EQ(e["error"]["code"], "busy");
  EXPECT_TRUE(LogHas("connections wait to authenticate already"));
  EXPECT_EQ(gauges_.waiting, 2u);
  EXPECT_EQ(first.Receive(50 * kNsPerMs).error().code, ErrorCode::kTimeout);
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

TEST_F(ListenerTest, StopEndsOpenSessionsHandshakesAndWaitingConnectionsAndReturns) {
  options_.limits.handshake_timeout_ns = 10 * kNsPerSec;
  options_.max_handshakes = 1;
  Start();
  Channel a = Session("run-a");
  Channel pending = Connect();
  Channel waiting = Connect();
  ASSERT_TRUE(Eventually([&] { return LogHas("session started"); }));
  ASSERT_TRUE(Eventually([&] { return gauges_.handshakes == 1 && gauges_.waiting == 1; }));
  const int64_t t0 = MonotonicNs();
  stop_ = true;
  thread_.join();
  EXPECT_LT(MonotonicNs() - t0, 3 * kNsPerSec);
  EXPECT_TRUE(served_.ok()) << served_.message();
  EXPECT_EQ(gauges_.waiting, 0u);
  EXPECT_EQ(gauges_.handshakes, 0u);
  EXPECT_EQ(gauges_.sessions, 0u);
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

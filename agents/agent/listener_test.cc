// Listen mode: one coordinator at a time, others refused at once with
// `busy`, idle sessions dropped, bad --listen addresses refused.
#include "agents/agent/listener.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"

namespace lingerlab {
namespace {

using nlohmann::json;

class ListenerTest : public ::testing::Test {
 protected:
  void Start(int64_t idle_timeout_ns) {
    auto lfd = ListenTcp("127.0.0.1", 0);
    ASSERT_TRUE(lfd.ok()) << lfd.error().message;
    listen_fd_ = std::move(*lfd);
    port_ = LocalPort(listen_fd_.get()).value();
    options_.limits = SessionLimits{kNsPerSec, idle_timeout_ns};
    options_.stop = &stop_;
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
  static json Hello(Channel& ch) {
    EXPECT_TRUE(ch.Send({{"type", "hello"}, {"protocol", protocol::kVersion}, {"role", "c"}}).ok());
    auto h = ch.Receive(2 * kNsPerSec);
    EXPECT_TRUE(h.ok()) << h.error().message;
    return h.ok() ? *h : json();
  }

  AgentIdentity identity_{"9.9.9", "abc", DescribeHostPlatform()};
  UniqueFd listen_fd_;
  int port_ = 0;
  ListenerOptions options_;
  std::atomic<bool> stop_{false};
  Status served_;
  std::thread thread_;
};

// The old serial loop left a second coordinator waiting, unanswered, for as
// long as the first one stayed connected.
TEST_F(ListenerTest, ASecondCoordinatorIsRefusedBusyAtOnceAndTheFirstIsServed) {
  Start(10 * kNsPerSec);
  Channel first = Connect();
  EXPECT_EQ(Hello(first)["type"], "hello");

  Channel second = Connect();
  const int64_t t0 = MonotonicNs();
  auto refused = second.Receive(2 * kNsPerSec);
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  EXPECT_EQ((*refused)["type"], "error");
  EXPECT_EQ((*refused)["error"]["code"], "busy");
  EXPECT_LT(MonotonicNs() - t0, 500 * kNsPerMs);
  auto closed = second.Receive(3 * kNsPerSec);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().code, ErrorCode::kClosed);

  // The first session is untouched, and once it says bye the next one is served.
  ASSERT_TRUE(first.Send({{"type", "request"}, {"id", 1}, {"op", "time"}}).ok());
  auto r = first.Receive(2 * kNsPerSec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["ok"], true);
  ASSERT_TRUE(first.Send({{"type", "request"}, {"id", 2}, {"op", "bye"}}).ok());
  ASSERT_TRUE(first.Receive(2 * kNsPerSec).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the session thread ends
  Channel third = Connect();
  EXPECT_EQ(Hello(third)["type"], "hello");
  third.Close();
}

TEST_F(ListenerTest, AnIdleSessionIsDroppedAndFreesTheAgent) {
  Start(300 * kNsPerMs);
  Channel idle = Connect();
  EXPECT_EQ(Hello(idle)["type"], "hello");
  auto dropped = idle.Receive(3 * kNsPerSec);
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  EXPECT_EQ((*dropped)["error"]["code"], "idle_timeout");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Channel next = Connect();
  EXPECT_EQ(Hello(next)["type"], "hello");
  next.Close();
}

// The agent answered a 200,000-deep frame by dying; now it answers the
// frame with an error and serves the next coordinator.
TEST_F(ListenerTest, AfterADeeplyNestedFrameTheAgentServesTheNextCoordinator) {
  Start(10 * kNsPerSec);
  Channel bad = Connect();
  const std::string body = R"({"type":"hello","role":"s","protocol":)" + std::string(200000, '[') +
                           std::string(200000, ']') + "}";
  const auto n = static_cast<uint32_t>(body.size());
  const std::string header{static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                           static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  ASSERT_TRUE(WriteAll(bad.fd(), header + body).ok());
  auto e = bad.Receive(3 * kNsPerSec);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ((*e)["error"]["code"], "malformed_frame");
  bad.Close();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Channel good = Connect();
  EXPECT_EQ(Hello(good)["type"], "hello");
  good.Close();
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

TEST(ListenAddressTest, ListenTcpRefusesPortsThatDoNotFitSixteenBits) {
  auto r = ListenTcp("127.0.0.1", 70000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
}

}  // namespace
}  // namespace lingerlab

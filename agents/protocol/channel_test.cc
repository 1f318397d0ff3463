#include "agents/protocol/channel.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "agents/platform/stream_io.h"

namespace lingerlab {
namespace {

struct Pair {
  Pair() {
    int fds[2];
    EXPECT_TRUE(MakeStreamPair(fds).ok());
    a = std::make_unique<Channel>(UniqueFd(fds[0]));
    raw = fds[1];
  }
  ~Pair() {
    if (raw >= 0) ::close(raw);
  }
  void CloseRaw() {
    ::close(raw);
    raw = -1;
  }
  std::unique_ptr<Channel> a;
  int raw = -1;  // the other end, written to byte by byte
};

TEST(ChannelTest, ReceivesAFrameWrittenInPieces) {
  Pair p;
  std::string f = EncodeFrame({{"type", "hello"}, {"protocol", 1}}).value();
  ASSERT_TRUE(WriteAll(p.raw, f.substr(0, 3)).ok());
  ASSERT_TRUE(WriteAll(p.raw, f.substr(3)).ok());
  auto m = p.a->Receive(kNsPerSec);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)["protocol"], 1);
}

TEST(ChannelTest, TimesOutWhenNothingArrives) {
  Pair p;
  auto m = p.a->Receive(50 * kNsPerMs);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kTimeout);
}

TEST(ChannelTest, PeerCloseBetweenFramesIsClosed) {
  Pair p;
  p.CloseRaw();
  auto m = p.a->Receive(kNsPerSec);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kClosed);
}

TEST(ChannelTest, PeerCloseInsideAFrameIsTruncated) {
  Pair p;
  std::string f = EncodeFrame({{"type", "hello"}}).value();
  ASSERT_TRUE(WriteAll(p.raw, f.substr(0, f.size() - 2)).ok());
  p.CloseRaw();
  auto m = p.a->Receive(kNsPerSec);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(m.error().message.find("malformed_frame"), std::string::npos);
}

TEST(ChannelTest, OversizedFrameIsReportedWithItsProtocolCode) {
  Pair p;
  ASSERT_TRUE(WriteAll(p.raw, std::string("\x7f\xff\xff\xff", 4)).ok());
  auto m = p.a->Receive(kNsPerSec);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(m.error().message.rfind("frame_too_large", 0), 0u);
}

TEST(ChannelTest, SendToAClosedPeerFailsWithoutSigpipe) {
  Pair p;
  p.CloseRaw();
  Status s = p.a->Send({{"type", "hello"}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kClosed);
}

TEST(ChannelTest, AFrameTrickledByteByByteIsCutAtTheFrameDeadline) {
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  // Every byte comes well inside the deadline; the whole frame does not.
  constexpr int64_t kFrameTimeout = 300 * kNsPerMs;
  Channel ch{UniqueFd(fds[0]), kFrameTimeout};
  UniqueFd writer_end(fds[1]);
  const std::string f = EncodeFrame({{"type", "hello"}, {"protocol", 1}}).value();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (char c : f) {
      if (stop || !WriteAll(writer_end.get(), std::string_view(&c, 1)).ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const int64_t t0 = MonotonicNs();
  auto m = ch.Receive(10 * kNsPerSec);
  const int64_t took = MonotonicNs() - t0;
  stop = true;
  writer.join();
  ASSERT_FALSE(m.ok()) << "a frame trickled over " << f.size() * 50 << " ms was accepted";
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(m.error().message.rfind("malformed_frame", 0), 0u) << m.error().message;
  EXPECT_GE(took, kFrameTimeout);
  EXPECT_LT(took, kFrameTimeout + 500 * kNsPerMs);
}

TEST(ChannelTest, FramesArrivingSlowlyOneAfterAnotherAreEachWithinTheDeadline) {
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  Channel ch{UniqueFd(fds[0]), 300 * kNsPerMs};
  UniqueFd writer_end(fds[1]);
  // Gaps between frames are not frame time: only a started frame is bounded.
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_TRUE(
        WriteAll(writer_end.get(), EncodeFrame({{"type", "hello"}, {"n", i}}).value()).ok());
    auto m = ch.Receive(kNsPerSec);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ((*m)["n"], i);
  }
}

TEST(ChannelTest, SendingToAPeerThatDoesNotReadFailsAtTheSendDeadline) {
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  Channel ch{UniqueFd(fds[0]), kNsPerSec, 300 * kNsPerMs};
  UniqueFd deaf(fds[1]);  // never read: the socket buffers fill, then send would block
  const nlohmann::json big = {{"type", "reply"}, {"blob", std::string(900 * 1024, 'x')}};
  const int64_t t0 = MonotonicNs();
  Status s = ch.Send(big);
  if (s.ok()) s = ch.Send(big);  // in case one frame fitted the buffers
  const int64_t took = MonotonicNs() - t0;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kTimeout) << s.message();
  EXPECT_LT(took, 2 * kNsPerSec);
}

}  // namespace
}  // namespace lingerlab

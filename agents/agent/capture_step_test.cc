// The capture ops of StepExecutor (doc/protocol.md §3.2): a real libpcap
// capture on the loopback interface, read back in chunks and checked as a
// pcap file; and every way a capture request is refused. Capturing needs
// root (CAP_NET_RAW) and an agent built with libpcap: those tests skip
// otherwise.
#include <dirent.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "agents/agent/loopback_steps.h"
#include "agents/agent/step_executor.h"
#include "agents/base/base64.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// An address in 198.18.0.0/15 (benchmarking) that no interface here holds.
constexpr const char* kUnheldAddress = "198.18.255.254";

// The reply code a failed Perform() would be answered with, or "" if it succeeded.
std::string Code(const Result<json>& r) {
  return r.ok() ? std::string() : StepExecutor::ReplyCode(r.error().code);
}

// Its message, or "" if it succeeded.
std::string Message(const Result<json>& r) { return r.ok() ? std::string() : r.error().message; }

int OpenDescriptors() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}

class CaptureStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Root, and an agent built with libpcap (not the null CaptureApi).
    CaptureOptions probe;
    probe.interface = "lo";
    probe.filter = "tcp port 9";
    can_capture_ = ::geteuid() == 0 && MakeNativeCaptureApi()->Start(probe).ok();
  }
  static json Do(StepExecutor& ex, const std::string& op, json args) {
    return testing_steps::Do(ex, op, std::move(args));
  }
  static int Listen(StepExecutor& ex) { return testing_steps::Listen(ex); }
  json Start(StepExecutor& ex, int port) {
    return Do(ex, "capture_start",
              {{"address", "127.0.0.1"}, {"filter", "tcp port " + std::to_string(port)}});
  }
  bool can_capture_ = false;
  StepExecutor server_{MakeNativeSocketApi()};
  StepExecutor client_{MakeNativeSocketApi(), MakeNullCaptureApi()};
};

#define REQUIRE_CAPTURE() \
  if (!can_capture_) GTEST_SKIP() << "capturing needs root (CAP_NET_RAW) and libpcap"

TEST_F(CaptureStepTest, CapturesAConnectionOnLoopbackAndReadsItBackInChunks) {
  REQUIRE_CAPTURE();
  const int port = Listen(server_);
  json s = Start(server_, port);
  ASSERT_EQ(s["ret"], 0) << s.dump();
  EXPECT_EQ(s["step"], "capture_start");
  EXPECT_EQ(s["interface"], "lo");
  EXPECT_EQ(s["snaplen"], protocol::kCaptureSnaplen);
  EXPECT_TRUE(s["precision"] == "ns" || s["precision"] == "us") << s.dump();
  EXPECT_TRUE(s["link_type"].is_string());
  EXPECT_TRUE(s.contains("clock_start") && s.contains("clock_end") && s.contains("errno"));

  // capture_start returned, so the capture is active: this connection is in it.
  Do(client_, "socket", {{"handle", "sock"}});
  json c = Do(client_, "connect", {{"handle", "sock"}, {"address", "127.0.0.1"}, {"port", port}});
  ASSERT_EQ(c["ret"], 0) << c.dump();
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  json w = Do(client_, "write", {{"handle", "sock"}, {"bytes", 3000}});
  EXPECT_EQ(w["bytes"], 3000);
  json r = Do(server_, "read", {{"handle", "csock"}, {"limit_ms", 300}});
  EXPECT_EQ(r["bytes"], 3000);
  Do(client_, "close", {{"handle", "sock"}});
  Do(server_, "close", {{"handle", "csock"}});

  json stop = Do(server_, "capture_stop", json::object());
  EXPECT_EQ(stop["step"], "capture_stop");
  EXPECT_EQ(stop["truncated"], false);
  EXPECT_TRUE(stop["dropped"].is_null() || stop["dropped"] == 0) << stop.dump();
  // SYN, SYN-ACK, ACK, data, FINs: at least three frames whatever the timing.
  EXPECT_GE(stop["packets"].get<int64_t>(), 3) << stop.dump();
  const auto size = stop["bytes"].get<uint64_t>();
  ASSERT_GT(size, 24u);

  std::string file;
  bool eof = false;
  while (!eof) {
    json chunk = Do(server_, "capture_read", {{"offset", file.size()}, {"length", 100}});
    auto bytes = Base64Decode(chunk["data"].get<std::string>());
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    ASSERT_EQ(chunk["bytes"], bytes->size());
    ASSERT_LE(bytes->size(), 100u);
    file += *bytes;
    eof = chunk["eof"].get<bool>();
    ASSERT_TRUE(eof || bytes->size() == 100u);
  }
  ASSERT_EQ(file.size(), size);
  uint32_t magic = 0;
  std::memcpy(&magic, file.data(), 4);  // libpcap writes host byte order
  EXPECT_EQ(magic, s["precision"] == "ns" ? 0xa1b23c4du : 0xa1b2c3d4u);
  // Frames as counted: 24-byte header, then records whose lengths add up.
  size_t at = 24;
  int64_t frames = 0;
  while (at + 16 <= file.size()) {
    uint32_t caplen = 0;
    std::memcpy(&caplen, file.data() + at + 8, 4);
    ASSERT_LE(caplen, static_cast<uint32_t>(protocol::kCaptureSnaplen));
    at += 16 + caplen;
    ++frames;
  }
  EXPECT_EQ(at, file.size());
  EXPECT_EQ(frames, stop["packets"].get<int64_t>());

  // The end: offset == size is a valid, empty read.
  json end = Do(server_, "capture_read", {{"offset", size}, {"length", 1}});
  EXPECT_EQ(end["bytes"], 0);
  EXPECT_EQ(end["data"], "");
  EXPECT_EQ(end["eof"], true);
  // A whole-file read in one chunk is the same bytes.
  json all = Do(server_, "capture_read", {{"offset", 0}, {"length", protocol::kMaxCaptureChunk}});
  EXPECT_EQ(Base64Decode(all["data"].get<std::string>()).value(), file);
}

TEST_F(CaptureStepTest, AnAddressNoInterfaceHoldsIsUnavailable) {
  auto r = server_.Perform("capture_start", {{"address", kUnheldAddress}, {"filter", "tcp"}});
  EXPECT_EQ(Code(r), "capture_unavailable");
  EXPECT_NE(Message(r).find(kUnheldAddress), std::string::npos);
  // Nothing was started, so a later capture_start may still succeed.
  EXPECT_EQ(Code(server_.Perform("capture_stop", json::object())), "bad_request");
}

TEST_F(CaptureStepTest, WithoutLibpcapEveryStartIsUnavailable) {
  auto r = client_.Perform("capture_start", {{"address", "127.0.0.1"}, {"filter", "tcp"}});
  EXPECT_EQ(Code(r), "capture_unavailable");
  EXPECT_NE(Message(r).find("without libpcap"), std::string::npos);
}

TEST_F(CaptureStepTest, BadArgumentsAreBadRequests) {
  const json bad[] = {
      json::object(),
      {{"address", "127.0.0.1"}},
      {{"filter", "tcp"}},
      {{"address", "localhost"}, {"filter", "tcp"}},
      {{"address", 127}, {"filter", "tcp"}},
      {{"address", "127.0.0.1"}, {"filter", ""}},
      {{"address", "127.0.0.1"},
       {"filter", std::string(protocol::kMaxCaptureFilterBytes + 1, 'x')}},
      {{"address", "127.0.0.1"}, {"filter", std::string("tcp\0port 1", 10)}},
      {{"address", "127.0.0.1"}, {"filter", "tcp"}, {"interface", ""}},
      {{"address", "127.0.0.1"}, {"filter", "tcp"}, {"interface", "../lo"}},
      {{"address", "127.0.0.1"}, {"filter", "tcp"}, {"interface", "l o"}},
      {{"address", "127.0.0.1"}, {"filter", "tcp"}, {"interface", 1}},
      {{"address", "127.0.0.1"},
       {"filter", "tcp"},
       {"interface", std::string(protocol::kMaxInterfaceBytes + 1, 'e')}},
  };
  for (const json& args : bad)
    EXPECT_EQ(Code(server_.Perform("capture_start", args)), "bad_request") << args.dump();
}

TEST_F(CaptureStepTest, ABadFilterIsABadRequest) {
  REQUIRE_CAPTURE();
  auto r = server_.Perform("capture_start", {{"address", "127.0.0.1"}, {"filter", "tcp port"}});
  EXPECT_EQ(Code(r), "bad_request");
  EXPECT_NE(Message(r).find("filter"), std::string::npos) << Message(r);
  // It left nothing running: a good one works now.
  json s = Do(server_, "capture_start", {{"address", "127.0.0.1"}, {"filter", "tcp port 9"}});
  EXPECT_EQ(s["interface"], "lo");
}

TEST_F(CaptureStepTest, AnInterfaceNamedOverridesTheLookup) {
  REQUIRE_CAPTURE();
  // No interface holds the address, but the coordinator says where to capture.
  json s = Do(server_, "capture_start",
              {{"address", kUnheldAddress}, {"filter", "tcp port 9"}, {"interface", "lo"}});
  EXPECT_EQ(s["interface"], "lo");
  StepExecutor other{MakeNativeSocketApi()};
  auto r = other.Perform("capture_start",
                         {{"address", "127.0.0.1"}, {"filter", "tcp"}, {"interface", "llnosuch0"}});
  EXPECT_EQ(Code(r), "capture_unavailable");
}

TEST_F(CaptureStepTest, OpsOutOfOrderAreBadRequests) {
  REQUIRE_CAPTURE();
  EXPECT_EQ(Code(server_.Perform("capture_stop", json::object())), "bad_request");
  EXPECT_EQ(Code(server_.Perform("capture_read", {{"offset", 0}, {"length", 1}})), "bad_request");
  Start(server_, 9);
  EXPECT_EQ(Code(server_.Perform("capture_read", {{"offset", 0}, {"length", 1}})), "bad_request");
  auto again = server_.Perform("capture_start", {{"address", "127.0.0.1"}, {"filter", "tcp"}});
  EXPECT_EQ(Code(again), "bad_request");
  json stop = Do(server_, "capture_stop", json::object());
  EXPECT_EQ(stop["bytes"], 24);  // the header only: nothing went to port 9
  EXPECT_EQ(stop["packets"], 0);
  EXPECT_EQ(Code(server_.Perform("capture_stop", json::object())), "bad_request");
  // One capture per session, even after the first has stopped.
  auto second = server_.Perform("capture_start", {{"address", "127.0.0.1"}, {"filter", "tcp"}});
  EXPECT_EQ(Code(second), "bad_request");
}

TEST_F(CaptureStepTest, ReadRangesAreChecked) {
  REQUIRE_CAPTURE();
  Start(server_, 9);
  json stop = Do(server_, "capture_stop", json::object());
  const auto size = stop["bytes"].get<int64_t>();
  const json bad[] = {
      json::object(),
      {{"offset", 0}},
      {{"length", 1}},
      {{"offset", -1}, {"length", 1}},
      {{"offset", size + 1}, {"length", 1}},
      {{"offset", 0}, {"length", 0}},
      {{"offset", 0}, {"length", protocol::kMaxCaptureChunk + 1}},
      {{"offset", 0.5}, {"length", 1}},
      {{"offset", "0"}, {"length", 1}},
      {{"offset", 0}, {"length", uint64_t{1} << 63}},
  };
  for (const json& args : bad)
    EXPECT_EQ(Code(server_.Perform("capture_read", args)), "bad_request") << args.dump();
  json whole = Do(server_, "capture_read", {{"offset", 0}, {"length", 24}});
  EXPECT_EQ(whole["bytes"], 24);
  EXPECT_EQ(whole["eof"], true);
}

TEST_F(CaptureStepTest, ASessionEndingMidCaptureLeavesNothingOpen) {
  REQUIRE_CAPTURE();
  const int before = OpenDescriptors();
  {
    StepExecutor ex{MakeNativeSocketApi()};
    Do(ex, "capture_start", {{"address", "127.0.0.1"}, {"filter", "tcp port 9"}});
    EXPECT_GT(OpenDescriptors(), before);
  }  // no capture_stop: the destructor ends it
  EXPECT_EQ(OpenDescriptors(), before);
}

}  // namespace
}  // namespace lingerlab

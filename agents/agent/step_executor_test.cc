// StepExecutor against a real local peer on the loopback interface.
#include "agents/agent/step_executor.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "agents/agent/payload.h"
#include "agents/base/clock.h"

namespace lingerlab {
namespace {

using nlohmann::json;

class StepExecutorTest : public ::testing::Test {
 protected:
  json Do(StepExecutor& ex, const std::string& op, json args) {
    auto r = ex.Perform(op, args);
    EXPECT_TRUE(r.ok()) << op << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : json();
  }
  // Server listening on 127.0.0.1 with an OS-chosen port; returns the port.
  int Listen(StepExecutor& ex) {
    Do(ex, "socket", {{"handle", "lsock"}});
    Do(ex, "setsockopt", {{"handle", "lsock"}, {"option", "SO_REUSEADDR"}, {"value", 1}});
    json b = Do(ex, "bind", {{"handle", "lsock"}, {"address", "127.0.0.1"}, {"port", 0}});
    Do(ex, "listen", {{"handle", "lsock"}, {"backlog", 4}});
    std::string local = b["local"];
    return std::stoi(local.substr(local.rfind(':') + 1));
  }
  void Connect(StepExecutor& ex, int port) {
    Do(ex, "socket", {{"handle", "sock"}});
    json c = Do(ex, "connect", {{"handle", "sock"}, {"address", "127.0.0.1"}, {"port", port}});
    ASSERT_EQ(c["ret"], 0) << c.dump();
  }
  StepExecutor server_{MakeNativeSocketApi()};
  StepExecutor client_{MakeNativeSocketApi()};
};

TEST_F(StepExecutorTest, PayloadArrivesWholeAndVerifiedThenEof) {
  int port = Listen(server_);
  Connect(client_, port);
  json a = Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  ASSERT_GE(a["ret"].get<int>(), 0);
  json w = Do(server_, "write", {{"handle", "csock"}, {"bytes", 20480}});
  EXPECT_EQ(w["bytes"], 20480);
  EXPECT_EQ(w["errno_name"], nullptr);
  json c = Do(server_, "close", {{"handle", "csock"}});
  EXPECT_EQ(c["ret"], 0);
  json r = Do(client_, "read", {{"handle", "sock"}, {"chunk", 512}, {"verify", true}});
  EXPECT_EQ(r["bytes"], 20480);
  EXPECT_EQ(r["end"], "eof");
  EXPECT_EQ(r["verified"], true);
  EXPECT_EQ(r["reads"].size(), 40u);
  EXPECT_LE(r["clock_start"]["mono_ns"].get<int64_t>(), r["clock_end"]["mono_ns"].get<int64_t>());
}

TEST_F(StepExecutorTest, LingerZeroCloseResetsThePeer) {
  int port = Listen(server_);
  Connect(client_, port);
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  json l = Do(server_, "setsockopt",
              {{"handle", "csock"}, {"option", "SO_LINGER"}, {"onoff", 1}, {"seconds", 0}});
  EXPECT_EQ(l["effective"]["onoff"], 1);
  Do(server_, "close", {{"handle", "csock"}});
  json r = Do(client_, "read", {{"handle", "sock"}, {"limit_ms", 2000}});
  EXPECT_EQ(r["end"], "error");
  EXPECT_EQ(r["errno_name"], "ECONNRESET");
}

TEST_F(StepExecutorTest, FailedSyscallIsAnOutcomeNotAnError) {
  int port = Listen(server_);
  Do(server_, "close", {{"handle", "lsock"}});  // nobody listens there now
  Do(client_, "socket", {{"handle", "sock"}});
  auto r =
      client_.Perform("connect", {{"handle", "sock"}, {"address", "127.0.0.1"}, {"port", port}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["ret"], -1);
  EXPECT_EQ((*r)["errno_name"], "ECONNREFUSED");
}

TEST_F(StepExecutorTest, ReadStopsAtItsLimitWhenNothingComes) {
  int port = Listen(server_);
  Connect(client_, port);
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  int64_t t0 = MonotonicNs();
  json r = Do(client_, "read", {{"handle", "sock"}, {"limit_ms", 150}});
  int64_t took = MonotonicNs() - t0;
  EXPECT_EQ(r["end"], "limit");
  EXPECT_EQ(r["bytes"], 0);
  EXPECT_GE(took, 140 * kNsPerMs);
  EXPECT_LT(took, 2 * kNsPerSec);
}

TEST_F(StepExecutorTest, PacedReadSleepsBetweenReads) {
  int port = Listen(server_);
  Connect(client_, port);
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  Do(server_, "write", {{"handle", "csock"}, {"bytes", 1536}});
  Do(server_, "shutdown", {{"handle", "csock"}, {"how", "wr"}});
  json r = Do(client_, "read", {{"handle", "sock"}, {"chunk", 512}, {"interval_ms", 50}});
  ASSERT_EQ(r["reads"].size(), 3u);
  int64_t gap = r["reads"][2][0].get<int64_t>() - r["reads"][1][0].get<int64_t>();
  EXPECT_GE(gap, 45 * kNsPerMs);
  EXPECT_EQ(r["end"], "eof");
}

TEST_F(StepExecutorTest, WritesContinueThePatternAcrossCalls) {
  int port = Listen(server_);
  Connect(client_, port);
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  Do(server_, "write", {{"handle", "csock"}, {"bytes", 100}});
  Do(server_, "write", {{"handle", "csock"}, {"bytes", 100}});
  Do(server_, "close", {{"handle", "csock"}});
  json r = Do(client_, "read", {{"handle", "sock"}, {"verify", true}});
  EXPECT_EQ(r["verified"], true);
  EXPECT_EQ(r["bytes"], 200);
}

TEST_F(StepExecutorTest, VerificationReportsTheFirstWrongByte) {
  // A raw peer (not an executor) sends the pattern with byte 700 flipped.
  auto api = MakeNativeSocketApi();
  SocketHandle l = api->Socket(Family::kInet).ret;
  ASSERT_TRUE(api->Bind(l, "127.0.0.1", 0).ok());
  ASSERT_TRUE(api->Listen(l, 1).ok());
  std::string local = api->LocalAddress(l);
  int port = std::stoi(local.substr(local.rfind(':') + 1));
  Connect(client_, port);
  SocketHandle c = api->Accept(l, 2000, nullptr).ret;
  ASSERT_GE(c, 0);
  std::string bytes(1024, '\0');
  FillPayload(0, bytes.data(), bytes.size());
  bytes[700] = static_cast<char>(bytes[700] ^ 0x40);
  ASSERT_EQ(api->Send(c, bytes.data(), bytes.size()).ret, 1024);
  api->Close(c);
  api->Close(l);
  json r = Do(client_, "read", {{"handle", "sock"}, {"verify", true}});
  EXPECT_EQ(r["bytes"], 1024);
  EXPECT_EQ(r["verified"], false);
  EXPECT_EQ(r["first_mismatch"], 700);
}

TEST_F(StepExecutorTest, QueuesReportUnreadBytes) {
  int port = Listen(server_);
  Connect(client_, port);
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  Do(server_, "write", {{"handle", "csock"}, {"bytes", 300}});
  SleepNs(100 * kNsPerMs);
  json q = Do(client_, "queues", {{"handle", "sock"}});
#if defined(__linux__)
  EXPECT_EQ(q["inq"], 300);
#endif
}

TEST_F(StepExecutorTest, RequestsThatCannotBeAttemptedFailWithTheirCode) {
  auto unknown_handle = server_.Perform("close", {{"handle", "nope"}});
  ASSERT_FALSE(unknown_handle.ok());
  EXPECT_STREQ(StepExecutor::ReplyCode(unknown_handle.error().code), "unknown_handle");
  auto unknown_op = server_.Perform("teleport", json::object());
  ASSERT_FALSE(unknown_op.ok());
  EXPECT_STREQ(StepExecutor::ReplyCode(unknown_op.error().code), "unknown_op");
  Do(server_, "socket", {{"handle", "s"}});
  auto bad = server_.Perform("setsockopt", {{"handle", "s"}, {"option", "SO_LINGER"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_STREQ(StepExecutor::ReplyCode(bad.error().code), "bad_request");
  auto dup = server_.Perform("socket", {{"handle", "s"}});
  EXPECT_FALSE(dup.ok());
  auto bad_how = server_.Perform("shutdown", {{"handle", "s"}, {"how", "sideways"}});
  EXPECT_FALSE(bad_how.ok());
}

TEST_F(StepExecutorTest, CloseForgetsTheHandleEvenWhenItFails) {
  Do(server_, "socket", {{"handle", "s"}});
  json c = Do(server_, "close", {{"handle", "s"}});
  EXPECT_EQ(c["ret"], 0);
  auto again = server_.Perform("close", {{"handle", "s"}});
  EXPECT_FALSE(again.ok());
}

}  // namespace
}  // namespace lingerlab

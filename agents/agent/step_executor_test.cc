// StepExecutor against a real local peer on the loopback interface.
#include "agents/agent/step_executor.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "agents/agent/loopback_steps.h"
#include "agents/agent/payload.h"
#include "agents/base/clock.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {
namespace {

using nlohmann::json;

class StepExecutorTest : public ::testing::Test {
 protected:
  static json Do(StepExecutor& ex, const std::string& op, json args) {
    return testing_steps::Do(ex, op, std::move(args));
  }
  static int Listen(StepExecutor& ex) { return testing_steps::Listen(ex); }
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

// family "inet6": bind, connect and accept with IPv6 addresses (the --ip 6
// lab's sockets), here over ::1; the abort on close works the same way.
TEST_F(StepExecutorTest, Inet6SocketsConnectAcceptAndResetOverIpv6) {
  json sock = Do(server_, "socket", {{"handle", "lsock"}, {"family", "inet6"}});
  if (sock["ret"] == -1) GTEST_SKIP() << "no IPv6 here: " << sock.dump();
  json b = Do(server_, "bind", {{"handle", "lsock"}, {"address", "::1"}, {"port", 0}});
  ASSERT_EQ(b["ret"], 0) << b.dump();
  const std::string local = b["local"];
  ASSERT_EQ(local.rfind("[::1]:", 0), 0u) << local;
  const int port = std::stoi(local.substr(local.rfind(':') + 1));
  Do(server_, "listen", {{"handle", "lsock"}, {"backlog", 4}});
  Do(client_, "socket", {{"handle", "sock"}, {"family", "inet6"}});
  json c = Do(client_, "connect", {{"handle", "sock"}, {"address", "::1"}, {"port", port}});
  ASSERT_EQ(c["ret"], 0) << c.dump();
  json a = Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  ASSERT_GE(a["ret"].get<int>(), 0);
  EXPECT_EQ(a["peer"].get<std::string>().rfind("[::1]:", 0), 0u) << a.dump();
  Do(server_, "setsockopt",
     {{"handle", "csock"}, {"option", "SO_LINGER"}, {"onoff", 1}, {"seconds", 0}});
  Do(server_, "close", {{"handle", "csock"}});
  json r = Do(client_, "read", {{"handle", "sock"}, {"limit_ms", 2000}});
  EXPECT_EQ(r["errno_name"], "ECONNRESET") << r.dump();
}

// An IPv6 address on an inet socket (and the reverse) is the OS's refusal,
// an outcome with its errno, not a request the agent turns down; an unknown
// family is a bad request.
TEST_F(StepExecutorTest, AddressOfTheOtherFamilyIsAFailedSyscall) {
  Do(server_, "socket", {{"handle", "v4"}});
  json b = Do(server_, "bind", {{"handle", "v4"}, {"address", "::1"}, {"port", 0}});
  EXPECT_EQ(b["ret"], -1) << b.dump();
  EXPECT_NE(b["errno_name"], nullptr) << b.dump();
  json v6 = Do(server_, "socket", {{"handle", "v6"}, {"family", "inet6"}});
  if (v6["ret"] != -1) {
    json c = Do(server_, "connect", {{"handle", "v6"}, {"address", "127.0.0.1"}, {"port", 9}});
    EXPECT_EQ(c["ret"], -1) << c.dump();
    EXPECT_NE(c["errno_name"], nullptr) << c.dump();
  }
  auto bad = server_.Perform("socket", {{"handle", "v7"}, {"family", "inet7"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_STREQ(StepExecutor::ReplyCode(bad.error().code), "bad_request");
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

TEST_F(StepExecutorTest, ReadWithMaxBytesStopsThereAndLeavesTheRest) {
  int port = Listen(server_);
  Connect(client_, port);
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  Do(server_, "write", {{"handle", "csock"}, {"bytes", 1000}});
  json r = Do(client_, "read",
              {{"handle", "sock"}, {"chunk", 512}, {"max_bytes", 700}, {"verify", true},
               {"limit_ms", 2000}});
  EXPECT_EQ(r["end"], "bytes");
  EXPECT_EQ(r["bytes"], 700);
  EXPECT_EQ(r["verified"], true);
  // The remaining 300 bytes are still unread, and continue the pattern.
  json rest = Do(client_, "read",
                 {{"handle", "sock"}, {"max_bytes", 300}, {"verify", true}, {"limit_ms", 2000}});
  EXPECT_EQ(rest["bytes"], 300);
  EXPECT_EQ(rest["verified"], true);
}

TEST_F(StepExecutorTest, WaitOutqEndsWhenThePeerHasAcknowledgedEverything) {
  int port = Listen(server_);
  Connect(client_, port);
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  Do(server_, "write", {{"handle", "csock"}, {"bytes", 4000}});
  json w = Do(server_, "wait_outq", {{"handle", "csock"}, {"limit_ms", 2000}});
#if defined(__linux__)
  EXPECT_EQ(w["end"], "empty") << w.dump();
  EXPECT_EQ(w["outq"], 0);
  EXPECT_GE(w["samples"].get<int>(), 1);
#endif
}

TEST_F(StepExecutorTest, WaitOutqEndsAtItsLimitWhileThePeerDoesNotRead) {
  int port = Listen(server_);
  Do(client_, "socket", {{"handle", "sock"}});
  Do(client_, "setsockopt", {{"handle", "sock"}, {"option", "SO_RCVBUF"}, {"value", 4096}});
  json c = Do(client_, "connect", {{"handle", "sock"}, {"address", "127.0.0.1"}, {"port", port}});
  ASSERT_EQ(c["ret"], 0);
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  Do(server_, "setsockopt", {{"handle", "csock"}, {"option", "SO_SNDBUF"}, {"value", 65536}});
  Do(server_, "write", {{"handle", "csock"}, {"bytes", 60000}});
  const int64_t t0 = MonotonicNs();
  json w = Do(server_, "wait_outq", {{"handle", "csock"}, {"limit_ms", 300}, {"poll_ms", 20}});
  const int64_t waited_ms = (MonotonicNs() - t0) / kNsPerMs;
#if defined(__linux__)
  EXPECT_EQ(w["end"], "limit") << w.dump();
  EXPECT_GT(w["outq"].get<int64_t>(), 0);
  EXPECT_GE(waited_ms, 300);
  EXPECT_LT(waited_ms, 3000);
#endif
}

TEST_F(StepExecutorTest, NonblockMakesAWriteThatDoesNotFitFailWithEwouldblock) {
  int port = Listen(server_);
  Connect(client_, port);
  Do(server_, "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  json n = Do(server_, "nonblock", {{"handle", "csock"}, {"on", true}});
  EXPECT_EQ(n["ret"], 0) << n.dump();
  // The client reads nothing: a blocking write of this much would hang.
  json w = Do(server_, "write", {{"handle", "csock"}, {"bytes", 32 << 20}});
  EXPECT_EQ(w["errno_name"], "EWOULDBLOCK") << w.dump();
  EXPECT_LT(w["bytes"].get<int64_t>(), 32 << 20);
  auto bad = client_.Perform("nonblock", {{"handle", "sock"}, {"on", "yes"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidInput);
  auto missing = client_.Perform("nonblock", {{"handle", "nope"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
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

// Performs `op` and expects it refused as bad_request, without an exception
// (which only Handle's catch-all used to turn into an answer), and with the
// argument named in the message.
void ExpectBadRequest(StepExecutor& ex, const std::string& op, const json& args,
                      const std::string& names) {
  Result<json> r = MakeError(ErrorCode::kFailed, "not run");
  ASSERT_NO_THROW(r = ex.Perform(op, args)) << op << " " << args.dump().substr(0, 100);
  ASSERT_FALSE(r.ok()) << op << " " << args.dump().substr(0, 100) << " was performed";
  EXPECT_STREQ(StepExecutor::ReplyCode(r.error().code), "bad_request") << r.error().message;
  EXPECT_NE(r.error().message.find(names), std::string::npos)
      << "'" << r.error().message << "' does not name " << names;
}

// Each of these was cut to fit an int or uint16_t before: port 70000 became
// 4464, a linger of 2^40 seconds became {on, 0}; a pause of 2^62 ms
// overflowed into no pause at all; negative timeouts meant "forever".
TEST_F(StepExecutorTest, IntegerArgumentsOutOfRangeAreRefusedNotCut) {
  Do(server_, "socket", {{"handle", "s"}});
  const uint64_t huge = UINT64_MAX;
  ExpectBadRequest(server_, "bind", {{"handle", "s"}, {"address", "127.0.0.1"}, {"port", 70000}},
                   "'port' must be in 0..65535");
  ExpectBadRequest(server_, "connect", {{"handle", "s"}, {"address", "127.0.0.1"}, {"port", -1}},
                   "'port'");
  ExpectBadRequest(server_, "connect", {{"handle", "s"}, {"address", "127.0.0.1"}, {"port", huge}},
                   "'port'");
  ExpectBadRequest(server_, "bind", {{"handle", "s"}, {"address", "127.0.0.1"}, {"port", 80.5}},
                   "'port' must be an integer");
  ExpectBadRequest(
      server_, "setsockopt",
      {{"handle", "s"}, {"option", "SO_LINGER"}, {"onoff", 1}, {"seconds", int64_t{1} << 40}},
      "'seconds' must be in 0..2147483647");
  ExpectBadRequest(server_, "setsockopt",
                   {{"handle", "s"}, {"option", "SO_LINGER"}, {"onoff", 1}, {"seconds", -1}},
                   "'seconds'");
  ExpectBadRequest(server_, "setsockopt",
                   {{"handle", "s"}, {"option", "SO_LINGER"}, {"onoff", 2}, {"seconds", 1}},
                   "'onoff' must be in 0..1");
  ExpectBadRequest(server_, "setsockopt",
                   {{"handle", "s"}, {"option", "SO_SNDBUF"}, {"value", int64_t{1} << 40}},
                   "'value'");
  ExpectBadRequest(server_, "setsockopt",
                   {{"handle", "s"}, {"option", "SO_RCVBUF"}, {"value", -4096}}, "'value'");
  ExpectBadRequest(server_, "listen", {{"handle", "s"}, {"backlog", -1}}, "'backlog'");
  ExpectBadRequest(server_, "listen", {{"handle", "s"}, {"backlog", int64_t{1} << 33}},
                   "'backlog'");
  ExpectBadRequest(server_, "write", {{"handle", "s"}, {"bytes", huge}}, "'bytes'");
  ExpectBadRequest(server_, "write", {{"handle", "s"}, {"bytes", 1.5}}, "'bytes'");
  ExpectBadRequest(server_, "read", {{"handle", "s"}, {"chunk", 0}}, "'chunk'");
  // The effective values are unchanged: nothing was set.
  json l = Do(server_, "setsockopt",
              {{"handle", "s"}, {"option", "SO_LINGER"}, {"onoff", 1}, {"seconds", 7}});
  EXPECT_EQ(l["effective"]["seconds"], 7);
}

TEST_F(StepExecutorTest, DurationsAreCappedAtTheStepMaximum) {
  Do(server_, "socket", {{"handle", "lsock"}});
  const std::string limit = "0.." + std::to_string(protocol::kMaxStepMs);
  const int64_t t0 = MonotonicNs();
  ExpectBadRequest(server_, "pause", {{"ms", int64_t{1} << 62}}, "'ms' must be in " + limit);
  ExpectBadRequest(server_, "pause", {{"ms", 60 * 60 * 1000}}, "'ms' must be in " + limit);
  ExpectBadRequest(server_, "pause", {{"ms", -5}}, "'ms'");
  for (const char* key : {"interval_ms", "idle_ms", "limit_ms"}) {
    ExpectBadRequest(server_, "read", {{"handle", "lsock"}, {key, int64_t{1} << 62}},
                     std::string("'") + key + "' must be in " + limit);
    ExpectBadRequest(server_, "read", {{"handle", "lsock"}, {key, -1}}, key);
  }
  ExpectBadRequest(server_, "accept",
                   {{"handle", "lsock"}, {"as", "c"}, {"timeout_ms", protocol::kMaxStepMs + 1}},
                   "'timeout_ms' must be in " + limit);
  ExpectBadRequest(server_, "accept", {{"handle", "lsock"}, {"as", "c"}, {"timeout_ms", -1}},
                   "'timeout_ms'");
  EXPECT_LT(MonotonicNs() - t0, kNsPerSec);  // refused, not slept
  json p = Do(server_, "pause", {{"ms", 20}});
  EXPECT_GE(p["clock_end"]["mono_ns"].get<int64_t>() - p["clock_start"]["mono_ns"].get<int64_t>(),
            20 * kNsPerMs);
}

TEST_F(StepExecutorTest, ArgumentsOfTheWrongTypeAreRefusedWithoutAnException) {
  Do(server_, "socket", {{"handle", "s"}});
  ExpectBadRequest(server_, "socket", {{"handle", "t"}, {"family", 4}}, "'family'");
  ExpectBadRequest(server_, "read", {{"handle", "s"}, {"verify", 1}, {"limit_ms", 1}}, "'verify'");
  ExpectBadRequest(server_, "socket", {{"handle", 17}}, "'handle'");
  ExpectBadRequest(server_, "pause", {{"ms", "10"}}, "'ms'");
  ExpectBadRequest(server_, "pause", {{"ms", nullptr}}, "'ms'");
}

// 800 sockets with 1 MiB names took the agent to 828 MB.
TEST_F(StepExecutorTest, HandleNamesAreShortAndPlain) {
  Do(server_, "socket", {{"handle", std::string(protocol::kMaxHandleBytes, 'a')}});
  Do(server_, "socket", {{"handle", "csock_late-2.b"}});
  for (const std::string& bad :
       {std::string(protocol::kMaxHandleBytes + 1, 'a'), std::string(1 << 20, 'h'), std::string(),
        std::string("a b"), std::string("s\n"), std::string("h\xc3\xa9")}) {
    ExpectBadRequest(server_, "socket", {{"handle", bad}}, "'handle' must be 1..64 characters");
    ExpectBadRequest(server_, "close", {{"handle", bad}}, "'handle'");
  }
  ExpectBadRequest(server_, "accept", {{"handle", "csock_late-2.b"}, {"as", "x y"}}, "'as'");
}

TEST_F(StepExecutorTest, ASessionHoldsAtMostTheSocketLimit) {
  for (size_t i = 0; i < protocol::kMaxSockets; ++i) {
    // append(), not "s" + ...: GCC 12 warns falsely (-Wrestrict) on that in Release.
    json e = Do(server_, "socket", {{"handle", std::string("s").append(std::to_string(i))}});
    ASSERT_GE(e["ret"].get<int64_t>(), 0);
  }
  ExpectBadRequest(server_, "socket", {{"handle", "one-more"}}, "at most 64 sockets");
  // accept's new socket counts too: refused before anything waits.
  ExpectBadRequest(server_, "accept", {{"handle", "s0"}, {"as", "one-more"}, {"timeout_ms", 0}},
                   "at most 64 sockets");
  Do(server_, "close", {{"handle", "s0"}});
  Do(server_, "socket", {{"handle", "one-more"}});
}

}  // namespace
}  // namespace lingerlab

// StepExecutor against a real local peer on the loopback interface.
#include "agents/agent/step_executor.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

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
              {{"handle", "sock"},
               {"chunk", 512},
               {"max_bytes", 700},
               {"verify", true},
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

// --- the "close in every TCP state" ops (doc/protocol.md §3.2) ---

// The client's port, from connect's `local` ("127.0.0.1:40000").
int PortOf(const json& event) {
  const std::string local = event["local"];
  return std::stoi(local.substr(local.rfind(':') + 1));
}

// A connected pair: client_ "sock" to server_ "csock"; returns the client's port.
int ConnectedPair(StepExecutor& server, StepExecutor& client, int* server_port = nullptr) {
  const int port = testing_steps::Listen(server);
  if (server_port) *server_port = port;
  testing_steps::Do(client, "socket", {{"handle", "sock"}});
  json c = testing_steps::Do(client, "connect",
                             {{"handle", "sock"}, {"address", "127.0.0.1"}, {"port", port}});
  EXPECT_EQ(c["ret"], 0) << c.dump();
  json a = testing_steps::Do(server, "accept",
                             {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 2000}});
  EXPECT_GE(a["ret"].get<int64_t>(), 0) << a.dump();
  return c["ret"] == 0 ? PortOf(c) : 0;
}

// The peer sees end of file only once nobody holds the socket any more.
void ExpectNoEofYet(StepExecutor& client) {
  json r = testing_steps::Do(client, "read", {{"handle", "sock"}, {"limit_ms", 150}});
  EXPECT_EQ(r["end"], "limit") << r.dump();
}
void ExpectEof(StepExecutor& client) {
  json r = testing_steps::Do(client, "read", {{"handle", "sock"}, {"limit_ms", 2000}});
  EXPECT_EQ(r["end"], "eof") << r.dump();
}

// Whether `pid` is still a process of ours (running or a zombie not reaped).
bool ProcessExists(int64_t pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0; }

// Children of this process, where Linux lists them (/proc/.../children).
std::optional<size_t> CountChildren() {
  size_t n = 0;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "children");
    if (!in) continue;
    any = true;
    int64_t pid;
    while (in >> pid) ++n;
  }
  return any ? std::optional<size_t>(n) : std::nullopt;
}

#if defined(__linux__)
TEST_F(StepExecutorTest, TcpStateFollowsTheConnectionThroughClose) {
  ConnectedPair(server_, client_);
  json l = Do(server_, "tcp_state", {{"handle", "lsock"}});
  EXPECT_EQ(l["state"], "LISTEN") << l.dump();
  json est = Do(client_, "tcp_state", {{"handle", "sock"}});
  EXPECT_EQ(est["ret"], 0);
  EXPECT_EQ(est["state"], "ESTABLISHED");
  EXPECT_EQ(est["unacked"], 0);
  EXPECT_EQ(est["retransmits"], 0);
  EXPECT_FALSE(est.contains("unsupported"));
  Do(server_, "close", {{"handle", "csock"}});
  SleepNs(50 * kNsPerMs);
  json cw = Do(client_, "tcp_state", {{"handle", "sock"}});
  EXPECT_EQ(cw["state"], "CLOSE_WAIT") << cw.dump();
  Do(client_, "shutdown", {{"handle", "sock"}, {"how", "wr"}});
  SleepNs(50 * kNsPerMs);
  json closed = Do(client_, "tcp_state", {{"handle", "sock"}});
  EXPECT_EQ(closed["state"], "CLOSE") << closed.dump();
}

TEST_F(StepExecutorTest, SocketTableShowsWhatRemainsOfAClosedSocket) {
  int server_port = 0;
  const int client_port = ConnectedPair(server_, client_, &server_port);
  // Only the listener has the port now besides the connection.
  json est = Do(server_, "socket_table", {{"port", server_port}});
  EXPECT_EQ(est["ret"], 0) << est.dump();
  EXPECT_EQ(est["state"], "ESTABLISHED") << est.dump();
  Do(server_, "close", {{"handle", "csock"}});
  SleepNs(50 * kNsPerMs);
  auto has = [&](const json& e, const std::string& state) {
    for (const json& x : e["entries"])
      if (x["state"] == state && x["remote_port"] == client_port && x["local_port"] == server_port)
        return true;
    return false;
  };
  json fw2 = Do(server_, "socket_table", {{"port", server_port}});
  EXPECT_TRUE(has(fw2, "FIN_WAIT2")) << fw2.dump();
  Do(client_, "close", {{"handle", "sock"}});
  SleepNs(50 * kNsPerMs);
  json tw = Do(server_, "socket_table", {{"port", server_port}});
  EXPECT_TRUE(has(tw, "TIME_WAIT")) << tw.dump();
  // A listener alone is not listed: nothing is left of any connection.
  testing_steps::Do(client_, "socket", {{"handle", "l2"}});
  json b = Do(client_, "bind", {{"handle", "l2"}, {"address", "127.0.0.1"}, {"port", 0}});
  Do(client_, "listen", {{"handle", "l2"}, {"backlog", 1}});
  json gone = Do(client_, "socket_table", {{"port", PortOf(b)}});
  EXPECT_EQ(gone["state"], "gone") << gone.dump();
  EXPECT_EQ(gone["entries"], json::array());
}

TEST_F(StepExecutorTest, SetAndGetTcpLevelOptions) {
  Do(server_, "socket", {{"handle", "s"}});
  json ut =
      Do(server_, "setsockopt", {{"handle", "s"}, {"option", "TCP_USER_TIMEOUT"}, {"value", 5000}});
  EXPECT_EQ(ut["ret"], 0) << ut.dump();
  EXPECT_EQ(ut["effective"], 5000);
  json g = Do(server_, "getsockopt", {{"handle", "s"}, {"option", "TCP_USER_TIMEOUT"}});
  EXPECT_EQ(g["ret"], 0);
  EXPECT_EQ(g["value"], 5000);
  EXPECT_FALSE(g.contains("value_name"));
  json l2 = Do(server_, "setsockopt", {{"handle", "s"}, {"option", "TCP_LINGER2"}, {"value", 7}});
  EXPECT_EQ(l2["effective"], 7) << l2.dump();
  json none =
      Do(server_, "setsockopt", {{"handle", "s"}, {"option", "TCP_LINGER2"}, {"value", -1}});
  EXPECT_EQ(none["ret"], 0) << none.dump();
  EXPECT_EQ(none["effective"], -1) << none.dump();
  json lg = Do(server_, "getsockopt", {{"handle", "s"}, {"option", "SO_LINGER"}});
  EXPECT_EQ(lg["value"], -2);
  Do(server_, "setsockopt",
     {{"handle", "s"}, {"option", "SO_LINGER"}, {"onoff", 1}, {"seconds", 3}});
  EXPECT_EQ(Do(server_, "getsockopt", {{"handle", "s"}, {"option", "SO_LINGER"}})["value"], 3);
}
#endif

// A connect after nonblock records EINPROGRESS without blocking; the
// refusal then waits in SO_ERROR, which a read clears.
TEST_F(StepExecutorTest, SoErrorIsReadAndClearedAfterANonblockingConnect) {
  int port = Listen(server_);
  Do(server_, "close", {{"handle", "lsock"}});  // nobody listens there now
  Do(client_, "socket", {{"handle", "sock"}});
  Do(client_, "nonblock", {{"handle", "sock"}});
  json c = Do(client_, "connect", {{"handle", "sock"}, {"address", "127.0.0.1"}, {"port", port}});
  // Loopback may refuse at once; either way it is an outcome.
  EXPECT_EQ(c["ret"], -1) << c.dump();
  if (c["errno_name"] != "EINPROGRESS") {
    EXPECT_EQ(c["errno_name"], "ECONNREFUSED") << c.dump();
    return;
  }
  json p = Do(client_, "poll", {{"handle", "sock"}, {"events", {"out"}}, {"timeout_ms", 2000}});
  EXPECT_EQ(p["ret"], 1) << p.dump();
  json first = Do(client_, "getsockopt", {{"handle", "sock"}, {"option", "SO_ERROR"}});
  EXPECT_EQ(first["ret"], 0);
  EXPECT_EQ(first["value_name"], "ECONNREFUSED") << first.dump();
  EXPECT_EQ(first["value"], ECONNREFUSED);
  json second = Do(client_, "getsockopt", {{"handle", "sock"}, {"option", "SO_ERROR"}});
  EXPECT_EQ(second["value"], 0);
  EXPECT_EQ(second["value_name"], nullptr);
}

TEST_F(StepExecutorTest, PollReportsWhatIsPendingInItsFixedOrder) {
  ConnectedPair(server_, client_);
  json idle = Do(client_, "poll", {{"handle", "sock"}, {"events", {"in"}}});
  EXPECT_EQ(idle["ret"], 0) << idle.dump();
  EXPECT_EQ(idle["revents"], json::array());
  json out = Do(client_, "poll", {{"handle", "sock"}, {"events", {"out"}}, {"timeout_ms", 0}});
  EXPECT_EQ(out["ret"], 1);
  EXPECT_EQ(out["revents"], json({"OUT", "WRNORM"})) << out.dump();
  json nothing = Do(client_, "poll", {{"handle", "sock"}, {"events", json::array()}});
  EXPECT_EQ(nothing["ret"], 0) << nothing.dump();
  Do(server_, "write", {{"handle", "csock"}, {"bytes", 10}});
  Do(server_, "close", {{"handle", "csock"}});
  json in =
      Do(client_, "poll", {{"handle", "sock"}, {"events", {"in", "rdhup"}}, {"timeout_ms", 2000}});
  EXPECT_EQ(in["ret"], 1);
#if defined(__linux__)
  EXPECT_EQ(in["revents"], json({"IN", "RDNORM", "RDHUP"})) << in.dump();
#endif
}

TEST_F(StepExecutorTest, DupKeepsTheConnectionUntilEveryCopyIsClosed) {
  ConnectedPair(server_, client_);
  json d = Do(server_, "dup", {{"handle", "csock"}, {"as", "copy"}});
  ASSERT_GE(d["ret"].get<int64_t>(), 0) << d.dump();
  Do(server_, "close", {{"handle", "csock"}});
  ExpectNoEofYet(client_);
  json w = Do(server_, "write", {{"handle", "copy"}, {"bytes", 100}});
  EXPECT_EQ(w["bytes"], 100);
  Do(server_, "close", {{"handle", "copy"}});
  json r = Do(client_, "read", {{"handle", "sock"}, {"limit_ms", 2000}, {"verify", true}});
  EXPECT_EQ(r["bytes"], 100);
  EXPECT_EQ(r["verified"], true);
  EXPECT_EQ(r["end"], "eof") << r.dump();
}

TEST_F(StepExecutorTest, ForkCloseLeavesTheAgentsDescriptorOpen) {
  ConnectedPair(server_, client_);
  json f = Do(server_, "fork_close", {{"handle", "csock"}});
  EXPECT_EQ(f["ret"], 0) << f.dump();
  ASSERT_GT(f["pid"].get<int64_t>(), 0) << f.dump();
  EXPECT_EQ(f["status"], "exited 0");
  EXPECT_FALSE(f.contains("end"));
  EXPECT_FALSE(ProcessExists(f["pid"].get<int64_t>()));  // reaped
  ExpectNoEofYet(client_);
  Do(server_, "close", {{"handle", "csock"}});
  ExpectEof(client_);
}

TEST_F(StepExecutorTest, HandToChildHoldsTheSocketUntilTheChildExits) {
  ConnectedPair(server_, client_);
  json h = Do(server_, "hand_to_child", {{"handle", "csock"}, {"as", "kid"}});
  ASSERT_GT(h["ret"].get<int64_t>(), 0) << h.dump();
  EXPECT_EQ(h["pid"], h["ret"]);
  EXPECT_EQ(h["close_ret"], 0);
  // The agent forgot its copy: the handle is free again, the child holds it.
  EXPECT_FALSE(server_.Perform("close", {{"handle", "csock"}}).ok());
  ExpectNoEofYet(client_);
  json e = Do(server_, "end_child", {{"as", "kid"}, {"how", "exit"}, {"limit_ms", 2000}});
  EXPECT_EQ(e["ret"], 0) << e.dump();
  EXPECT_EQ(e["status"], "exited 0");
  EXPECT_FALSE(e.contains("end"));
  EXPECT_LT(e["clock_end"]["mono_ns"].get<int64_t>() - e["clock_start"]["mono_ns"].get<int64_t>(),
            2 * kNsPerSec);
  EXPECT_FALSE(ProcessExists(h["pid"].get<int64_t>()));
  ExpectEof(client_);
  auto again = server_.Perform("end_child", {{"as", "kid"}, {"how", "exit"}, {"limit_ms", 10}});
  ASSERT_FALSE(again.ok());
  EXPECT_STREQ(StepExecutor::ReplyCode(again.error().code), "unknown_handle");
}

TEST_F(StepExecutorTest, EndChildKillReportsTheSignal) {
  ConnectedPair(server_, client_);
  Do(server_, "hand_to_child", {{"handle", "csock"}, {"as", "kid"}});
  json e = Do(server_, "end_child", {{"as", "kid"}, {"how", "kill"}, {"limit_ms", 2000}});
  EXPECT_EQ(e["ret"], 0) << e.dump();
  EXPECT_EQ(e["status"], "killed by signal 9");
  ExpectEof(client_);
}

// Children not ended by end_child do not outlive the session; a session
// has at most kMaxChildren.
TEST_F(StepExecutorTest, ChildrenLeftAtTheEndAreKilledAndReaped) {
  const auto before = CountChildren();
  std::vector<int64_t> pids;
  {
    StepExecutor ex{MakeNativeSocketApi()};
    for (size_t i = 0; i < protocol::kMaxChildren; ++i) {
      const std::string s = std::string("s").append(std::to_string(i));
      Do(ex, "socket", {{"handle", s}});
      json h = Do(ex, "hand_to_child", {{"handle", s}, {"as", std::string("kid").append(s)}});
      ASSERT_GT(h["ret"].get<int64_t>(), 0) << h.dump();
      pids.push_back(h["pid"].get<int64_t>());
    }
    Do(ex, "socket", {{"handle", "one-more"}});
    ExpectBadRequest(ex, "hand_to_child", {{"handle", "one-more"}, {"as", "k"}},
                     "at most 8 children");
    for (int64_t pid : pids) EXPECT_TRUE(ProcessExists(pid));
    if (before) {
      EXPECT_EQ(*CountChildren(), *before + protocol::kMaxChildren);
    }
  }
  for (int64_t pid : pids) EXPECT_FALSE(ProcessExists(pid)) << pid;  // not even a zombie
  if (before) {
    EXPECT_EQ(*CountChildren(), *before);
  }
}

// No SIGPIPE reaches the agent (this test process does not ignore it):
// the write's failure is the outcome.
TEST_F(StepExecutorTest, WriteToAResetConnectionIsAnOutcomeWithoutSigpipe) {
  ConnectedPair(server_, client_);
  Do(client_, "setsockopt",
     {{"handle", "sock"}, {"option", "SO_LINGER"}, {"onoff", 1}, {"seconds", 0}});
  Do(client_, "close", {{"handle", "sock"}});
  SleepNs(50 * kNsPerMs);
  json w;
  for (int i = 0; i < 3; ++i) {  // the first may fail with ECONNRESET, then EPIPE
    w = Do(server_, "write", {{"handle", "csock"}, {"bytes", 1000}});
    EXPECT_EQ(w["ret"], -1) << w.dump();
    EXPECT_TRUE(w["errno_name"] == "EPIPE" || w["errno_name"] == "ECONNRESET") << w.dump();
  }
  json r = Do(server_, "read", {{"handle", "csock"}, {"limit_ms", 500}});
  EXPECT_TRUE(r["end"] == "eof" || r["end"] == "error") << r.dump();
}

// A SocketApi that has only the calls every platform must have: each new
// op is then "unsupported", an outcome, not a refused request.
class BareSocketApi : public SocketApi {
 public:
  SysResult Socket(Family) override { return {next_++, 0}; }
  SysResult SetInt(SocketHandle, IntOption, int) override { return {0, 0}; }
  SysResult GetInt(SocketHandle, IntOption) override { return {0, 0}; }
  SysResult SetLinger(SocketHandle, bool, int) override { return {0, 0}; }
  SysResult GetLinger(SocketHandle) override { return {-2, 0}; }
  SysResult Bind(SocketHandle, const std::string&, int) override { return {0, 0}; }
  SysResult Listen(SocketHandle, int) override { return {0, 0}; }
  std::string LocalAddress(SocketHandle) override { return ""; }
  SysResult Accept(SocketHandle, int, std::string*) override { return {next_++, 0}; }
  SysResult Connect(SocketHandle, const std::string&, int) override { return {0, 0}; }
  SysResult Send(SocketHandle, const char*, size_t len) override {
    return {static_cast<int64_t>(len), 0};
  }
  SysResult Recv(SocketHandle, char*, size_t) override { return {0, 0}; }
  SysResult WaitReadable(SocketHandle, int) override { return {1, 0}; }
  SysResult Shutdown(SocketHandle, ShutdownHow) override { return {0, 0}; }
  SysResult Close(SocketHandle) override { return {0, 0}; }
  SocketQueues Queues(SocketHandle) override { return {}; }

 private:
  SocketHandle next_ = 1000;
};

TEST(StepExecutorUnsupported, OpsThePlatformLacksSaySoInTheEvent) {
  StepExecutor ex{std::make_unique<BareSocketApi>(), MakeNullCaptureApi()};
  testing_steps::Do(ex, "socket", {{"handle", "s"}});
  auto expect_unsupported = [&](const std::string& op, const json& args, const char* err) {
    json e = testing_steps::Do(ex, op, args);
    EXPECT_EQ(e["ret"], -1) << op;
    EXPECT_EQ(e["errno_name"], err) << op;
    EXPECT_EQ(e["unsupported"], true) << op;
    return e;
  };
  EXPECT_EQ(expect_unsupported("tcp_state", {{"handle", "s"}}, "EOPNOTSUPP")["state"], "unknown");
  json t = expect_unsupported("socket_table", {{"port", 80}}, "EOPNOTSUPP");
  EXPECT_EQ(t["state"], "unknown");
  EXPECT_EQ(t["entries"], json::array());
  expect_unsupported("dup", {{"handle", "s"}, {"as", "d"}}, "EOPNOTSUPP");
  EXPECT_FALSE(ex.Perform("close", {{"handle", "d"}}).ok());  // nothing was made
  EXPECT_EQ(expect_unsupported("fork_close", {{"handle", "s"}}, "EOPNOTSUPP")["status"], nullptr);
  expect_unsupported("hand_to_child", {{"handle", "s"}, {"as", "kid"}}, "EOPNOTSUPP");
  auto end = ex.Perform("end_child", {{"as", "kid"}, {"how", "exit"}, {"limit_ms", 10}});
  EXPECT_FALSE(end.ok());  // no child was made
  EXPECT_EQ(
      expect_unsupported("poll", {{"handle", "s"}, {"events", {"in"}}}, "EOPNOTSUPP")["revents"],
      json::array());
  for (const char* opt : {"SO_ERROR", "TCP_USER_TIMEOUT", "TCP_LINGER2"}) {
    json g = expect_unsupported("getsockopt", {{"handle", "s"}, {"option", opt}}, "ENOPROTOOPT");
    EXPECT_EQ(g["value"], nullptr);
  }
  for (const char* opt : {"TCP_USER_TIMEOUT", "TCP_LINGER2"}) {
    json s = expect_unsupported("setsockopt", {{"handle", "s"}, {"option", opt}, {"value", 1}},
                                "ENOPROTOOPT");
    EXPECT_EQ(s["effective"], nullptr);
  }
  expect_unsupported("nonblock", {{"handle", "s"}}, "EOPNOTSUPP");
  // The handle is still there: hand_to_child did not forget it.
  EXPECT_EQ(testing_steps::Do(ex, "close", {{"handle", "s"}})["ret"], 0);
}

TEST_F(StepExecutorTest, NewOpsRefuseMalformedArguments) {
  Do(server_, "socket", {{"handle", "s"}});
  const std::string big(1 << 16, 'x');
  for (const char* op : {"tcp_state", "fork_close", "poll", "getsockopt"}) {
    ExpectBadRequest(server_, op, {{"handle", 5}}, "'handle'");
    ExpectBadRequest(server_, op, {{"handle", big}}, "'handle'");
    auto unknown = server_.Perform(op, {{"handle", "nope"}, {"option", "SO_ERROR"}});
    ASSERT_FALSE(unknown.ok()) << op;
    EXPECT_STREQ(StepExecutor::ReplyCode(unknown.error().code), "unknown_handle") << op;
  }
  ExpectBadRequest(server_, "socket_table", json::object(), "'port'");
  ExpectBadRequest(server_, "socket_table", {{"port", 0}}, "'port' must be in 1..65535");
  ExpectBadRequest(server_, "socket_table", {{"port", 65536}}, "'port'");
  ExpectBadRequest(server_, "socket_table", {{"port", "80"}}, "'port'");
  ExpectBadRequest(server_, "socket_table", {{"port", 80.0}}, "'port'");
  ExpectBadRequest(server_, "socket_table", {{"port", UINT64_MAX}}, "'port'");
  ExpectBadRequest(server_, "dup", {{"handle", "s"}}, "'as'");
  ExpectBadRequest(server_, "dup", {{"handle", "s"}, {"as", "s"}}, "already exists");
  ExpectBadRequest(server_, "dup", {{"handle", "s"}, {"as", "a b"}}, "'as'");
  ExpectBadRequest(server_, "dup", {{"handle", "s"}, {"as", big}}, "'as'");
  ExpectBadRequest(server_, "hand_to_child", {{"handle", "s"}}, "'as'");
  ExpectBadRequest(server_, "hand_to_child", {{"handle", "s"}, {"as", 3}}, "'as'");
  ExpectBadRequest(server_, "hand_to_child", {{"handle", "s"}, {"as", "x/y"}}, "'as'");
  ExpectBadRequest(server_, "end_child", {{"how", "exit"}, {"limit_ms", 10}}, "'as'");
  ExpectBadRequest(server_, "end_child", {{"as", "k"}, {"limit_ms", 10}}, "'how'");
  ExpectBadRequest(server_, "end_child", {{"as", "k"}, {"how", "stop"}, {"limit_ms", 10}},
                   "'how' must be exit or kill");
  ExpectBadRequest(server_, "end_child", {{"as", "k"}, {"how", "exit"}}, "'limit_ms'");
  ExpectBadRequest(server_, "end_child", {{"as", "k"}, {"how", "exit"}, {"limit_ms", 0}},
                   "'limit_ms' must be in 1..");
  ExpectBadRequest(server_, "end_child",
                   {{"as", "k"}, {"how", "exit"}, {"limit_ms", protocol::kMaxStepMs + 1}},
                   "'limit_ms'");
  ExpectBadRequest(server_, "end_child", {{"as", "k"}, {"how", "kill"}, {"limit_ms", "5"}},
                   "'limit_ms'");
  ExpectBadRequest(server_, "poll", {{"handle", "s"}, {"events", "in"}}, "'events'");
  ExpectBadRequest(server_, "poll", {{"handle", "s"}, {"events", {"in", "sideways"}}}, "'events'");
  ExpectBadRequest(server_, "poll", {{"handle", "s"}, {"events", {1}}}, "'events'");
  ExpectBadRequest(
      server_, "poll",
      {{"handle", "s"},
       {"events", json::array({"in", "in", "in", "in", "in", "in", "in", "in", "in"})}},
      "'events'");
  ExpectBadRequest(server_, "poll", {{"handle", "s"}, {"timeout_ms", -1}}, "'timeout_ms'");
  ExpectBadRequest(server_, "poll", {{"handle", "s"}, {"timeout_ms", protocol::kMaxStepMs + 1}},
                   "'timeout_ms'");
  ExpectBadRequest(server_, "poll", {{"handle", "s"}, {"timeout_ms", 1.5}}, "'timeout_ms'");
  ExpectBadRequest(server_, "getsockopt", {{"handle", "s"}}, "'option'");
  ExpectBadRequest(server_, "getsockopt", {{"handle", "s"}, {"option", "SO_SNDBUF"}}, "'option'");
  ExpectBadRequest(server_, "getsockopt", {{"handle", "s"}, {"option", 7}}, "'option'");
  ExpectBadRequest(server_, "setsockopt",
                   {{"handle", "s"}, {"option", "TCP_USER_TIMEOUT"}, {"value", -1}},
                   "'value' must be in 0..2147483647");
  ExpectBadRequest(server_, "setsockopt",
                   {{"handle", "s"}, {"option", "TCP_USER_TIMEOUT"}, {"value", int64_t{1} << 31}},
                   "'value'");
  ExpectBadRequest(server_, "setsockopt", {{"handle", "s"}, {"option", "TCP_USER_TIMEOUT"}},
                   "'value'");
  ExpectBadRequest(server_, "setsockopt",
                   {{"handle", "s"}, {"option", "TCP_LINGER2"}, {"value", -2}},
                   "'value' must be in -1..2147483647");
  ExpectBadRequest(server_, "setsockopt",
                   {{"handle", "s"}, {"option", "TCP_LINGER2"}, {"value", "10"}}, "'value'");
}

// dup's new socket counts toward the session's limit, as accept's does.
TEST_F(StepExecutorTest, DupCountsTowardTheSocketLimit) {
  for (size_t i = 0; i < protocol::kMaxSockets; ++i)
    Do(server_, "socket", {{"handle", std::string("s").append(std::to_string(i))}});
  ExpectBadRequest(server_, "dup", {{"handle", "s0"}, {"as", "one-more"}}, "at most 64 sockets");
}

}  // namespace
}  // namespace lingerlab

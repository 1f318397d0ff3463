// The close-state matrix's claims on constructed timelines: rst_on_close and
// fin_on_close (close_packets.h), the close under test a step names
// ("claim": "close"), and the observations (observations.h).
#include <gtest/gtest.h>

#include <string>

#include "suite/classify/classifier.h"
#include "suite/classify/test_case_builder.h"

namespace lingerlab {
namespace {

using nlohmann::json;
using testing::CaseBuilder;

// An established connection at 0.0003 with no data, the server's listener
// closed: the opening every close-state case shares.
CaseBuilder Established() {
  CaseBuilder b;
  b.Id("CS01").ClientKind("fast");
  b.Handshake(0.0);
  b.ClientPrologue(0.0003);
  return b;
}

TEST(CloseStateClaimsTest, FinWaitOneWithLingerZeroResetsAfterTheShutdownsFin) {
  // shutdown(SHUT_WR) sent the FIN at 1.0; {1,0} close at 2.0 resets.
  CaseBuilder b = Established();
  b.Server("shutdown", "csock", 0.99, 0.991, {{"args", {{"how", "wr"}}}});
  b.S2c(1.0, "F.", 1, 1);
  b.S2c(1.5, "F.", 1, 1);  // a retransmission: no FIN of the close
  b.Close(2.0, 2.0001);
  b.S2c(2.00005, "R.", 2, 1);
  b.ClientRead(0.0004, 2.5, 0, "eof");
  const json c = ClassifyCase(b.Build())["claims"];
  EXPECT_EQ(c["rst_on_close"], true);
  EXPECT_EQ(c["fin_on_close"], false);
  EXPECT_EQ(c["abort_on_close"], false);  // the SO_LINGER matrix's claim: not "instead of a FIN"
}

TEST(CloseStateClaimsTest, CloseWaitCloseSendsItsFinAndNoRst) {
  CaseBuilder b = Established();
  b.C2s(0.5, "F.", 1, 1);
  b.S2c(0.5001, ".", 1, 2);
  b.Close(1.0, 1.0001);
  b.S2c(1.00005, "F.", 1, 2);
  b.C2s(1.0002, ".", 2, 2);
  b.ClientRead(0.0004, 0.6, 0, "eof");
  const json c = ClassifyCase(b.Build())["claims"];
  EXPECT_EQ(c["rst_on_close"], false);
  EXPECT_EQ(c["fin_on_close"], true);
}

TEST(CloseStateClaimsTest, APlainCloseWhoseFinIsAckedInsideTheCallDidNotBlock) {
  // CLOSE_WAIT without SO_LINGER on a veth pair: the peer's ACK of the FIN
  // comes back while close() is still sending it (80 us, ACK 32 us before
  // the return). No SO_LINGER: nothing can have waited for it.
  CaseBuilder b = Established();
  b.C2s(0.5, "F.", 1, 1);
  b.S2c(0.5001, ".", 1, 2);
  b.Close(1.0, 1.00008);
  b.S2c(1.00001, "F.", 1, 2);
  b.C2s(1.000048, ".", 2, 2);
  b.ClientRead(0.0004, 0.6, 0, "eof");
  const json c = ClassifyCase(b.Build())["claims"];
  EXPECT_EQ(c["close_ended_by"], "immediate");
  EXPECT_EQ(c["close_blocks"], false);
}

TEST(CloseStateClaimsTest, TheFinOfAShutdownJustBeforeCloseIsTheShutdowns) {
  // SHUT_RDWR, then close() 0.3 ms later: the FIN left within the clock
  // skew of close()'s start, but shutdown() had sent it.
  CaseBuilder b = Established();
  b.Server("shutdown", "csock", 0.999, 0.9991, {{"args", {{"how", "rdwr"}}}});
  b.S2c(0.99912, "F.", 1, 1);
  b.Close(0.9994, 0.9995);
  b.ClientRead(0.0004, 1.2, 0, "eof");
  EXPECT_EQ(ClassifyCase(b.Build())["claims"]["fin_on_close"], false);
  // A failed shutdown() sent nothing: the FIN is the close's.
  CaseBuilder failed = Established();
  failed.Server("shutdown", "csock", 0.999, 0.9991,
                {{"args", {{"how", "wr"}}}, {"ret", -1}, {"errno_name", "ENOTCONN"}});
  failed.Close(0.9994, 0.9995);
  failed.S2c(0.99945, "F.", 1, 1);
  failed.ClientRead(0.0004, 1.2, 0, "eof");
  EXPECT_EQ(ClassifyCase(failed.Build())["claims"]["fin_on_close"], true);
}

TEST(CloseStateClaimsTest, NothingOnTheWireNeedsACaptureThatRanPastTheWindow) {
  // A FIN_WAIT_2 close without SO_LINGER sends nothing; the capture's last
  // packet is before close(), but the case ran to its end: absence holds.
  CaseBuilder b = Established();
  b.S2c(0.5, "F.", 1, 1);
  b.C2s(0.5001, ".", 1, 2);
  b.Close(1.0, 1.0001);
  b.ClientRead(0.0004, 0.6, 0, "eof");
  json c = ClassifyCase(b.Build())["claims"];
  EXPECT_EQ(c["rst_on_close"], false);
  EXPECT_EQ(c["fin_on_close"], false);
  // Cut short (an error) before the window ended: no RST cannot be told;
  // the FIN is known to have left before close(), so it was none of its.
  CaseBuilder cut = Established();
  cut.S2c(0.5, "F.", 1, 1);
  cut.Close(1.0, 1.0001);
  cut.Failed("agent lost");
  c = ClassifyCase(cut.Build())["claims"];
  EXPECT_FALSE(c.contains("rst_on_close"));
  EXPECT_EQ(c["fin_on_close"], false);
}

TEST(CloseStateClaimsTest, AResetBeforeCloseIsNoRstOnClose) {
  CaseBuilder b = Established();
  b.S2c(0.5, "R.", 1, 1);  // answered the client's data after SHUT_RD
  b.Close(1.0, 1.0001);
  b.ClientRead(0.0004, 0.6, 0, "error", "ECONNRESET");
  EXPECT_EQ(ClassifyCase(b.Build())["claims"]["rst_on_close"], false);
}

TEST(CloseStateClaimsTest, TheStepMarkedCloseIsTheCloseUnderTest) {
  // A listener's close: lsock is marked, csock never existed.
  CaseBuilder b = Established();
  b.Server("close", "lsock", 1.0, 1.0002, {{"claim", "close"}});
  b.S2c(1.0001, "R.", 1, 1);
  b.ClientRead(0.0004, 1.1, 0, "error", "ECONNRESET");
  const json out = ClassifyCase(b.Build());
  EXPECT_EQ(out["claims"]["rst_on_close"], true);
  EXPECT_EQ(out["claims"]["close_ret"], 0);
  EXPECT_EQ(out["claims"]["close_blocks"], false);
  EXPECT_EQ(out["close"]["t_start"], 1.0);
}

TEST(CloseStateClaimsTest, AnExitThatHoldsTheLastDescriptorIsTheClose) {
  CaseBuilder b = Established();
  b.Server("end_child", "", 1.0, 3.0, {{"claim", "close"}, {"status", "exited 0"}});
  b.S2c(1.0001, "F.", 1, 1);
  b.ClientRead(0.0004, 0.6, 0, "eof");
  const json c = ClassifyCase(b.Build())["claims"];
  EXPECT_EQ(c["close_blocks"], true);
  EXPECT_EQ(c["fin_on_close"], true);
}

TEST(CloseStateClaimsTest, ObservationsAreReadFromTheirSteps) {
  CaseBuilder b = Established();
  b.Server("tcp_state", "csock", 0.9, 0.9001,
           {{"claim", "state_before_close"}, {"state", "CLOSE_WAIT"}});
  b.Server("read", "csock", 0.91, 0.92,
           {{"claim", "read_first"},
            {"bytes", 100},
            {"end", "error"},
            {"ret", -1},
            {"errno_name", "ECONNRESET"}});
  b.Server("read", "csock", 0.93, 0.94, {{"claim", "read_second"}, {"bytes", 0}, {"end", "eof"}});
  b.Server("getsockopt", "csock", 0.95, 0.96,
           {{"claim", "so_error_first"}, {"value", 104}, {"value_name", "ECONNRESET"}});
  b.Server("getsockopt", "csock", 0.97, 0.98,
           {{"claim", "so_error_second"}, {"value", 0}, {"value_name", nullptr}});
  b.Server("poll", "csock", 0.99, 0.991,
           {{"claim", "poll_revents"}, {"ret", 1}, {"revents", {"IN", "ERR", "HUP"}}});
  b.Server("write", "csock", 0.992, 0.993,
           {{"claim", "write_first_errno"}, {"ret", -1}, {"errno_name", "EPIPE"}});
  b.Server("shutdown", "csock", 0.994, 0.995, {{"claim", "shutdown_errno"}});
  b.Close(1.0, 1.0001);
  b.Server("socket_table", "", 1.3, 1.3001, {{"claim", "state_after_close"}, {"state", "gone"}});
  b.ClientRead(0.0004, 0.6, 0, "eof");
  const json c = ClassifyCase(b.Build())["claims"];
  EXPECT_EQ(c["state_before_close"], "CLOSE_WAIT");
  EXPECT_EQ(c["read_first"], "data+ECONNRESET");
  EXPECT_EQ(c["read_second"], "eof");
  EXPECT_EQ(c["so_error_first"], "ECONNRESET");
  EXPECT_TRUE(c["so_error_second"].is_null());
  EXPECT_EQ(c["poll_revents"], "IN+ERR+HUP");
  EXPECT_EQ(c["write_first_errno"], "EPIPE");
  EXPECT_TRUE(c.contains("shutdown_errno") && c["shutdown_errno"].is_null());
  EXPECT_EQ(c["state_after_close"], "gone");
}

TEST(CloseStateClaimsTest, AnUnsupportedOrMalformedObservationClaimsNothingAndSaysWhy) {
  CaseBuilder b = Established();
  b.Server("tcp_state", "csock", 0.9, 0.9001,
           {{"claim", "state_before_close"},
            {"state", "unknown"},
            {"ret", -1},
            {"errno_name", "EOPNOTSUPP"},
            {"unsupported", true}});
  b.Server("poll", "csock", 0.91, 0.92, {{"claim", "poll_revents"}, {"revents", "IN"}});
  b.Server("write", "csock", 0.93, 0.94, {{"claim", "read_first"}});  // the wrong step
  b.Server("pause", "", 0.95, 0.96, {{"claim", "no_such_observation"}});
  b.Close(1.0, 1.0001);
  b.ClientRead(0.0004, 0.6, 0, "eof");
  const json out = ClassifyCase(b.Build());
  for (const char* claim : {"state_before_close", "poll_revents", "read_first"})
    EXPECT_FALSE(out["claims"].contains(claim)) << claim;
  const std::string reason = out["reason"].get<std::string>();
  EXPECT_NE(reason.find("state_before_close: server tcp_state: tcp_state is not supported"),
            std::string::npos)
      << reason;
  EXPECT_NE(reason.find("poll_revents"), std::string::npos) << reason;
  EXPECT_NE(reason.find("read_first: server write: made by a write"), std::string::npos) << reason;
  EXPECT_NE(reason.find("no_such_observation"), std::string::npos) << reason;
}

}  // namespace
}  // namespace lingerlab

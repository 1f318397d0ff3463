#include "suite/classify/classifier.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "suite/classify/test_case_builder.h"

namespace lingerlab {
namespace {

using nlohmann::json;
using testing::CaseBuilder;
using testing::kPayload;

// Zero-window probes from the server (seq one below snd.una) at each time,
// each answered by a duplicate ACK that still shows a zero window.
void Probes(CaseBuilder& b, std::initializer_list<double> times, int64_t acked) {
  for (double t : times) {
    b.S2c(t, ".", acked, 1, 0);
    b.C2s(t + 0.0001, ".", 1, acked + 1, 0, 0);
  }
}

// The client, after reading slowly, opens its window at `t`; the server sends
// the rest of the payload from byte `from` with its FIN and the client ACKs
// it. At t_client_fin the client closes; the server ACKs its FIN. Returns the
// index of that last ACK (the clean close).
size_t DrainAndClose(CaseBuilder& b, double t, int64_t from, double t_client_fin) {
  b.C2s(t, ".", 1, from + 1, 0, 8192);
  b.SendData(t + 0.0001, from, kPayload - from, 0, /*fin=*/true);
  b.C2s(t_client_fin, "F.", 1, kPayload + 2, 0, 65535);
  const size_t last = b.packet_count();
  b.S2c(t_client_fin + 0.0001, ".", kPayload + 2, 2, 0);
  return last;
}

// Handshake at 0, the client connected at 0.0003, the server's steps up to
// its write of the payload ending at t_write_end, and the first 8 KiB sent
// and ACKed with a closing window right after.
void Opening(CaseBuilder& b, double t_write_end) {
  b.Handshake(0.0);
  b.ClientPrologue(0.0003);
  b.ServerPrologue(t_write_end);
  b.SendData(t_write_end - 0.0004, 0, 8192, 0);
}

const nlohmann::json& Claims(const nlohmann::json& outcome) { return outcome.at("claims"); }

// --- Case 02 style: no SO_LINGER, slow client: all data, then the FIN. ---
TEST(ClassifierTest, CleanFinWithSlowClient) {
  CaseBuilder b;
  b.Id("02");
  Opening(b, 1.021);
  b.Server("queues", "csock", 1.0211, 1.0212, {{"outq", 12288}, {"inq", 0}});
  b.Close(1.0213, 1.0214);
  Probes(b, {1.3, 1.7, 2.5}, 8192);
  b.C2s(30.0, ".", 1, 8193, 0, 4096);  // window update
  b.SendData(30.0001, 8192, 4096, 0);
  Probes(b, {30.3}, 12288);
  const size_t clean = DrainAndClose(b, 60.0, 12288, 160.0);
  b.S2c(60.3, "FP.", 16385, 1, 4096);  // spurious retransmission of the FIN segment
  b.C2s(60.3001, ".", 1, kPayload + 2, 0, 8192);
  b.ClientRead(0.0004, 160.0, kPayload, "eof");
  nlohmann::json doc = b.Build();
  // Keep capture order by time: the retransmission went out before the client's FIN.
  auto& pk = doc["packets"];
  std::stable_sort(pk.begin(), pk.end(),
                   [](const auto& x, const auto& y) { return x["t"] < y["t"]; });
  const nlohmann::json out = ClassifyCase(doc);
  const nlohmann::json& c = Claims(out);

  EXPECT_TRUE(out["complete"].get<bool>()) << out["reason"];
  EXPECT_EQ(c["abort_on_close"], false);
  EXPECT_EQ(c["close_blocks"], false);
  EXPECT_EQ(c["close_ended_by"], "immediate");
  EXPECT_EQ(c["close_ret"], 0);
  EXPECT_TRUE(c["close_errno"].is_null());
  EXPECT_EQ(c["rst_after_clean_close"], false);
  EXPECT_EQ(c["idle_abort"], false);
  EXPECT_EQ(c["client_bytes"], kPayload);
  EXPECT_TRUE(c["client_bytes"].is_number_unsigned());  // the vocabulary's "count" type
  EXPECT_EQ(c["client_end"], "eof");
  EXPECT_EQ(c["data_lost"], false);
  for (const char* absent : {"abort_on_linger_timeout", "ewouldblock_on_linger_timeout",
                             "late_setsockopt_errno", "eof_before_limit"}) {
    EXPECT_FALSE(c.contains(absent)) << absent;
  }
  EXPECT_FALSE(out.contains("linger_timeout"));
  EXPECT_EQ(out["close"]["fin_acked_at_return"], false);  // the FIN was still queued
  // The clean close is the server's ACK of the client's FIN, whatever moved
  // around it; the retransmitted FIN did not make a second one.
  EXPECT_EQ(out["rst_after_clean_close"]["clean_close_packet"], clean + 2);
  EXPECT_FALSE(out["evidence"].empty());
}

// --- Case 04 style: SO_LINGER {on, 0} on csock: RST at close(), data gone. ---
CaseBuilder AbortCase(double rst_after_close_end) {
  CaseBuilder b;
  b.Id("04").Linger("csock", 0);
  Opening(b, 1.021);
  b.Server("queues", "csock", 1.0211, 1.0212, {{"outq", 12288}, {"inq", 0}});
  b.Close(1.0213, 1.0214);
  b.S2c(1.0214 + rst_after_close_end, "R.", 8193, 1);
  // The client's window update later meets a server that forgot the connection.
  b.C2s(5.0, ".", 1, 8193, 0, 4096);
  b.S2c(5.0001, "R", 8193, 0);
  b.ClientRead(0.0004, 5.0002, 8192, "error", "ECONNRESET");
  return b;
}

TEST(ClassifierTest, AbortOnCloseDiscardsUnsentData) {
  const nlohmann::json out = ClassifyCase(AbortCase(-0.00005).Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_TRUE(out["complete"].get<bool>()) << out["reason"];
  EXPECT_EQ(c["abort_on_close"], true);
  EXPECT_EQ(c["close_ret"], 0);  // close() said nothing went wrong; the packets say otherwise
  EXPECT_EQ(c["close_blocks"], false);
  EXPECT_EQ(c["close_ended_by"], "immediate");
  EXPECT_EQ(c["idle_abort"], false);  // the later answering RST is a consequence
  EXPECT_EQ(c["rst_after_clean_close"], false);
  EXPECT_EQ(c["client_bytes"], 8192);
  EXPECT_EQ(c["client_end"], "ECONNRESET");
  EXPECT_EQ(c["data_lost"], true);
  EXPECT_FALSE(c.contains("abort_on_linger_timeout"));  // linger 0: no linger timeout

  const nlohmann::json& a = out["abort_on_close"];
  EXPECT_EQ(a["value"], true);
  EXPECT_EQ(a["fin_before_rst"], false);
  EXPECT_EQ(a["unsent_discarded"], true);
  EXPECT_EQ(a["bytes_written"], kPayload);
  EXPECT_EQ(a["bytes_sent_before_rst"], 8192);
  EXPECT_EQ(a["bytes_acked_before_rst"], 8192);
  EXPECT_EQ(a["outq_before_close"], 12288);
  EXPECT_NEAR(a["rst_t"].get<double>(), 0.00005, 1e-9);
  EXPECT_EQ(a["rst_packet"], 7);  // 3 handshake + 4 data/ACK packets before it
}

TEST(ClassifierTest, RstWellAfterCloseReturnedIsNotCloses) {
  // 0.3 s after close() returned is outside the 0.2 s detection window: the
  // orphan was reset by something else.
  const nlohmann::json out = ClassifyCase(AbortCase(0.3).Build());
  EXPECT_EQ(Claims(out)["abort_on_close"], false);
  EXPECT_EQ(Claims(out)["idle_abort"], true);
  EXPECT_EQ(out["idle_abort"]["phase"], "after_close");
}

TEST(ClassifierTest, NoRstAtCloseWithLingerZeroIsNoAbort) {
  CaseBuilder b = AbortCase(0);
  nlohmann::json doc = b.Build();
  auto& pk = doc["packets"];
  for (auto it = pk.begin(); it != pk.end();) {
    it = (*it)["flags"].get<std::string>().find('R') != std::string::npos ? pk.erase(it) : it + 1;
  }
  const nlohmann::json out = ClassifyCase(doc);
  EXPECT_EQ(Claims(out)["abort_on_close"], false);
  EXPECT_TRUE(out["abort_on_close"]["unsent_discarded"].is_null());
}

TEST(ClassifierTest, DataSentButNotAcknowledgedCountsAsDiscarded) {
  // Everything left the server, but the client had ACKed only 8 KiB when the
  // RST came: the rest is lost as surely as if it had never been sent.
  CaseBuilder b;
  b.Id("04").Linger("csock", 0);
  Opening(b, 1.021);
  b.S2c(1.0211, "P.", 8193, 1, 4096);
  b.S2c(1.0212, "P.", 12289, 1, 8192);
  b.Close(1.0213, 1.0214);
  b.S2c(1.02135, "R.", kPayload + 1, 1);
  b.ClientRead(0.0004, 5.0, 8192, "error", "ECONNRESET");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["abort_on_close"], true);
  EXPECT_EQ(out["abort_on_close"]["bytes_sent_before_rst"], kPayload);
  EXPECT_EQ(out["abort_on_close"]["bytes_acked_before_rst"], 8192);
  EXPECT_EQ(out["abort_on_close"]["unsent_discarded"], true);
}

// --- Case 06 style, scaled: SO_LINGER {on, 20} blocks for the linger time. ---
CaseBuilder LingerTimeoutCase() {
  CaseBuilder b;
  b.Id("06").TimeScale(0.05).Linger("lsock", 20);  // applied: 1 s
  Opening(b, 0.071);
  b.Server("queues", "csock", 0.0711, 0.0712, {{"outq", 12288}, {"inq", 0}});
  b.Close(0.0712, 1.0722);
  Probes(b, {0.3, 0.7, 1.5}, 8192);
  b.C2s(2.0, ".", 1, 8193, 0, 4096);
  b.SendData(2.0001, 8192, 4096, 0);
  DrainAndClose(b, 4.0, 12288, 8.0);
  b.ClientRead(0.0004, 8.0, kPayload, "eof");
  return b;
}

TEST(ClassifierTest, LingerBlocksUntilTimeoutWithoutRst) {
  const nlohmann::json out = ClassifyCase(LingerTimeoutCase().Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_TRUE(out["complete"].get<bool>()) << out["reason"];
  EXPECT_EQ(c["close_blocks"], true);
  EXPECT_NEAR(c["close_blocked_s"].get<double>(), 1.001, 1e-9);
  EXPECT_EQ(c["close_ended_by"], "linger_timeout");
  EXPECT_EQ(c["close_ret"], 0);
  EXPECT_EQ(c["abort_on_linger_timeout"], false);
  EXPECT_EQ(c["ewouldblock_on_linger_timeout"], false);
  EXPECT_EQ(c["abort_on_close"], false);
  EXPECT_EQ(c["idle_abort"], false);
  EXPECT_EQ(c["data_lost"], false);
  EXPECT_EQ(out["close"]["fin_acked_at_return"], false);
  EXPECT_DOUBLE_EQ(out["thresholds"]["linger_s"].get<double>(), 1.0);
}

TEST(ClassifierTest, BlockThatIsNotTheLingerTimeIsAKernelTimeout) {
  // The same block judged against a 3 s linger time is some other timer.
  nlohmann::json doc = LingerTimeoutCase().Build();
  doc["parameters"]["applied"]["linger_s"] = 3.0;
  const nlohmann::json out = ClassifyCase(doc);
  EXPECT_EQ(Claims(out)["close_ended_by"], "kernel_timeout");
  EXPECT_FALSE(Claims(out).contains("abort_on_linger_timeout"));
  EXPECT_FALSE(Claims(out).contains("ewouldblock_on_linger_timeout"));
}

// --- Case 07 style: fast client; the linger block ends when the FIN is ACKed. ---
CaseBuilder FastLingerCase(double ack_before_return) {
  CaseBuilder b;
  b.Id("07").ClientKind("fast").Linger("lsock", 20);
  b.Handshake(0.0);
  b.ClientPrologue(0.0003);
  b.ServerPrologue(1.021);
  b.Server("queues", "csock", 1.0211, 1.0212, {{"outq", kPayload}, {"inq", 0}});
  b.Close(1.0213, 1.3502);
  b.SendData(1.03, 0, 8192, 0);
  b.C2s(1.1, ".", 1, 8193, 0, 8192);
  b.SendData(1.1001, 8192, 8192, 0);
  b.C2s(1.2, ".", 1, 16385, 0, 8192);
  const double t_ack = 1.3502 - ack_before_return;
  b.S2c(t_ack - 0.0001, "FP.", 16385, 1, 4096);
  b.C2s(t_ack, ".", 1, kPayload + 2, 0, 4096);
  b.C2s(1.4, "F.", 1, kPayload + 2, 0, 8192);
  b.S2c(1.4001, ".", kPayload + 2, 2, 0);
  b.ClientRead(0.0004, 1.4, kPayload, "eof");
  return b;
}

TEST(ClassifierTest, LingerBlockEndedByPeerAck) {
  const nlohmann::json out = ClassifyCase(FastLingerCase(0.0003).Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_TRUE(out["complete"].get<bool>()) << out["reason"];
  EXPECT_EQ(c["close_blocks"], true);
  EXPECT_EQ(c["close_ended_by"], "peer_acked");
  EXPECT_FALSE(c.contains("abort_on_linger_timeout"));  // it did not end at the linger time
  EXPECT_EQ(c["abort_on_close"], false);
  EXPECT_EQ(c["rst_after_clean_close"], false);
  EXPECT_EQ(c["client_end"], "eof");
  EXPECT_EQ(c["data_lost"], false);
  EXPECT_EQ(out["close"]["fin_acked_at_return"], true);
}

// As measured in case 07 on a veth pair: a fast client drains the payload
// in tens of milliseconds, and close() with {on,20} returns right after the
// ACK of the FIN. Short, but a block that the peer's ACK ended.
TEST(ClassifierTest, ShortBlockEndedByPeerAckIsStillABlock) {
  CaseBuilder b;
  b.Id("07").ClientKind("fast").Linger("lsock", 20);
  b.Handshake(0.0);
  b.ClientPrologue(0.0003);
  b.ServerPrologue(1.021);
  b.Server("queues", "csock", 1.0211, 1.0212, {{"outq", kPayload}, {"inq", 0}});
  b.Close(1.0213, 1.0513);  // 30 ms
  b.SendData(1.0214, 0, kPayload, 0);
  b.S2c(1.05, "F.", kPayload + 1, 1);
  b.C2s(1.0511, ".", 1, kPayload + 2, 0, 8192);
  b.C2s(1.06, "F.", 1, kPayload + 2, 0, 8192);
  b.S2c(1.0601, ".", kPayload + 2, 2, 0);
  b.ClientRead(0.0004, 1.06, kPayload, "eof");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["close_ended_by"], "peer_acked");
  EXPECT_EQ(Claims(out)["close_blocks"], true);
}

// A fast client that has read all data; the server's close() starts at
// close_start and returns at close_end, its FIN leaves at fin and the
// client's ACK of it arrives at ack. `b` says which case (id, linger).
nlohmann::json FinAckAroundClose(CaseBuilder& b, double close_start, double close_end, double fin,
                                 double ack) {
  b.Handshake(0.0);
  b.ClientPrologue(0.0003);
  b.ServerPrologue(1.021);
  b.SendData(1.0211, 0, kPayload, 8192);
  b.Server("queues", "csock", 1.02170, 1.02171, {{"outq", 0}, {"inq", 0}});
  b.Close(close_start, close_end);
  b.S2c(fin, "F.", kPayload + 1, 1);
  b.C2s(ack, ".", 1, kPayload + 2, 0, 8192);
  b.C2s(1.03, "F.", 1, kPayload + 2, 0, 8192);
  b.S2c(1.0301, ".", kPayload + 2, 2, 0);
  b.ClientRead(0.0004, 1.03, kPayload, "eof");
  return ClassifyCase(b.Build());
}

// Measured for case 07 on an idle machine: close() 0.18 ms, its FIN out
// 81 us in, the ACK 40 us later, the return 59 us after that.
TEST(ClassifierTest, SubMillisecondWaitForTheFinsAckIsPeerAcked) {
  CaseBuilder b;
  b.Id("07").ClientKind("fast").Linger("lsock", 20);
  const nlohmann::json out = FinAckAroundClose(b, 1.021800, 1.021980, 1.021881, 1.021921);
  EXPECT_EQ(Claims(out)["close_ended_by"], "peer_acked");
  EXPECT_EQ(Claims(out)["close_blocks"], true);
}

// A plain close(): its FIN leaves, and close() is back before the ACK.
TEST(ClassifierTest, ACloseThatReturnedBeforeTheAckIsImmediate) {
  CaseBuilder b;
  b.Id("11").ClientKind("fast");
  const nlohmann::json out = FinAckAroundClose(b, 1.021800, 1.021810, 1.021805, 1.021845);
  EXPECT_EQ(Claims(out)["close_ended_by"], "immediate");
  EXPECT_EQ(Claims(out)["close_blocks"], false);
}

// After shutdown() the FIN was ACKed before close() began (cases 24, 27).
TEST(ClassifierTest, AnAckBeforeCloseBeganDidNotEndIt) {
  CaseBuilder b;
  b.Id("27").ClientKind("fast").Linger("csock", 20).Shutdown("wait_eof");
  b.Handshake(0.0);
  b.ClientPrologue(0.0003);
  b.ServerPrologue(1.021);
  b.SendData(1.0211, 0, kPayload, 8192);
  b.Server("shutdown", "csock", 1.02170, 1.02171, {{"args", {{"how", "wr"}}}});
  b.S2c(1.021705, "F.", kPayload + 1, 1);
  b.C2s(1.021745, ".", 1, kPayload + 2, 0, 8192);
  b.C2s(1.0220, "F.", 1, kPayload + 2, 0, 8192);
  b.S2c(1.02201, ".", kPayload + 2, 2, 0);
  b.Server("read", "csock", 1.02172, 1.02202,
           {{"bytes", 0}, {"end", "eof"}, {"args", {{"limit_ms", 0}}}});
  b.Server("queues", "csock", 1.02203, 1.02204, {{"outq", 0}, {"inq", 0}});
  b.Close(1.022300, 1.022310);
  b.ClientRead(0.0004, 1.0220, kPayload, "eof");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["close_ended_by"], "immediate");
  EXPECT_EQ(Claims(out)["close_blocks"], false);
}

TEST(ClassifierTest, FinAckedLongBeforeTheReturnDidNotEndTheBlock) {
  const nlohmann::json out = ClassifyCase(FastLingerCase(0.2).Build());
  EXPECT_EQ(Claims(out)["close_ended_by"], "other");
}

TEST(ClassifierTest, LingerBlockEndedByTheClientsRstIsOther) {
  CaseBuilder b;
  b.Id("10").ClientKind("fast").Linger("csock", 20);
  Opening(b, 1.021);
  b.Close(1.0212, 3.0);
  b.C2s(2.9999, "R.", 1, 8193);  // the client gave up first
  b.ClientRead(0.0004, 2.9998, 8192, "limit");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["close_ended_by"], "other");
  EXPECT_EQ(Claims(out)["close_blocks"], true);
  EXPECT_EQ(Claims(out)["abort_on_close"], false);
}

// --- Windows: SO_LINGER {on, 20} aborts at the linger timeout. ---
TEST(ClassifierTest, RstAtLingerTimeoutIsAbortOnLingerTimeout) {
  CaseBuilder b;
  b.Id("09").Linger("csock", 20);
  Opening(b, 1.021);
  b.Close(1.0212, 21.0215);
  Probes(b, {1.3, 1.7, 2.5, 4.1, 7.3, 13.7}, 8192);
  b.S2c(21.0213, "R.", 8193, 1);
  b.C2s(40.0, ".", 1, 8193, 0, 4096);
  b.S2c(40.0001, "R", 8193, 0);
  b.ClientRead(0.0004, 40.0002, 8192, "error", "ECONNRESET");
  const nlohmann::json out = ClassifyCase(b.Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_EQ(c["close_ended_by"], "linger_timeout");
  EXPECT_EQ(c["abort_on_linger_timeout"], true);
  EXPECT_EQ(c["ewouldblock_on_linger_timeout"], false);
  // One RST, one cause: it is the linger timeout's, not an abort at close().
  EXPECT_EQ(c["abort_on_close"], false);
  EXPECT_EQ(c["idle_abort"], false);
  EXPECT_EQ(c["data_lost"], true);
  EXPECT_EQ(out["linger_timeout"]["unsent_discarded"], true);
  EXPECT_NEAR(out["linger_timeout"]["rst_t"].get<double>(), 20.0001, 1e-9);
}

// --- BSD: SO_LINGER {on, 20}: close() returns -1/EWOULDBLOCK at the timeout. ---
TEST(ClassifierTest, EwouldblockAtLingerTimeout) {
  CaseBuilder b;
  b.Id("09").Linger("csock", 20);
  Opening(b, 1.021);
  b.Close(1.0212, 21.0213, -1, "EWOULDBLOCK");
  Probes(b, {1.3, 1.7, 2.5, 4.1, 7.3, 13.7, 26.5}, 8192);
  DrainAndClose(b, 30.0, 8192, 160.0);
  b.ClientRead(0.0004, 160.0, kPayload, "eof");
  const nlohmann::json out = ClassifyCase(b.Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_EQ(c["close_ret"], -1);
  EXPECT_EQ(c["close_errno"], "EWOULDBLOCK");
  EXPECT_EQ(c["close_ended_by"], "linger_timeout");
  EXPECT_EQ(c["ewouldblock_on_linger_timeout"], true);
  EXPECT_EQ(c["abort_on_linger_timeout"], false);
  EXPECT_EQ(c["data_lost"], false);
}

// --- BSD lsock {on, 0}: close() blocks 120 s, the stack's own timer. ---
TEST(ClassifierTest, LongBlockWithoutLingerTimeIsKernelTimeout) {
  CaseBuilder b;
  b.Id("03").Linger("lsock", 0);
  Opening(b, 1.021);
  b.Close(1.0212, 121.0213, -1, "EWOULDBLOCK");
  Probes(b, {1.3, 1.7, 2.5, 4.1, 7.3, 13.7, 26.5, 52.1, 103.3}, 8192);
  DrainAndClose(b, 130.0, 8192, 160.0);
  b.ClientRead(0.0004, 160.0, kPayload, "eof");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["close_ended_by"], "kernel_timeout");
  EXPECT_EQ(Claims(out)["close_blocks"], true);
  EXPECT_EQ(Claims(out)["abort_on_close"], false);
  EXPECT_FALSE(Claims(out).contains("ewouldblock_on_linger_timeout"));  // linger 0
}

// --- Case 21 style: shutdown, EOF, then close(): BSD sends a RST, Linux nothing. ---
CaseBuilder ShutdownEofCase(bool rst_at_close) {
  CaseBuilder b;
  b.Id("21").Linger("csock", 0).Shutdown("wait_eof");
  Opening(b, 1.021);
  b.Server("shutdown", "csock", 1.0211, 1.0212, {{"args", {{"how", "wr"}}}});
  b.Server("read", "csock", 1.0213, 160.0002,
           {{"bytes", 0}, {"end", "eof"}, {"args", {{"limit_ms", 0}}}});
  b.Server("queues", "csock", 160.0003, 160.0003, {{"outq", 0}, {"inq", 0}});
  b.Close(160.0004, 160.0005);
  Probes(b, {1.3, 1.7}, 8192);
  DrainAndClose(b, 100.0, 8192, 160.0);
  if (rst_at_close) b.S2c(160.00045, "R.", kPayload + 2, 2);
  b.ClientRead(0.0004, 160.0, kPayload, "eof");
  return b;
}

TEST(ClassifierTest, RstAfterCleanClose) {
  const nlohmann::json out = ClassifyCase(ShutdownEofCase(true).Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_TRUE(out["complete"].get<bool>()) << out["reason"];
  EXPECT_EQ(c["rst_after_clean_close"], true);
  EXPECT_EQ(c["abort_on_close"], false);  // the FIN had left: not a RST instead of a FIN
  EXPECT_EQ(c["idle_abort"], false);
  EXPECT_EQ(c["eof_before_limit"], true);
  EXPECT_EQ(c["close_ended_by"], "immediate");
  EXPECT_EQ(c["data_lost"], false);
  EXPECT_FALSE(out["rst_after_clean_close"]["rst_t"].is_null());
  EXPECT_EQ(out["close"]["fin_acked_at_return"], true);  // long before close()
}

TEST(ClassifierTest, LinuxSendsNothingAfterCleanClose) {
  const nlohmann::json out = ClassifyCase(ShutdownEofCase(false).Build());
  EXPECT_EQ(Claims(out)["rst_after_clean_close"], false);
  EXPECT_EQ(Claims(out)["abort_on_close"], false);
  EXPECT_EQ(Claims(out)["idle_abort"], false);
}

TEST(ClassifierTest, RstAtCloseAfterTheFinLeftIsNotAbortOnClose) {
  // SO_LINGER {on, 0} after shutdown(): the FIN left and was ACKed, the EOF
  // wait ran out, close() resets the half-closed connection. A RST, but not
  // one sent instead of a FIN, and no data was discarded.
  CaseBuilder b;
  b.Id("23").ClientKind("fast").Linger("lsock", 0).Shutdown("wait_eof_limited", 10);
  b.Handshake(0.0);
  b.ClientPrologue(0.0003);
  b.ServerPrologue(1.021);
  b.Server("shutdown", "csock", 1.0211, 1.0212, {{"args", {{"how", "wr"}}}});
  b.Server("read", "csock", 1.0213, 11.0213,
           {{"bytes", 0}, {"end", "limit"}, {"args", {{"limit_ms", 10000}}}});
  b.Close(11.0214, 11.0215);
  b.SendData(1.0206, 0, kPayload, 8192, /*fin=*/true);
  const size_t rst = b.packet_count();
  b.S2c(11.02145, "R.", kPayload + 2, 1);
  b.ClientRead(0.0004, 11.03, kPayload, "error", "ECONNRESET");
  const nlohmann::json out = ClassifyCase(b.Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_EQ(c["abort_on_close"], false);
  EXPECT_EQ(c["idle_abort"], false);             // close() sent it: not the stack giving up
  EXPECT_EQ(c["rst_after_clean_close"], false);  // the client never sent its FIN
  EXPECT_EQ(out["abort_on_close"]["fin_before_rst"], true);
  EXPECT_EQ(out["abort_on_close"]["rst_packet"], rst);
  EXPECT_EQ(out["abort_on_close"]["unsent_discarded"], false);
  EXPECT_EQ(c["data_lost"], false);
}

// --- Idle client: the orphan is given up on while the client sleeps. ---
CaseBuilder IdleCase() {
  CaseBuilder b;
  b.Id("01").ClientKind("idle");
  Opening(b, 1.021);
  b.Server("queues", "csock", 1.0211, 1.0212, {{"outq", 12288}, {"inq", 0}});
  b.Close(1.0213, 1.0214);
  return b;
}

TEST(ClassifierTest, IdleAbortByRstWhileOrphaned) {
  CaseBuilder b = IdleCase();
  Probes(b, {1.3, 1.7, 2.5, 4.1, 7.3}, 8192);
  const size_t rst = b.packet_count();
  b.S2c(61.0, "R.", 8193, 1);  // FreeBSD-style: 60 s without traffic
  b.C2s(300.0, ".", 1, 8193, 0, 4096);
  b.S2c(300.0001, "R", 8193, 0);
  b.ClientRead(0.0004, 300.0002, 8192, "error", "ECONNRESET");
  const nlohmann::json out = ClassifyCase(b.Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_EQ(c["idle_abort"], true);
  EXPECT_EQ(c["abort_on_close"], false);
  EXPECT_EQ(c["rst_after_clean_close"], false);
  EXPECT_EQ(c["client_end"], "ECONNRESET");
  EXPECT_EQ(c["data_lost"], true);
  EXPECT_EQ(out["idle_abort"]["kind"], "rst");
  EXPECT_EQ(out["idle_abort"]["phase"], "after_close");
  EXPECT_EQ(out["idle_abort"]["rst_packet"], rst);
  EXPECT_TRUE(out["idle_abort"]["answered_packet"].is_null());
}

TEST(ClassifierTest, IdleAbortAsSilenceThenRstToTheClientsNextSegment) {
  CaseBuilder b = IdleCase();
  // Linux: probes back off; the orphan is dropped without a word.
  Probes(b, {1.3, 1.7, 2.5, 4.1, 7.3, 13.7, 26.5, 52.1, 103.3}, 8192);
  const size_t update = b.packet_count();
  b.C2s(300.0, ".", 1, 8193, 0, 4096);
  b.S2c(300.0001, "R", 8193, 0);
  b.ClientRead(0.0004, 300.0002, 8192, "error", "ECONNRESET");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["idle_abort"], true);
  EXPECT_EQ(out["idle_abort"]["kind"], "silence_then_rst");
  EXPECT_NEAR(out["idle_abort"]["gap_s"].get<double>(), 300.0001 - 103.3, 1e-6);
  EXPECT_EQ(out["idle_abort"]["answered_packet"], update);
}

TEST(ClassifierTest, IdleAbortDuringTheEofWaitIsBeforeClose) {
  CaseBuilder b;
  b.Id("16").ClientKind("idle").Shutdown("wait_eof_limited", 10);
  Opening(b, 1.021);
  b.Server("shutdown", "csock", 1.0211, 1.0212, {{"args", {{"how", "wr"}}}});
  b.Server("read", "csock", 1.0213, 11.0213,
           {{"bytes", 0},
            {"end", "error"},
            {"ret", -1},
            {"errno_name", "ECONNRESET"},
            {"args", {{"limit_ms", 10000}}}});
  b.Close(11.0214, 11.0215);
  Probes(b, {1.3, 1.7}, 8192);
  b.S2c(5.0, "R.", 8193, 1);
  b.ClientRead(0.0004, 300.0, 8192, "error", "ECONNRESET");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["idle_abort"], true);
  EXPECT_EQ(out["idle_abort"]["phase"], "before_close");
  EXPECT_EQ(Claims(out)["abort_on_close"], false);
  EXPECT_EQ(Claims(out)["eof_before_limit"], false);
  EXPECT_EQ(out["eof_wait"]["errno"], "ECONNRESET");
}

// --- csock_late: setsockopt(SO_LINGER) after shutdown(). ---
CaseBuilder LateCase(bool einval) {
  CaseBuilder b;
  b.Id("31").Linger("csock_late", 0).Shutdown("wait_eof_limited", 10);
  Opening(b, 1.021);
  b.Server("shutdown", "csock", 1.0211, 1.0212, {{"args", {{"how", "wr"}}}});
  nlohmann::json sso = {{"args", {{"option", "SO_LINGER"}, {"onoff", 1}, {"seconds", 0}}}};
  if (einval) {
    sso["ret"] = -1;
    sso["errno"] = 22;
    sso["errno_name"] = "EINVAL";
  }
  b.Server("setsockopt", "csock", 1.0213, 1.0214, sso);
  b.Server("read", "csock", 1.0215, 11.0216,
           {{"bytes", 0}, {"end", "limit"}, {"args", {{"limit_ms", 10000}}}});
  b.Server("queues", "csock", 11.0217, 11.0217, {{"outq", 12289}, {"inq", 0}});
  b.Close(11.0218, 11.0219);
  Probes(b, {1.3, 1.7, 2.5, 4.1, 7.3}, 8192);
  if (einval) {  // the linger setting never took: a normal close
    DrainAndClose(b, 30.0, 8192, 160.0);
    b.ClientRead(0.0004, 160.0, kPayload, "eof");
  } else {
    b.S2c(11.02185, "R.", 8193, 1);
    b.ClientRead(0.0004, 12.0, 8192, "error", "ECONNRESET");
  }
  return b;
}

TEST(ClassifierTest, LateSetsockoptEinval) {
  const nlohmann::json out = ClassifyCase(LateCase(true).Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_TRUE(out["complete"].get<bool>()) << out["reason"];
  EXPECT_EQ(c["late_setsockopt_errno"], "EINVAL");
  EXPECT_EQ(out["late_setsockopt"]["ret"], -1);
  EXPECT_EQ(c["abort_on_close"], false);
  EXPECT_EQ(c["eof_before_limit"], false);
  EXPECT_EQ(c["data_lost"], false);
}

TEST(ClassifierTest, LateSetsockoptSucceedsAndCloseAborts) {
  const nlohmann::json out = ClassifyCase(LateCase(false).Build());
  const nlohmann::json& c = Claims(out);
  ASSERT_TRUE(c.contains("late_setsockopt_errno"));
  EXPECT_TRUE(c["late_setsockopt_errno"].is_null());
  EXPECT_EQ(c["abort_on_close"], true);
  EXPECT_EQ(c["data_lost"], true);
}

TEST(ClassifierTest, LateSetsockoptClaimOnlyForCsockLate) {
  const nlohmann::json out = ClassifyCase(ShutdownEofCase(false).Build());
  EXPECT_FALSE(Claims(out).contains("late_setsockopt_errno"));
  EXPECT_FALSE(out.contains("late_setsockopt"));
}

// --- shutdown-10: the EOF wait runs to its limit, or EOF comes first. ---
TEST(ClassifierTest, EofWaitHitsTheLimit) {
  CaseBuilder b;
  b.Id("15").Shutdown("wait_eof_limited", 10);
  Opening(b, 1.021);
  b.Server("shutdown", "csock", 1.0211, 1.0212, {{"args", {{"how", "wr"}}}});
  b.Server("read", "csock", 1.0213, 11.0215,
           {{"bytes", 0}, {"end", "limit"}, {"args", {{"limit_ms", 10000}}}});
  b.Close(11.0216, 11.0217);
  DrainAndClose(b, 30.0, 8192, 160.0);
  b.ClientRead(0.0004, 160.0, kPayload, "eof");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["eof_before_limit"], false);
  EXPECT_EQ(out["eof_wait"]["end"], "limit");
  EXPECT_EQ(out["eof_wait"]["ran_to_limit"], true);
  EXPECT_NEAR(out["eof_wait"]["waited_s"].get<double>(), 10.0002, 1e-9);
}

TEST(ClassifierTest, EofWaitEndsWithEofBeforeTheLimit) {
  CaseBuilder b;
  b.Id("14").ClientKind("fast").Shutdown("wait_eof_limited", 10);
  b.Handshake(0.0);
  b.ClientPrologue(0.0003);
  b.ServerPrologue(1.021);
  b.Server("shutdown", "csock", 1.0211, 1.0212, {{"args", {{"how", "wr"}}}});
  b.Server("read", "csock", 1.0213, 1.06,
           {{"bytes", 0}, {"end", "eof"}, {"args", {{"limit_ms", 10000}}}});
  b.Close(1.0601, 1.0602);
  b.SendData(1.0206, 0, kPayload, 8192, /*fin=*/true);
  b.C2s(1.059, "F.", 1, kPayload + 2, 0, 65535);
  b.S2c(1.0591, ".", kPayload + 2, 2, 0);
  b.ClientRead(0.0004, 1.059, kPayload, "eof");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["eof_before_limit"], true);
  EXPECT_EQ(out["eof_wait"]["ran_to_limit"], false);
  EXPECT_EQ(Claims(out)["close_ended_by"], "immediate");
  EXPECT_EQ(Claims(out)["rst_after_clean_close"], false);
}

// --- The client got every byte, but not the right ones. ---
TEST(ClassifierTest, ClientVerificationMismatch) {
  CaseBuilder b;
  Opening(b, 1.021);
  b.Close(1.0213, 1.0214);
  DrainAndClose(b, 30.0, 8192, 160.0);
  b.ClientRead(0.0004, 160.0, kPayload, "eof", std::nullopt, /*verified=*/false, 4096);
  const nlohmann::json out = ClassifyCase(b.Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_EQ(c["client_bytes"], 4096);
  EXPECT_EQ(c["data_lost"], true);
  EXPECT_EQ(c["client_end"], "eof");
  EXPECT_EQ(out["client"]["first_mismatch"], 4096);
  EXPECT_EQ(out["client"]["bytes"], kPayload);
}

TEST(ClassifierTest, ClientReadLimitEndsWithLimit) {
  CaseBuilder b;
  Opening(b, 1.021);
  b.Close(1.0213, 1.0214);
  b.ClientRead(0.0004, 30.0, 8192, "limit");
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_EQ(Claims(out)["client_end"], "limit");
  EXPECT_EQ(Claims(out)["data_lost"], true);
}

// --- Cases that cannot be classified fully. ---
TEST(ClassifierTest, ErroredCaseWithoutCloseDecidesNothingItCannot) {
  CaseBuilder b;
  b.Failed("agent lost: client (no reply in 13 s)");
  Opening(b, 1.021);
  const nlohmann::json out = ClassifyCase(b.Build());
  EXPECT_FALSE(out["complete"].get<bool>());
  const std::string reason = out["reason"].get<std::string>();
  EXPECT_NE(reason.find("status error: agent lost"), std::string::npos) << reason;
  EXPECT_NE(reason.find("no close()"), std::string::npos) << reason;
  EXPECT_NE(reason.find("no client read"), std::string::npos) << reason;
  EXPECT_TRUE(Claims(out).empty()) << Claims(out).dump();
  EXPECT_FALSE(out.contains("close"));
}

TEST(ClassifierTest, ErroredCaseKeepsWhatThePacketsProve) {
  CaseBuilder b = AbortCase(-0.00005);
  nlohmann::json doc = b.Failed("agent lost: client").Build();
  doc["events"]["client"] = nlohmann::json::array();
  const nlohmann::json out = ClassifyCase(doc);
  EXPECT_FALSE(out["complete"].get<bool>());
  const nlohmann::json& c = Claims(out);
  EXPECT_EQ(c["abort_on_close"], true);
  EXPECT_EQ(c["close_ret"], 0);
  EXPECT_EQ(c["idle_abort"], false);  // the first RST is close()'s
  EXPECT_FALSE(c.contains("client_end"));
  EXPECT_FALSE(c.contains("data_lost"));
}

TEST(ClassifierTest, CaptureCutShortLeavesAbsenceUndecided) {
  CaseBuilder b;
  b.Linger("csock", 0).Failed("coordinator interrupted");
  Opening(b, 1.021);
  b.Close(1.0213, 1.0214);  // the last packet is before close(): nothing after it was seen
  const nlohmann::json out = ClassifyCase(b.Build());
  const nlohmann::json& c = Claims(out);
  EXPECT_FALSE(c.contains("abort_on_close"));
  EXPECT_FALSE(c.contains("idle_abort"));
  EXPECT_FALSE(c.contains("rst_after_clean_close"));
  EXPECT_EQ(c["close_ended_by"], "immediate");  // from the event alone
}

TEST(ClassifierTest, DroppedPacketsLeaveAbsenceUndecided) {
  nlohmann::json doc = ShutdownEofCase(false).Dropped(3).Build();
  const nlohmann::json out = ClassifyCase(doc);
  EXPECT_TRUE(out["complete"].get<bool>());
  EXPECT_FALSE(Claims(out).contains("abort_on_close"));
  EXPECT_FALSE(Claims(out).contains("rst_after_clean_close"));
  EXPECT_FALSE(Claims(out).contains("idle_abort"));
  EXPECT_EQ(Claims(out)["eof_before_limit"], true);
  EXPECT_NE(out["notes"].dump().find("dropped 3"), std::string::npos);
}

TEST(ClassifierTest, MissingEofWaitReadMakesShutdownCaseIncomplete) {
  nlohmann::json doc = ShutdownEofCase(false).Build();
  auto& server = doc["events"]["server"];
  for (auto it = server.begin(); it != server.end(); ++it) {
    if ((*it)["step"] == "read") {
      server.erase(it);
      break;
    }
  }
  const nlohmann::json out = ClassifyCase(doc);
  EXPECT_FALSE(out["complete"].get<bool>());
  EXPECT_FALSE(Claims(out).contains("eof_before_limit"));
  EXPECT_EQ(Claims(out)["rst_after_clean_close"], false);
}

TEST(ClassifierTest, GarbageInputIsIncompleteNotACrash) {
  for (const nlohmann::json& doc :
       {nlohmann::json(nullptr), nlohmann::json::array({1, 2}), nlohmann::json("case"),
        nlohmann::json({{"status", "completed"}, {"events", 3}, {"packets", {{{"t", "x"}}}}})}) {
    const nlohmann::json out = ClassifyCase(doc);
    EXPECT_FALSE(out["complete"].get<bool>()) << doc.dump();
    EXPECT_TRUE(out["claims"].is_object());
  }
}

// lwIP's close() of a listening socket with SO_LINGER {on,0} (case 03):
// the agent, which is the stack, exited in it. The fault's event never
// returned: nothing may be read from it, the claims that need the rest of
// the case are absent, and stack_fault says what happened.
json StackFaultCase(const std::string& kind) {
  json c = CaseBuilder()
               .Id("03")
               .Linger("lsock", 0)
               .ClientPrologue(0.05)
               .Server("socket", "lsock", 0.001, 0.001, {{"ret", 3}})
               .Handshake(0.04)
               .Build();
  c["events"]["server"].push_back(
      {{"step", "close"},
       {"args", {{"handle", "lsock"}}},
       {"handle", "lsock"},
       {"ret", nullptr},
       {"errno", nullptr},
       {"errno_name", nullptr},
       {"fault", "stack_" + kind},
       {"detail",
        "the server agent, which runs the stack, ended during close() of lsock: "
        "killed by SIGABRT"},
       {"t_start", 0.06},
       {"t_end", kind == "exited" ? json(0.061) : json(nullptr)}});
  c["stack_fault"] = {{"host", "server"}, {"op", "close"},   {"handle", "lsock"}, {"kind", kind},
                      {"detail", "x"},    {"t_start", 0.06}, {"t", 0.061}};
  return c;
}

TEST(ClassifierTest, AStackFaultIsAClaimAndTheReasonTheRestIsNotObserved) {
  for (const std::string kind : {"exited", "hung"}) {
    SCOPED_TRACE(kind);
    const json out = ClassifyCase(StackFaultCase(kind));
    EXPECT_EQ(out["claims"]["stack_fault"], kind + "_in_close") << out.dump(2);
    EXPECT_FALSE(out["complete"].get<bool>());
    EXPECT_EQ(out["reason"].get<std::string>().rfind("stack fault (" + kind + "_in_close): x", 0),
              0u)
        << out["reason"];
    // Nothing invented from the call that never returned, nor from the rest
    // of the case that never ran.
    for (const char* claim : {"close_blocks", "close_blocked_s", "close_ret", "close_errno",
                              "close_ended_by", "abort_on_close", "client_end", "client_bytes",
                              "data_lost", "rst_after_clean_close", "idle_abort"})
      EXPECT_FALSE(out["claims"].contains(claim)) << claim << ": " << out["claims"].dump();
    EXPECT_FALSE(out.contains("close"));
  }
}

TEST(ClassifierTest, StackFaultIsClaimedOnlyWhenTheStackFailed) {
  json c = CaseBuilder().ClientPrologue(0.05).Build();
  EXPECT_FALSE(ClassifyCase(c)["claims"].contains("stack_fault"));
  // null: an agent was the stack and it did not fail.
  c["stack_fault"] = nullptr;
  EXPECT_FALSE(ClassifyCase(c)["claims"].contains("stack_fault"));
  c["stack_fault"] = {{"kind", "hung"}, {"op", "close"}};
  EXPECT_EQ(ClassifyCase(c)["claims"]["stack_fault"], "hung_in_close");
  // A malformed one invents nothing.
  c["stack_fault"] = {{"kind", "melted"}, {"op", "close"}};
  EXPECT_FALSE(ClassifyCase(c)["claims"].contains("stack_fault"));
  c["stack_fault"] = 7;
  EXPECT_FALSE(ClassifyCase(c)["claims"].contains("stack_fault"));
}

}  // namespace
}  // namespace lingerlab

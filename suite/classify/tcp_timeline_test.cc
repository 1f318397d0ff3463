#include "suite/classify/tcp_timeline.h"

#include <gtest/gtest.h>

#include "suite/classify/case_view.h"
#include "suite/classify/test_case_builder.h"

namespace lingerlab::classify {
namespace {

using testing::CaseBuilder;

std::vector<CasePacket> Packets(const CaseBuilder& b) { return ParseCase(b.Build()).packets; }

TEST(TcpTimelineTest, RetransmittedFinCountsOnceAtItsFirstTransmission) {
  CaseBuilder b;
  b.Handshake(0);
  b.S2c(1.0, "FP.", 1, 1, 100);  // 3: FIN at seq 101
  b.S2c(1.2, "FP.", 1, 1, 100);  // 4: retransmission
  b.S2c(1.6, "F.", 101, 1, 0);   // 5: retransmission of the bare FIN
  b.C2s(1.61, ".", 1, 102, 0);   // 6: covers it
  TcpTimeline tl = BuildTimeline(Packets(b));
  ASSERT_TRUE(tl.server_fin.has_value());
  EXPECT_EQ(tl.server_fin->packet, 3u);
  EXPECT_EQ(tl.server_fin->fin_seq, 101);
  EXPECT_EQ(tl.server_fin_ack, 6u);
  EXPECT_FALSE(tl.client_fin.has_value());
}

TEST(TcpTimelineTest, AckOfTheDataBeforeTheFinDoesNotCoverTheFin) {
  CaseBuilder b;
  b.Handshake(0);
  b.S2c(1.0, "FP.", 1, 1, 100);
  b.C2s(1.01, ".", 1, 101, 0);  // acks the data, not the FIN
  TcpTimeline tl = BuildTimeline(Packets(b));
  ASSERT_TRUE(tl.server_fin.has_value());
  EXPECT_FALSE(tl.server_fin_ack.has_value());
}

TEST(TcpTimelineTest, ProbesAndRetransmissionsDoNotAddSentBytes) {
  CaseBuilder b;
  b.Handshake(0);                   // 0..2
  b.S2c(1.0, "P.", 1, 1, 4096);     // 3
  b.C2s(1.01, ".", 1, 4097, 0, 0);  // 4: zero window
  b.S2c(1.3, ".", 4096, 1, 0);      // 5: zero-window probe, seq snd.una - 1
  b.C2s(1.31, ".", 1, 4097, 0, 0);  // 6: duplicate ACK
  b.S2c(1.5, "P.", 1, 1, 4096);     // 7: retransmission
  const auto pk = Packets(b);
  EXPECT_EQ(ServerBytesSentBefore(pk, pk.size()), 4096);
  EXPECT_EQ(ServerBytesAckedBefore(pk, pk.size(), 20480), 4096);
  EXPECT_EQ(ServerBytesAckedBefore(pk, 4, 20480), 0);  // before the first ACK of data
  EXPECT_FALSE(BuildTimeline(pk).server_fin.has_value());
}

TEST(TcpTimelineTest, AckedBytesAreCappedAtWhatWasWritten) {
  CaseBuilder b;
  b.Handshake(0);
  b.S2c(1.0, "FP.", 1, 1, 100);
  b.C2s(1.01, ".", 1, 102, 0);  // covers the FIN: one more than the data
  const auto pk = Packets(b);
  EXPECT_EQ(ServerBytesAckedBefore(pk, pk.size(), 100), 100);
}

TEST(TcpTimelineTest, FirstRstOfEachSideAndRstWithFinIsNoFin) {
  CaseBuilder b;
  b.Handshake(0);
  b.C2s(1.0, "R.", 1, 1);   // 3
  b.S2c(1.1, "FR.", 1, 1);  // 4: a RST carrying FIN closes nothing gracefully
  b.S2c(1.2, "R", 1, 0);    // 5
  TcpTimeline tl = BuildTimeline(Packets(b));
  EXPECT_EQ(tl.client_rst, 3u);
  EXPECT_EQ(tl.server_rst, 4u);
  EXPECT_FALSE(tl.server_fin.has_value());
}

TEST(TcpTimelineTest, LastBeforeFindsThePrecedingPacketOfADirection) {
  CaseBuilder b;
  b.Handshake(0);  // c2s, s2c, c2s
  const auto pk = Packets(b);
  EXPECT_EQ(LastBefore(pk, 3, /*s2c=*/true), 1u);
  EXPECT_EQ(LastBefore(pk, 3, /*s2c=*/false), 2u);
  EXPECT_FALSE(LastBefore(pk, 1, /*s2c=*/true).has_value());
}

}  // namespace
}  // namespace lingerlab::classify

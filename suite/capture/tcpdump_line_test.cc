#include "suite/capture/tcpdump_line.h"

#include <gtest/gtest.h>
#include <pcap/dlt.h>
#include <stdlib.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "suite/capture/pcap_file.h"
#include "suite/capture/test_frames.h"

namespace lingerlab {
namespace {

TcpOption Mss(uint16_t v) { return {2, {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}}; }
TcpOption Nop() { return {1, {}}; }
TcpOption Wscale(uint8_t v) { return {3, {v}}; }
TcpOption SackOk() { return {4, {}}; }
void Put32(std::vector<uint8_t>& d, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) d.push_back(static_cast<uint8_t>(v >> s));
}
TcpOption Ts(uint32_t val, uint32_t ecr) {
  TcpOption o{8, {}};
  Put32(o.data, val);
  Put32(o.data, ecr);
  return o;
}
TcpOption Sack(uint32_t left, uint32_t right) {
  TcpOption o{5, {}};
  Put32(o.data, left);
  Put32(o.data, right);
  return o;
}

constexpr uint32_t kClientIsn = 3791442806u, kServerIsn = 2793330205u;

TcpPacket FromClient(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint32_t len = 0) {
  TcpPacket p;
  p.src = "198.18.0.2";
  p.dst = "198.18.0.1";
  p.src_port = 48878;
  p.dst_port = 5001;
  p.flags = flags;
  p.seq = seq;
  p.ack = ack;
  p.window = win;
  p.payload_len = len;
  return p;
}
TcpPacket FromServer(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint32_t len = 0) {
  TcpPacket p = FromClient(flags, seq, ack, win, len);
  std::swap(p.src, p.dst);
  std::swap(p.src_port, p.dst_port);
  return p;
}

// The lines tcpdump 4.99 prints for a Linux handshake, data with
// timestamps, a SACK, a FIN and a bare RST: SYNs and the bare RST absolute,
// everything ACK-flagged after the SYN-ACK relative; the raw window.
TEST(TcpdumpLineTest, AConnectionReadsAsTcpdumpPrintsIt) {
  TcpdumpRelative rel;
  TcpPacket syn = FromClient(kTcpSyn, kClientIsn, 0, 7300);
  syn.options = {Mss(1460), SackOk(), Ts(122563152, 0), Nop(), Wscale(0)};
  EXPECT_EQ(TcpdumpLine(syn, rel),
            "IP 198.18.0.2.48878 > 198.18.0.1.5001: Flags [S], seq 3791442806, win 7300, "
            "options [mss 1460,sackOK,TS val 122563152 ecr 0,nop,wscale 0], length 0");

  TcpPacket synack = FromServer(kTcpSyn | kTcpAck, kServerIsn, kClientIsn + 1, 65160);
  synack.options = {Mss(1460), SackOk(), Ts(2889144010u, 122563152), Nop(), Wscale(10)};
  EXPECT_EQ(TcpdumpLine(synack, rel),
            "IP 198.18.0.1.5001 > 198.18.0.2.48878: Flags [S.], seq 2793330205, ack 3791442807, "
            "win 65160, options [mss 1460,sackOK,TS val 2889144010 ecr 122563152,nop,wscale 10], "
            "length 0");

  TcpPacket ack = FromClient(kTcpAck, kClientIsn + 1, kServerIsn + 1, 7300);
  ack.options = {Nop(), Nop(), Ts(122563152, 2889144010u)};
  EXPECT_EQ(TcpdumpLine(ack, rel),
            "IP 198.18.0.2.48878 > 198.18.0.1.5001: Flags [.], ack 1, win 7300, "
            "options [nop,nop,TS val 122563152 ecr 2889144010], length 0");

  TcpPacket data = FromServer(kTcpPsh | kTcpAck, kServerIsn + 1449, kClientIsn + 1, 64, 1448);
  data.options = {Nop(), Nop(), Ts(1, 2)};
  EXPECT_EQ(TcpdumpLine(data, rel),
            "IP 198.18.0.1.5001 > 198.18.0.2.48878: Flags [P.], seq 1449:2897, ack 1, win 64, "
            "options [nop,nop,TS val 1 ecr 2], length 1448");

  TcpPacket sack = FromClient(kTcpAck, kClientIsn + 1, kServerIsn + 1, 7300);
  sack.options = {Nop(), Nop(), Sack(kServerIsn + 1449, kServerIsn + 2897)};
  EXPECT_EQ(TcpdumpLine(sack, rel),
            "IP 198.18.0.2.48878 > 198.18.0.1.5001: Flags [.], ack 1, win 7300, "
            "options [nop,nop,sack 1 {1449:2897}], length 0");

  const TcpPacket fin = FromServer(kTcpFin | kTcpAck, kServerIsn + 2897, kClientIsn + 1, 64);
  EXPECT_EQ(TcpdumpLine(fin, rel),
            "IP 198.18.0.1.5001 > 198.18.0.2.48878: Flags [F.], seq 2897, ack 1, win 64, "
            "length 0");

  const TcpPacket rst = FromServer(kTcpRst, kServerIsn + 2898, 0, 0);
  EXPECT_EQ(TcpdumpLine(rst, rel),
            "IP 198.18.0.1.5001 > 198.18.0.2.48878: Flags [R], seq 2793333103, win 0, length 0");
  const TcpPacket rst_ack = FromServer(kTcpRst | kTcpAck, kServerIsn + 2898, kClientIsn + 1, 0);
  EXPECT_EQ(TcpdumpLine(rst_ack, rel),
            "IP 198.18.0.1.5001 > 198.18.0.2.48878: Flags [R.], seq 2898, ack 1, win 0, length 0");
}

// Without the handshake, the first ACK-flagged packet sets the bases and is
// printed absolute (as tcpdump does mid-connection).
TEST(TcpdumpLineTest, MidConnectionTheFirstAckedPacketIsAbsolute) {
  TcpdumpRelative rel;
  const TcpPacket first = FromServer(kTcpAck, 5000, 9000, 64, 100);
  EXPECT_NE(TcpdumpLine(first, rel).find("seq 5000:5100, ack 9000,"), std::string::npos);
  const TcpPacket next = FromServer(kTcpAck, 5100, 9000, 64, 100);
  EXPECT_NE(TcpdumpLine(next, rel).find("seq 100:200, ack 1,"), std::string::npos);
}

TEST(TcpdumpLineTest, FlagsIpv6UrgentAndOddOptions) {
  EXPECT_EQ(TcpdumpFlags(0), "none");
  EXPECT_EQ(TcpdumpFlags(kTcpSyn | kTcpAck | kTcpEce), "S.E");  // tcpdump's order, not FlagsText's
  TcpdumpRelative rel;
  TcpPacket p = FromClient(kTcpSyn | kTcpUrg, 1, 0, 10);
  p.src = "fd00::2";
  p.dst = "fd00::1";
  p.urgent = 7;
  p.options = {{0x22, {0xab, 0x01}}, {0, {}}};
  p.options_malformed = false;
  EXPECT_EQ(TcpdumpLine(p, rel),
            "IP6 fd00::2.48878 > fd00::1.5001: Flags [SU], seq 1, win 10, urg 7, "
            "options [tfo ab01,eol], length 0");
  p.options.clear();
  p.options_malformed = true;
  EXPECT_NE(TcpdumpLine(p, rel).find("options [[bad opt]]"), std::string::npos);
}

TEST(TcpdumpLineTest, TimeIsLocalClockTruncatedToMicroseconds) {
  const char* old = getenv("TZ");
  const std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(TcpdumpTime(1795267540416984841), "13:25:40.416984");
  EXPECT_EQ(TcpdumpTime(43200LL * 1000000000 + 999), "12:00:00.000000");
  if (old)
    setenv("TZ", saved.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

// ParseFrame keeps every option in order, for the line above.
TEST(TcpdumpLineTest, ParseFrameKeepsTheOptionList) {
  using namespace test_frames;
  TcpSpec s;
  s.mss = 1460;
  s.timestamps = true;
  s.wscale = 7;
  const Frame f = Ipv4("198.18.0.18", "198.18.0.17", Tcp(s));
  auto p = ParseFrame(DLT_RAW, f.data(), f.size(), 0);
  ASSERT_TRUE(p);
  TcpdumpRelative rel;
  EXPECT_EQ(TcpdumpOptions(*p, 0), "mss 1460,nop,nop,TS val 123456 ecr 0,nop,wscale 7");
  EXPECT_FALSE(p->options_malformed);
}

// A reference run's pcap, read as `show` reads it, against tshark's own
// reading: every TCP frame, with tshark's frame number, source port, raw
// window and payload length.
TEST(TcpdumpLineTest, FrameNumbersAndFieldsMatchTshark) {
  const std::string pcap =
      std::string(LINGERLAB_SOURCE_DIR) +
      "/results/reference-scale0.05/pcaps/06__slow-client__linger-lsock-20.pcap";
  const std::string cmd = "tshark -r '" + pcap +
                          "' -T fields -e frame.number -e tcp.srcport -e tcp.window_size_value "
                          "-e tcp.len 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, n);
  if (out.empty()) GTEST_SKIP() << "tshark not available: " << cmd;

  auto packets = ReadPcapFile(pcap);
  ASSERT_TRUE(packets.ok()) << packets.error().message;
  std::istringstream lines(out);
  size_t i = 0;
  int64_t frame = 0;
  int port = 0, win = 0, len = 0;
  while (lines >> frame >> port >> win >> len) {
    ASSERT_LT(i, packets->size()) << "tshark has more TCP frames";
    const TcpPacket& p = (*packets)[i++];
    EXPECT_EQ(p.frame, frame);
    EXPECT_EQ(p.src_port, port) << "frame " << frame;
    EXPECT_EQ(p.window, win) << "frame " << frame;
    EXPECT_EQ(static_cast<int>(p.payload_len), len) << "frame " << frame;
  }
  EXPECT_EQ(i, packets->size());
  EXPECT_GT(i, 10u);
}

}  // namespace
}  // namespace lingerlab

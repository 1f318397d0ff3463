#include "suite/capture/packet.h"

#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include <gtest/gtest.h>

#include "suite/capture/test_frames.h"

namespace lingerlab {
namespace {

using test_frames::BsdLoopback;
using test_frames::Ethernet;
using test_frames::Frame;
using test_frames::Ipv4;
using test_frames::Ipv6;
using test_frames::Sll;
using test_frames::Sll2;
using test_frames::Tcp;
using test_frames::TcpSpec;
using test_frames::Udp;

constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kIpv6 = 0x86DD;
constexpr int64_t kT = 1'763'726'400'123'456'789;

std::optional<TcpPacket> Parse(int linktype, const Frame& f) {
  return ParseFrame(linktype, f.data(), f.size(), kT);
}

// A client SYN as Linux sends it: MSS, timestamps, window scale.
TcpSpec LinuxSyn() {
  TcpSpec s;
  s.sport = 43210;
  s.dport = 5001;
  s.seq = 0xFFFFFFF0u;
  s.flags = kTcpSyn;
  s.window = 64240;
  s.mss = 1460;
  s.timestamps = true;
  s.wscale = 7;
  return s;
}

TEST(FlagsTextTest, CommonCombinations) {
  EXPECT_EQ(FlagsText(kTcpSyn), "S");
  EXPECT_EQ(FlagsText(kTcpSyn | kTcpAck), "S.");
  EXPECT_EQ(FlagsText(kTcpAck), ".");
  EXPECT_EQ(FlagsText(kTcpPsh | kTcpAck), "P.");
  EXPECT_EQ(FlagsText(kTcpFin | kTcpAck), "F.");
  EXPECT_EQ(FlagsText(kTcpFin | kTcpPsh | kTcpAck), "FP.");
  EXPECT_EQ(FlagsText(kTcpRst), "R");
  EXPECT_EQ(FlagsText(kTcpRst | kTcpAck), "R.");
  EXPECT_EQ(FlagsText(kTcpFin), "F");
  EXPECT_EQ(FlagsText(kTcpSyn | kTcpEce | kTcpCwr), "SEW");  // ECN-setup SYN
  EXPECT_EQ(FlagsText(kTcpSyn | kTcpEce | kTcpAck), "SE.");  // ECN-setup SYN-ACK
  EXPECT_EQ(FlagsText(kTcpUrg | kTcpAck), "U.");
  EXPECT_EQ(FlagsText(0xFF), "FSRPUEW.");
  EXPECT_EQ(FlagsText(0), "");
}

TEST(ParseFrameTest, EthernetIpv4SynWithOptions) {
  const Frame f = Ethernet(Ipv4("198.18.0.18", "198.18.0.17", Tcp(LinuxSyn())), kIpv4);
  auto p = Parse(DLT_EN10MB, f);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->t_ns, kT);
  EXPECT_EQ(p->src, "198.18.0.18");
  EXPECT_EQ(p->dst, "198.18.0.17");
  EXPECT_EQ(p->src_port, 43210);
  EXPECT_EQ(p->dst_port, 5001);
  EXPECT_EQ(p->flags, kTcpSyn);
  EXPECT_EQ(p->seq, 0xFFFFFFF0u);
  EXPECT_EQ(p->ack, 0u);
  EXPECT_EQ(p->window, 64240);
  EXPECT_EQ(p->payload_len, 0u);
  EXPECT_EQ(p->mss, 1460);
  EXPECT_EQ(p->wscale, 7);
}

TEST(ParseFrameTest, DataSegmentWithoutOptions) {
  TcpSpec s;
  s.flags = kTcpPsh | kTcpAck;
  s.seq = 1;
  s.ack = 0x80000001u;
  s.window = 502;
  s.payload = 512;
  auto p = Parse(DLT_EN10MB, Ethernet(Ipv4("10.0.0.1", "10.0.0.2", Tcp(s)), kIpv4));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->flags, kTcpPsh | kTcpAck);
  EXPECT_EQ(p->ack, 0x80000001u);
  EXPECT_EQ(p->window, 502);
  EXPECT_EQ(p->payload_len, 512u);
  EXPECT_FALSE(p->mss.has_value());
  EXPECT_FALSE(p->wscale.has_value());
}

TEST(ParseFrameTest, EthernetPaddingIsNotPayload) {
  TcpSpec s;
  s.flags = kTcpAck;
  Frame f = Ethernet(Ipv4("10.0.0.1", "10.0.0.2", Tcp(s)), kIpv4);
  ASSERT_EQ(f.size(), 54u);
  f.resize(60, 0);  // minimum Ethernet frame
  auto p = Parse(DLT_EN10MB, f);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->payload_len, 0u);
}

TEST(ParseFrameTest, PayloadLengthComesFromIpHeaderWhenSnapped) {
  TcpSpec s;
  s.flags = kTcpAck;
  s.payload = 1448;
  const Frame f = Ethernet(Ipv4("10.0.0.1", "10.0.0.2", Tcp(s)), kIpv4);
  auto p = ParseFrame(DLT_EN10MB, f.data(), 54, kT);  // headers only, like snaplen
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->payload_len, 1448u);
}

TEST(ParseFrameTest, BigTcpZeroLengthUsesWireLength) {
  TcpSpec s;
  s.flags = kTcpAck;
  Frame f = Ethernet(Ipv4("10.0.0.1", "10.0.0.2", Tcp(s)), kIpv4);
  f[14 + 2] = 0;  // IPv4 total length 0: a GSO packet over 64 KiB
  f[14 + 3] = 0;
  auto p = ParseFrame(DLT_EN10MB, f.data(), f.size(), kT, 14 + 20 + 20 + 100000);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->payload_len, 100000u);
}

TEST(ParseFrameTest, VlanTags) {
  const Frame ip = Ipv4("10.0.0.1", "10.0.0.2", Tcp(LinuxSyn()));
  auto one = Parse(DLT_EN10MB, Ethernet(ip, kIpv4, {0x8100}));
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->src, "10.0.0.1");
  EXPECT_EQ(one->mss, 1460);
  auto qinq = Parse(DLT_EN10MB, Ethernet(ip, kIpv4, {0x88A8, 0x8100}));
  ASSERT_TRUE(qinq.has_value());
  EXPECT_EQ(qinq->dst, "10.0.0.2");
  EXPECT_EQ(qinq->wscale, 7);
}

TEST(ParseFrameTest, Ipv6) {
  TcpSpec s = LinuxSyn();
  s.flags = kTcpSyn | kTcpAck;
  s.ack = 77;
  auto p = Parse(DLT_EN10MB, Ethernet(Ipv6("fd00::1", "fd00:0:0::2", Tcp(s)), kIpv6));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->src, "fd00::1");
  EXPECT_EQ(p->dst, "fd00::2");
  EXPECT_EQ(p->flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(p->ack, 77u);
  EXPECT_EQ(p->mss, 1460);
}

// A case's capture filter as the case runner builds it ("tcp and host S and
// host C and port P") with the --ip 6 lab's addresses: libpcap compiles it
// for IPv6 and it keeps exactly that connection's frames, which then parse
// with the same canonical address text the lab gave.
TEST(ParseFrameTest, CaseFilterKeepsTheIpv6LabsConnection) {
  const std::string server = "fd00:198:18:3::1", client = "fd00:198:18:3::2";
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(pcap_open_dead(DLT_EN10MB, 256), pcap_close);
  ASSERT_TRUE(dead);
  bpf_program prog{};
  const std::string filter = "tcp and host " + server + " and host " + client + " and port 5001";
  ASSERT_EQ(pcap_compile(dead.get(), &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN), 0)
      << pcap_geterr(dead.get());
  auto passes = [&prog](const Frame& f) {
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
    return pcap_offline_filter(&prog, &h, f.data()) != 0;
  };
  const Frame syn = Ethernet(Ipv6(client, server, Tcp(LinuxSyn())), kIpv6);
  EXPECT_TRUE(passes(syn));
  EXPECT_FALSE(passes(Ethernet(Ipv6(client, "fd00:198:18:4::1", Tcp(LinuxSyn())), kIpv6)));
  EXPECT_FALSE(passes(Ethernet(Ipv4("198.18.0.14", "198.18.0.13", Tcp(LinuxSyn())), kIpv4)));
  EXPECT_FALSE(passes(Ethernet(Ipv6(client, server, Udp(43210, 5001, 8), 17), kIpv6)));
  TcpSpec other_port = LinuxSyn();
  other_port.dport = 5002;
  EXPECT_FALSE(passes(Ethernet(Ipv6(client, server, Tcp(other_port)), kIpv6)));
  pcap_freecode(&prog);
  auto p = Parse(DLT_EN10MB, syn);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->src, client);
  EXPECT_EQ(p->dst, server);
  EXPECT_EQ(p->dst_port, 5001);
}

// Hop-by-hop options header: next header TCP, length 0 (8 bytes), PadN.
const Frame kHopByHop = {6, 0, 1, 4, 0, 0, 0, 0};

TEST(ParseFrameTest, Ipv6ExtensionHeader) {
  TcpSpec s;
  s.flags = kTcpAck | kTcpPsh;
  s.payload = 10;
  const Frame f = Ethernet(Ipv6("2001:db8::a", "2001:db8::b", Tcp(s), 0, kHopByHop), kIpv6);
  auto p = Parse(DLT_EN10MB, f);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->src_port, 40000);
  EXPECT_EQ(p->payload_len, 10u);  // the extension header is not payload
}

TEST(ParseFrameTest, Ipv6Fragments) {
  TcpSpec s;
  s.flags = kTcpAck;
  s.payload = 8;
  // Fragment header: next header TCP, reserved, offset/flags, id.
  const Frame first = {6, 0, 0x00, 0x01, 0, 0, 0, 1};   // offset 0, M set
  const Frame second = {6, 0, 0x00, 0xB8, 0, 0, 0, 1};  // offset 23 (x8 bytes)
  EXPECT_TRUE(Parse(DLT_RAW, Ipv6("fd00::1", "fd00::2", Tcp(s), 44, first)).has_value());
  EXPECT_FALSE(Parse(DLT_RAW, Ipv6("fd00::1", "fd00::2", Tcp(s), 44, second)).has_value());
}

TEST(ParseFrameTest, Ipv4Fragments) {
  TcpSpec s;
  s.flags = kTcpAck;
  s.payload = 100;
  const Frame tcp = Tcp(s);
  // First fragment (MF, offset 0): the TCP header is there.
  EXPECT_TRUE(Parse(DLT_RAW, Ipv4("10.0.0.1", "10.0.0.2", tcp, 6, 0x2000)).has_value());
  // Later fragments: what looks like a TCP header is payload.
  EXPECT_FALSE(Parse(DLT_RAW, Ipv4("10.0.0.1", "10.0.0.2", tcp, 6, 0x2000 | 23)).has_value());
  EXPECT_FALSE(Parse(DLT_RAW, Ipv4("10.0.0.1", "10.0.0.2", tcp, 6, 0x0001)).has_value());
}

TEST(ParseFrameTest, NonTcpIsNothing) {
  EXPECT_FALSE(
      Parse(DLT_EN10MB, Ethernet(Ipv4("10.0.0.1", "10.0.0.2", Udp(53, 53, 40), 17), kIpv4)));
  EXPECT_FALSE(Parse(DLT_EN10MB, Ethernet(Ipv6("fd00::1", "fd00::2", Udp(53, 53, 40), 17), kIpv6)));
  Frame arp = Ethernet(Frame(28, 0), 0x0806);
  EXPECT_FALSE(Parse(DLT_EN10MB, arp));
  // An ESP-protected IPv6 packet cannot be looked into.
  EXPECT_FALSE(Parse(DLT_RAW, Ipv6("fd00::1", "fd00::2", Frame(40, 0), 50)));
}

TEST(ParseFrameTest, OtherLinkTypes) {
  const Frame v4 = Ipv4("127.0.0.1", "127.0.0.2", Tcp(LinuxSyn()));
  const Frame v6 = Ipv6("::1", "::2", Tcp(LinuxSyn()));
  struct Case {
    const char* name;
    int linktype;
    Frame frame;
    const char* src;
  } cases[] = {
      {"sll v4", DLT_LINUX_SLL, Sll(v4, kIpv4), "127.0.0.1"},
      {"sll v6", DLT_LINUX_SLL, Sll(v6, kIpv6), "::1"},
      {"sll vlan", DLT_LINUX_SLL, Sll(Frame{0, 100, 0x08, 0x00}, 0x8100), nullptr},
      {"sll2 v4", DLT_LINUX_SLL2, Sll2(v4, kIpv4), "127.0.0.1"},
      {"sll2 v6", DLT_LINUX_SLL2, Sll2(v6, kIpv6), "::1"},
      {"raw v4", DLT_RAW, v4, "127.0.0.1"},
      {"raw v6", DLT_RAW, v6, "::1"},
      {"linktype_raw v4", 101, v4, "127.0.0.1"},
      {"ipv4", DLT_IPV4, v4, "127.0.0.1"},
      {"ipv6", DLT_IPV6, v6, "::1"},
      {"ipv4 given v6", DLT_IPV4, v6, nullptr},
      {"null le v4", DLT_NULL, BsdLoopback(v4, 2, true), "127.0.0.1"},
      {"null be v4", DLT_NULL, BsdLoopback(v4, 2, false), "127.0.0.1"},
      {"null linux v6", DLT_NULL, BsdLoopback(v6, 10, true), "::1"},
      {"null darwin v6", DLT_NULL, BsdLoopback(v6, 30, true), "::1"},
      {"null freebsd v6", DLT_NULL, BsdLoopback(v6, 28, false), "::1"},
      {"null unknown family", DLT_NULL, BsdLoopback(v4, 7, true), nullptr},
      {"loop v4", DLT_LOOP, BsdLoopback(v4, 2, false), "127.0.0.1"},
      {"loop openbsd v6", DLT_LOOP, BsdLoopback(v6, 24, false), "::1"},
      {"unknown linktype", 147, v4, nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = Parse(c.linktype, c.frame);
    if (c.src == nullptr) {
      EXPECT_FALSE(p.has_value());
      continue;
    }
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->src, c.src);
    EXPECT_EQ(p->flags, kTcpSyn);
    EXPECT_EQ(p->wscale, 7);
    EXPECT_TRUE(LinktypeSupported(c.linktype));
  }
  EXPECT_FALSE(LinktypeSupported(147));
}

// Every prefix of a valid frame: no crash or over-read (each prefix is its
// own exactly sized heap buffer, so ASan would see one), and a packet exactly
// when the whole TCP header including options is present.
void ExpectPrefixesBehave(int linktype, const Frame& frame, size_t header_end) {
  ASSERT_LE(header_end, frame.size());
  for (size_t n = 0; n <= frame.size(); ++n) {
    SCOPED_TRACE(n);
    std::vector<uint8_t> prefix(frame.begin(), frame.begin() + static_cast<ptrdiff_t>(n));
    auto p = ParseFrame(linktype, prefix.empty() ? nullptr : prefix.data(), n, kT);
    EXPECT_EQ(p.has_value(), n >= header_end);
  }
}

TEST(ParseFrameTest, TruncatedFramesYieldNothing) {
  TcpSpec s = LinuxSyn();
  s.payload = 30;
  const size_t tcp_header = 20 + 4 + 12 + 4;  // MSS, NOP NOP TS, NOP WS
  ExpectPrefixesBehave(DLT_EN10MB, Ethernet(Ipv4("10.0.0.1", "10.0.0.2", Tcp(s)), kIpv4),
                       14 + 20 + tcp_header);
  ExpectPrefixesBehave(DLT_EN10MB,
                       Ethernet(Ipv4("10.0.0.1", "10.0.0.2", Tcp(s)), kIpv4, {0x88A8, 0x8100}),
                       14 + 8 + 20 + tcp_header);
  ExpectPrefixesBehave(DLT_EN10MB,
                       Ethernet(Ipv6("fd00::1", "fd00::2", Tcp(s), 0, kHopByHop), kIpv6),
                       14 + 40 + 8 + tcp_header);
  ExpectPrefixesBehave(DLT_LINUX_SLL2, Sll2(Ipv4("10.0.0.1", "10.0.0.2", Tcp(s)), kIpv4),
                       20 + 20 + tcp_header);
  ExpectPrefixesBehave(DLT_NULL, BsdLoopback(Ipv6("::1", "::2", Tcp(s)), 30, true),
                       4 + 40 + tcp_header);
}

TEST(ParseFrameTest, MalformedHeadersYieldNothing) {
  TcpSpec s;
  s.flags = kTcpAck;
  const Frame good = Ipv4("10.0.0.1", "10.0.0.2", Tcp(s));
  ASSERT_TRUE(Parse(DLT_RAW, good).has_value());

  Frame short_ihl = good;
  short_ihl[0] = 0x44;  // IHL 4 (16 bytes) is below the minimum
  EXPECT_FALSE(Parse(DLT_RAW, short_ihl));

  Frame short_doff = good;
  short_doff[20 + 12] = 0x40;  // data offset 4
  EXPECT_FALSE(Parse(DLT_RAW, short_doff));

  Frame long_doff = good;
  long_doff[20 + 12] = 0xF0;  // 60-byte header, but only 20 bytes there
  EXPECT_FALSE(Parse(DLT_RAW, long_doff));

  Frame short_total = good;
  short_total[3] = 30;  // total length ends inside the TCP header
  EXPECT_FALSE(Parse(DLT_RAW, short_total));

  // Ethertype says IPv4, the header says version 6.
  EXPECT_FALSE(Parse(DLT_EN10MB, Ethernet(Ipv6("::1", "::2", Tcp(s)), kIpv4)));
  EXPECT_FALSE(ParseFrame(DLT_EN10MB, nullptr, 100, kT).has_value());
}

TEST(ParseFrameTest, MalformedOptionsKeepTheHeader) {
  TcpSpec s;
  s.flags = kTcpSyn;
  s.mss = 1400;
  s.wscale = 9;
  Frame f = Ipv4("10.0.0.1", "10.0.0.2", Tcp(s));
  // Options: MSS(4) NOP WS(3). Make the MSS option claim length 0.
  f[20 + 21] = 0;
  auto p = Parse(DLT_RAW, f);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->flags, kTcpSyn);
  EXPECT_FALSE(p->mss.has_value());
  EXPECT_FALSE(p->wscale.has_value());

  // End-of-options before the window scale hides it.
  Frame eol = Ipv4("10.0.0.1", "10.0.0.2", Tcp(s));
  eol[20 + 24] = 0;  // the NOP becomes EOL
  p = Parse(DLT_RAW, eol);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->mss, 1400);
  EXPECT_FALSE(p->wscale.has_value());
}

}  // namespace
}  // namespace lingerlab

#include "suite/capture/pcap_file.h"

#include <pcap/pcap.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "suite/capture/connection_view.h"
#include "suite/capture/test_frames.h"
#include "suite/capture/test_temp_dir.h"

namespace lingerlab {
namespace {

using test_frames::Ethernet;
using test_frames::Frame;
using test_frames::Ipv4;
using test_frames::Ipv6;
using test_frames::Tcp;
using test_frames::TcpSpec;
using test_frames::Udp;

constexpr int64_t kT = 1'763'726'400'123'456'789;

struct Record {
  int64_t t_ns;
  Frame frame;
};

// Writes `records` with libpcap itself, as the live capture does.
void WritePcap(const std::string& path, int linktype, int precision,
               const std::vector<Record>& records) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(linktype, 65535, precision);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(dumper, nullptr) << pcap_geterr(dead);
  const int64_t unit = precision == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
  for (const auto& r : records) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(r.t_ns / 1'000'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>(r.t_ns % 1'000'000'000 / unit);
    h.caplen = static_cast<bpf_u_int32>(r.frame.size());
    h.len = h.caplen;
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, r.frame.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
}

// A handshake, a data segment, an unrelated UDP datagram, and FIN/RST over
// IPv4 and IPv6.
std::vector<Record> SampleRecords() {
  TcpSpec syn;
  syn.flags = kTcpSyn;
  syn.mss = 1460;
  syn.wscale = 7;
  TcpSpec synack = syn;
  synack.flags = kTcpSyn | kTcpAck;
  synack.sport = 5001;
  synack.dport = 40000;
  synack.seq = 9000;
  synack.ack = 1001;
  TcpSpec data;
  data.flags = kTcpPsh | kTcpAck;
  data.seq = 1001;
  data.ack = 9001;
  data.payload = 100;
  TcpSpec fin = data;
  fin.flags = kTcpFin | kTcpAck;
  fin.seq = 1101;
  fin.payload = 0;
  TcpSpec rst;
  rst.flags = kTcpRst;
  rst.sport = 5001;
  rst.dport = 40000;
  rst.seq = 9001;
  const std::string c = "198.18.0.18", s = "198.18.0.17";
  return {
      {kT, Ethernet(Ipv4(c, s, Tcp(syn)), 0x0800)},
      {kT + 1, Ethernet(Ipv4(s, c, Tcp(synack)), 0x0800)},
      {kT + 1'000, Ethernet(Ipv4(c, s, Tcp(data)), 0x0800)},
      {kT + 2'000, Ethernet(Ipv4(c, s, Udp(53, 53, 20), 17), 0x0800)},
      {kT + 999'999'999, Ethernet(Ipv4(c, s, Tcp(fin)), 0x0800)},
      {kT + 1'000'000'000, Ethernet(Ipv6("fd00::17", "fd00::18", Tcp(rst)), 0x86DD)},
  };
}

TEST(PcapFileTest, ReadsBackWhatLibpcapWrote) {
  TestTempDir dir;
  const std::string path = dir.File("sample.pcap");
  WritePcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_NANO, SampleRecords());
  auto pkts = ReadPcapFile(path);
  ASSERT_TRUE(pkts.ok()) << pkts.error().message;
  ASSERT_EQ(pkts->size(), 5u);  // the UDP datagram is skipped
  const auto& p = *pkts;
  EXPECT_EQ(p[0].t_ns, kT);
  EXPECT_EQ(p[0].flags, kTcpSyn);
  EXPECT_EQ(p[0].wscale, 7);
  EXPECT_EQ(p[1].t_ns, kT + 1);  // nanoseconds survive the round trip
  EXPECT_EQ(p[1].flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(p[1].src, "198.18.0.17");
  EXPECT_EQ(p[2].payload_len, 100u);
  EXPECT_EQ(p[3].t_ns, kT + 999'999'999);
  EXPECT_EQ(p[3].flags, kTcpFin | kTcpAck);
  EXPECT_EQ(p[4].t_ns, kT + 1'000'000'000);
  EXPECT_EQ(p[4].src, "fd00::17");
  EXPECT_EQ(p[4].flags, kTcpRst);
}

TEST(PcapFileTest, MicrosecondFilesBecomeNanoseconds) {
  TestTempDir dir;
  const std::string path = dir.File("micro.pcap");
  WritePcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_MICRO, SampleRecords());
  auto pkts = ReadPcapFile(path);
  ASSERT_TRUE(pkts.ok()) << pkts.error().message;
  ASSERT_EQ(pkts->size(), 5u);
  EXPECT_EQ((*pkts)[0].t_ns, kT - 789);  // truncated to the microsecond by the writer
  EXPECT_EQ((*pkts)[3].t_ns, kT + 1'000'000'000 - 789);
}

TEST(PcapFileTest, RawIpFiles) {
  // DLT_RAW is stored as LINKTYPE_RAW (101) and mapped back by libpcap.
  TestTempDir dir;
  const std::string path = dir.File("raw.pcap");
  TcpSpec s;
  s.flags = kTcpAck;
  WritePcap(path, DLT_RAW, PCAP_TSTAMP_PRECISION_NANO,
            {{kT, Ipv4("10.0.0.1", "10.0.0.2", Tcp(s))}, {kT + 5, Ipv6("::1", "::2", Tcp(s))}});
  auto pkts = ReadPcapFile(path);
  ASSERT_TRUE(pkts.ok()) << pkts.error().message;
  ASSERT_EQ(pkts->size(), 2u);
  EXPECT_EQ((*pkts)[1].dst, "::2");
}

// Runs a command; returns its stdout, or nothing if it could not run.
std::optional<std::string> RunCommand(const std::string& command) {
  FILE* f = popen(command.c_str(), "r");
  if (f == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  const int status = pclose(f);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

TEST(PcapFileTest, TsharkReadsOurFiles) {
  if (!RunCommand("command -v tshark >/dev/null 2>&1")) GTEST_SKIP() << "tshark not installed";
  TestTempDir dir;
  const std::string path = dir.File("for-tshark.pcap");
  WritePcap(path, DLT_EN10MB, PCAP_TSTAMP_PRECISION_NANO, SampleRecords());
  auto out = RunCommand("tshark -r '" + path +
                        "' -T fields -E separator=, -e frame.time_epoch -e tcp.flags -e tcp.len "
                        "-e tcp.options.wscale.shift 2>/dev/null");
  ASSERT_TRUE(out.has_value()) << "tshark failed on " << path;
  // tshark lists every frame, the UDP one with empty TCP fields.
  EXPECT_EQ(*out,
            "1763726400.123456789,0x0002,0,7\n"
            "1763726400.123456790,0x0012,0,7\n"
            "1763726400.123457789,0x0018,100,\n"
            "1763726400.123458789,,,\n"
            "1763726401.123456788,0x0011,0,\n"
            "1763726401.123456789,0x0004,0,\n");
}

// A capture written by tcpdump (not by us): `tcpdump -i any -y LINUX_SLL2
// --immediate-mode --time-stamp-precision=nano -s 256 'tcp port 5001'` in a
// fresh namespace while a client sent "hello" to 127.0.0.1:5001 and closed.
TEST(PcapFileTest, ReadsTcpdumpSll2Fixture) {
  auto pkts = ReadPcapFile(LINGERLAB_CAPTURE_TESTDATA "/lo_sll2_close.pcap");
  ASSERT_TRUE(pkts.ok()) << pkts.error().message;
  ASSERT_EQ(pkts->size(), 8u);
  std::string flags;
  for (const auto& p : *pkts) flags += FlagsText(p.flags) + " ";
  EXPECT_EQ(flags, "S S. . P. . F. F. . ");
  const TcpPacket& syn = (*pkts)[0];
  EXPECT_EQ(syn.t_ns, 1'795'264'706'619'345'893);
  EXPECT_EQ(syn.src, "127.0.0.1");
  EXPECT_EQ(syn.src_port, 57026);
  EXPECT_EQ(syn.dst_port, 5001);
  EXPECT_EQ(syn.seq, 2335508204u);
  EXPECT_EQ(syn.mss, 65495);
  EXPECT_EQ(syn.wscale, 10);
  EXPECT_EQ((*pkts)[3].payload_len, 5u);

  const auto view = SummarizeConnection(*pkts, "127.0.0.1", 5001, syn.t_ns);
  EXPECT_EQ(view.server_isn, 652915169u);
  EXPECT_EQ(view.client_isn, 2335508204u);
  ASSERT_EQ(view.packets.size(), 8u);
  EXPECT_EQ(view.packets[3], nlohmann::json::parse(R"({"t": 0.000083674, "dir": "c2s",
      "flags": "P.", "seq": 1, "ack": 1, "len": 5, "win": 65536})"));
  EXPECT_EQ(view.packets[6]["dir"], "s2c");
  EXPECT_EQ(view.packets[6]["seq"], 1);
  EXPECT_EQ(view.packets[6]["ack"], 7);
}

TEST(PcapFileTest, Errors) {
  TestTempDir dir;
  auto missing = ReadPcapFile(dir.File("nope.pcap"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("nope.pcap"), std::string::npos);

  const std::string garbage = dir.File("garbage.pcap");
  std::ofstream(garbage) << "this is not a capture file at all";
  auto bad = ReadPcapFile(garbage);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(bad.error().message.find("garbage.pcap"), std::string::npos);

  // Cut off in the middle of the last record.
  const std::string cut = dir.File("cut.pcap");
  WritePcap(cut, DLT_EN10MB, PCAP_TSTAMP_PRECISION_NANO, SampleRecords());
  std::string bytes;
  {
    std::ifstream in(cut, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    bytes = ss.str();
  }
  std::ofstream(cut, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 10);
  auto truncated = ReadPcapFile(cut);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos)
      << truncated.error().message;

  const std::string wifi = dir.File("wifi.pcap");
  WritePcap(wifi, DLT_IEEE802_11, PCAP_TSTAMP_PRECISION_NANO, {});
  auto unsupported = ReadPcapFile(wifi);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(unsupported.error().message.find("IEEE802_11"), std::string::npos)
      << unsupported.error().message;
}

}  // namespace
}  // namespace lingerlab

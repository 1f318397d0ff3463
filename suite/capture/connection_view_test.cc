#include "suite/capture/connection_view.h"

#include <gtest/gtest.h>

namespace lingerlab {
namespace {

constexpr int64_t kT0 = 1'763'726'400'000'000'000;
const std::string kServer = "198.18.0.17";
const std::string kClient = "198.18.0.18";
constexpr int kPort = 5001;
constexpr int kClientPort = 43210;
constexpr uint32_t kServerIsn = 0xFFFFFF00u;  // wraps during the transfer
constexpr uint32_t kClientIsn = 1000;

struct Builder {
  std::vector<TcpPacket> pkts;
  int64_t t = kT0 + 1'000'000;  // 1 ms after t0

  TcpPacket& Add(bool s2c, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len,
                 uint16_t window) {
    TcpPacket p;
    p.t_ns = t;
    t += 250'000;  // 250 us apart
    p.src = s2c ? kServer : kClient;
    p.dst = s2c ? kClient : kServer;
    p.src_port = s2c ? kPort : kClientPort;
    p.dst_port = s2c ? kClientPort : kPort;
    p.flags = flags;
    p.seq = seq;
    p.ack = ack;
    p.payload_len = len;
    p.window = window;
    pkts.push_back(p);
    return pkts.back();
  }
};

// Handshake (both SYNs with wscale unless told otherwise), 1000 bytes from
// the server in two segments, server FIN, client ACK, client RST.
Builder Connection(std::optional<int> client_ws = 7, std::optional<int> server_ws = 9) {
  Builder b;
  TcpPacket& syn = b.Add(false, kTcpSyn, kClientIsn, 0, 0, 64240);
  syn.mss = 1460;
  syn.wscale = client_ws;
  TcpPacket& synack = b.Add(true, kTcpSyn | kTcpAck, kServerIsn, kClientIsn + 1, 0, 65160);
  synack.mss = 1460;
  synack.wscale = server_ws;
  b.Add(false, kTcpAck, kClientIsn + 1, kServerIsn + 1, 0, 502);
  b.Add(true, kTcpPsh | kTcpAck, kServerIsn + 1, kClientIsn + 1, 600, 509);
  b.Add(true, kTcpPsh | kTcpAck, kServerIsn + 601, kClientIsn + 1, 400, 509);
  b.Add(true, kTcpFin | kTcpAck, kServerIsn + 1001, kClientIsn + 1, 0, 509);
  b.Add(false, kTcpAck, kClientIsn + 1, kServerIsn + 1002, 0, 498);
  b.Add(false, kTcpRst, kClientIsn + 1, 0, 0, 0);
  return b;
}

TEST(ConnectionViewTest, RelativeNumbersAndScaledWindows) {
  const Builder b = Connection();
  const auto s = SummarizeConnection(b.pkts, kServer, kPort, kT0);
  ASSERT_EQ(s.packets.size(), 8u);
  EXPECT_EQ(s.server_isn, kServerIsn);
  EXPECT_EQ(s.client_isn, kClientIsn);
  const nlohmann::json expected = nlohmann::json::parse(R"([
    {"t": 0.001,   "dir": "c2s", "flags": "S",   "seq": 0,    "ack": 0,    "len": 0,   "win": 64240},
    {"t": 0.00125, "dir": "s2c", "flags": "S.",  "seq": 0,    "ack": 1,    "len": 0,   "win": 65160},
    {"t": 0.0015,  "dir": "c2s", "flags": ".",   "seq": 1,    "ack": 1,    "len": 0,   "win": 64256},
    {"t": 0.00175, "dir": "s2c", "flags": "P.",  "seq": 1,    "ack": 1,    "len": 600, "win": 260608},
    {"t": 0.002,   "dir": "s2c", "flags": "P.",  "seq": 601,  "ack": 1,    "len": 400, "win": 260608},
    {"t": 0.00225, "dir": "s2c", "flags": "F.",  "seq": 1001, "ack": 1,    "len": 0,   "win": 260608},
    {"t": 0.0025,  "dir": "c2s", "flags": ".",   "seq": 1,    "ack": 1002, "len": 0,   "win": 63744},
    {"t": 0.00275, "dir": "c2s", "flags": "R",   "seq": 1,    "ack": 0,    "len": 0,   "win": 0}
  ])");
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    const auto& got = s.packets[i];
    for (const char* key : {"dir", "flags", "seq", "ack", "len", "win"}) {
      EXPECT_EQ(got[key], expected[i][key]) << key;
    }
    EXPECT_DOUBLE_EQ(got["t"].get<double>(), expected[i]["t"].get<double>());
  }
}

TEST(ConnectionViewTest, TimeKeepsNanosecondsRelativeToT0) {
  Builder b = Connection();
  b.pkts[0].t_ns = kT0 + 1'234'567'891;
  b.pkts[1].t_ns = kT0 - 5'000;  // before t0: negative, not clamped
  const auto s = SummarizeConnection(b.pkts, kServer, kPort, kT0);
  EXPECT_EQ(s.packets[0]["t"].dump(), "1.234567891");
  EXPECT_DOUBLE_EQ(s.packets[1]["t"].get<double>(), -0.000005);
}

TEST(ConnectionViewTest, NoScalingUnlessBothSynsCarryWscale) {
  for (auto [client_ws, server_ws] :
       {std::pair<std::optional<int>, std::optional<int>>{7, {}}, {{}, 9}, {{}, {}}}) {
    const auto s = SummarizeConnection(Connection(client_ws, server_ws).pkts, kServer, kPort, kT0);
    EXPECT_EQ(s.packets[3]["win"], 509);
    EXPECT_EQ(s.packets[6]["win"], 498);
  }
  // A shift of 0 on both sides is scaling by 1; a shift above 14 counts as 14.
  auto s = SummarizeConnection(Connection(0, 15).pkts, kServer, kPort, kT0);
  EXPECT_EQ(s.packets[3]["win"], 509 << 14);
  EXPECT_EQ(s.packets[6]["win"], 498);
}

TEST(ConnectionViewTest, OtherConnectionsAreSkipped) {
  Builder b = Connection();
  std::vector<TcpPacket> mixed;
  // A stray RST from an earlier connection to the same server port, a packet
  // of another service on the server, and one between two other hosts.
  TcpPacket stray = b.pkts[7];
  stray.src_port = 40000;
  mixed.push_back(stray);
  for (size_t i = 0; i < b.pkts.size(); ++i) {
    mixed.push_back(b.pkts[i]);
    TcpPacket other = b.pkts[i];
    if (i % 2 == 0) {
      other.src_port = other.src_port == kPort ? 22 : other.src_port;
      other.dst_port = other.dst_port == kPort ? 22 : other.dst_port;
    } else {
      other.src = "10.9.9.9";
      other.dst = "10.9.9.8";
    }
    mixed.push_back(other);
  }
  const auto s = SummarizeConnection(mixed, kServer, kPort, kT0);
  const auto clean = SummarizeConnection(b.pkts, kServer, kPort, kT0);
  EXPECT_EQ(s.packets, clean.packets);
  EXPECT_EQ(s.server_isn, kServerIsn);
  EXPECT_EQ(s.client_isn, kClientIsn);
}

TEST(ConnectionViewTest, MissingSynFallsBackToFirstSeenSeq) {
  Builder b = Connection();
  b.pkts.erase(b.pkts.begin());  // client SYN lost
  const auto s = SummarizeConnection(b.pkts, kServer, kPort, kT0);
  ASSERT_EQ(s.packets.size(), 7u);
  EXPECT_FALSE(s.client_isn.has_value());
  EXPECT_EQ(s.server_isn, kServerIsn);
  // Client base is now its first seen seq (ISN + 1): its numbers drop by one.
  EXPECT_EQ(s.packets[0]["ack"], 0);  // SYN-ACK acks the client's first seq
  EXPECT_EQ(s.packets[1]["seq"], 0);
  EXPECT_EQ(s.packets[5]["ack"], 1002);
  // Without the client's SYN, nothing says both sides agreed to scale.
  EXPECT_EQ(s.packets[2]["win"], 509);

  // Only the tail of the connection: both bases are first seen seqs.
  const std::vector<TcpPacket> tail(b.pkts.begin() + 4, b.pkts.end());
  const auto t = SummarizeConnection(tail, kServer, kPort, kT0);
  ASSERT_EQ(t.packets.size(), 3u);
  EXPECT_FALSE(t.server_isn.has_value());
  EXPECT_EQ(t.packets[0]["dir"], "s2c");
  EXPECT_EQ(t.packets[0]["seq"], 0);
  EXPECT_EQ(t.packets[1]["ack"], 1);
  EXPECT_EQ(t.packets[1]["seq"], 0);
}

TEST(ConnectionViewTest, SideThatSentNothingUsesPeersFirstAck) {
  Builder b = Connection();
  std::vector<TcpPacket> c2s_only;
  for (const auto& p : b.pkts) {
    if (p.src == kClient) c2s_only.push_back(p);
  }
  c2s_only.erase(c2s_only.begin());  // and no SYN either
  const auto s = SummarizeConnection(c2s_only, kServer, kPort, kT0);
  ASSERT_EQ(s.packets.size(), 3u);
  EXPECT_EQ(s.packets[0]["ack"], 0);
  EXPECT_EQ(s.packets[1]["ack"], 1001);
}

TEST(ConnectionViewTest, IdentifiesServerByCanonicalAddress) {
  Builder b;
  TcpPacket& syn = b.Add(false, kTcpSyn, 5, 0, 0, 100);
  syn.src = "fd00::18";
  syn.dst = "fd00::17";
  const auto s = SummarizeConnection(b.pkts, "fd00:0:0:0::17", kPort, kT0);
  ASSERT_EQ(s.packets.size(), 1u);
  EXPECT_EQ(s.packets[0]["dir"], "c2s");
  EXPECT_TRUE(SummarizeConnection(b.pkts, "fd00::99", kPort, kT0).packets.empty());
  EXPECT_TRUE(SummarizeConnection(b.pkts, "fd00::17", kPort + 1, kT0).packets.empty());
}

}  // namespace
}  // namespace lingerlab

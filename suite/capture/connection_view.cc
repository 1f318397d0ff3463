#include "suite/capture/connection_view.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

namespace lingerlab {
namespace {

// RFC 7323 §2.3: a larger shift count is treated as 14.
constexpr int kMaxWindowShift = 14;

// Parsed packets carry inet_ntop text; normalise the caller's address the
// same way so "fd00:0::1" matches "fd00::1".
std::string CanonicalAddress(const std::string& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, addr.c_str(), &v4) == 1 && inet_ntop(AF_INET, &v4, buf, sizeof(buf))) {
    return buf;
  }
  if (inet_pton(AF_INET6, addr.c_str(), &v6) == 1 && inet_ntop(AF_INET6, &v6, buf, sizeof(buf))) {
    return buf;
  }
  return addr;
}

// What the handshake (or, lacking it, the first packets) says about one side.
struct Side {
  bool syn_seen = false;
  std::optional<uint32_t> isn;             // seq of this side's SYN
  std::optional<int> syn_wscale;           // window-scale option of that SYN
  std::optional<uint32_t> first_seq;       // seq of the first packet this side sent
  std::optional<uint32_t> first_ack_sent;  // ack number of its first ACK
};

// The base for this side's sequence numbers; `other` is the peer.
uint32_t SequenceBase(const Side& self, const Side& other) {
  if (self.isn) return *self.isn;
  if (self.first_seq) return *self.first_seq;
  // Never sent anything we saw: the peer's first ack marks where this
  // side's stream stood, the nearest thing to "first seen seq".
  if (other.first_ack_sent) return *other.first_ack_sent;
  return 0;
}

}  // namespace

ConnectionSummary SummarizeConnection(const std::vector<TcpPacket>& pkts,
                                      const std::string& server_addr, int server_port,
                                      int64_t t0_real_ns) {
  ConnectionSummary summary;
  const std::string server = CanonicalAddress(server_addr);
  auto from_server = [&](const TcpPacket& p) {
    return p.src == server && p.src_port == server_port;
  };
  auto to_server = [&](const TcpPacket& p) { return p.dst == server && p.dst_port == server_port; };

  // Pick the one client endpoint: the opener of the connection if its SYN
  // was captured, which is robust to stray packets of an earlier connection.
  std::optional<std::pair<std::string, int>> client;
  for (const auto& p : pkts) {
    if (to_server(p) && (p.flags & kTcpSyn) && !(p.flags & kTcpAck)) {
      client.emplace(p.src, p.src_port);
      break;
    }
  }
  if (!client) {
    for (const auto& p : pkts) {
      if (from_server(p)) {
        client.emplace(p.dst, p.dst_port);
        break;
      }
      if (to_server(p)) {
        client.emplace(p.src, p.src_port);
        break;
      }
    }
  }
  if (!client) return summary;

  // Direction of a packet of this connection: true = s2c; nothing = other.
  auto direction = [&](const TcpPacket& p) -> std::optional<bool> {
    if (from_server(p) && p.dst == client->first && p.dst_port == client->second) return true;
    if (to_server(p) && p.src == client->first && p.src_port == client->second) return false;
    return std::nullopt;
  };

  Side server_side, client_side;
  for (const auto& p : pkts) {
    const auto s2c = direction(p);
    if (!s2c) continue;
    Side& side = *s2c ? server_side : client_side;
    if ((p.flags & kTcpSyn) && !side.syn_seen) {
      side.syn_seen = true;
      side.isn = p.seq;
      side.syn_wscale = p.wscale;
    }
    if (!side.first_seq) side.first_seq = p.seq;
    if ((p.flags & kTcpAck) && !side.first_ack_sent) side.first_ack_sent = p.ack;
  }
  summary.server_isn = server_side.isn;
  summary.client_isn = client_side.isn;
  const uint32_t server_base = SequenceBase(server_side, client_side);
  const uint32_t client_base = SequenceBase(client_side, server_side);
  const bool scaling = server_side.syn_wscale.has_value() && client_side.syn_wscale.has_value();

  for (const auto& p : pkts) {
    const auto s2c = direction(p);
    if (!s2c) continue;
    const Side& sender = *s2c ? server_side : client_side;
    const uint32_t sender_base = *s2c ? server_base : client_base;
    const uint32_t receiver_base = *s2c ? client_base : server_base;
    uint64_t window = p.window;
    if (scaling && !(p.flags & kTcpSyn)) {
      window <<= std::min(*sender.syn_wscale, kMaxWindowShift);
    }
    // Unsigned arithmetic: sequence numbers wrap modulo 2^32.
    const uint32_t seq = p.seq - sender_base;
    const uint32_t ack = (p.flags & kTcpAck) ? p.ack - receiver_base : 0;
    summary.packets.push_back({
        {"t", static_cast<double>(p.t_ns - t0_real_ns) / 1e9},
        {"dir", *s2c ? "s2c" : "c2s"},
        {"flags", FlagsText(p.flags)},
        {"seq", seq},
        {"ack", ack},
        {"len", p.payload_len},
        {"win", window},
    });
  }
  return summary;
}

}  // namespace lingerlab

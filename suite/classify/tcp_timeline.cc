#include "suite/classify/tcp_timeline.h"

#include <algorithm>

namespace lingerlab::classify {

std::optional<size_t> FirstAckCovering(const std::vector<CasePacket>& packets, const FinFact& fin,
                                       bool fin_from_server, size_t from) {
  for (size_t i = from; i < packets.size(); ++i) {
    const CasePacket& p = packets[i];
    if (p.s2c == fin_from_server) continue;
    if (p.has_ack() && !p.rst() && p.ack >= fin.fin_seq + 1) return i;
  }
  return std::nullopt;
}

TcpTimeline BuildTimeline(const std::vector<CasePacket>& packets) {
  TcpTimeline tl;
  for (size_t i = 0; i < packets.size(); ++i) {
    const CasePacket& p = packets[i];
    // A RST's own FIN bit (rare, but legal) does not close gracefully.
    if (p.fin() && !p.rst()) {
      std::optional<FinFact>& fin = p.s2c ? tl.server_fin : tl.client_fin;
      if (!fin) fin = FinFact{i, p.t, p.payload_end()};
    }
    if (p.rst()) {
      std::optional<size_t>& rst = p.s2c ? tl.server_rst : tl.client_rst;
      if (!rst) rst = i;
    }
  }
  if (tl.server_fin) {
    tl.server_fin_ack = FirstAckCovering(packets, *tl.server_fin, true, tl.server_fin->packet + 1);
  }
  if (tl.client_fin) {
    tl.client_fin_ack = FirstAckCovering(packets, *tl.client_fin, false, tl.client_fin->packet + 1);
  }
  return tl;
}

int64_t ServerBytesSentBefore(const std::vector<CasePacket>& packets, size_t before) {
  int64_t end = 1;  // the SYN takes sequence number 0; payload starts at 1
  for (size_t i = 0; i < packets.size() && i < before; ++i) {
    const CasePacket& p = packets[i];
    if (p.s2c && p.len > 0 && !p.syn()) end = std::max(end, p.payload_end());
  }
  return end - 1;
}

int64_t ServerBytesAckedBefore(const std::vector<CasePacket>& packets, size_t before,
                               int64_t written) {
  int64_t ack = 1;
  for (size_t i = 0; i < packets.size() && i < before; ++i) {
    const CasePacket& p = packets[i];
    if (!p.s2c && p.has_ack()) ack = std::max(ack, p.ack);
  }
  return std::clamp<int64_t>(ack - 1, 0, std::max<int64_t>(written, 0));
}

std::optional<size_t> LastBefore(const std::vector<CasePacket>& packets, size_t before, bool s2c) {
  for (size_t i = std::min(before, packets.size()); i > 0; --i) {
    if (packets[i - 1].s2c == s2c) return i - 1;
  }
  return std::nullopt;
}

}  // namespace lingerlab::classify

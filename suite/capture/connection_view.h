// The results-file view of one TCP connection: captured packets turned into
// the "packets" array of doc/results-format.md ("Packet"), with sequence
// numbers relative to each side's ISN and windows in bytes.
//
// Pure and total: it never fails. Packets that do not belong to the
// connection are skipped; missing handshake packets degrade the view as
// documented below instead of aborting it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/capture/packet.h"

namespace lingerlab {

struct ConnectionSummary {
  nlohmann::json packets = nlohmann::json::array();  // one object per packet, in input order
  // The ISNs seen in each side's SYN; unset when that SYN was not captured.
  std::optional<uint32_t> server_isn, client_isn;
};

// Builds the view of the connection to the server (server_addr, server_port).
// `pkts` are in capture order. Each output packet is
//   {"t": seconds since t0_real_ns, "dir": "s2c"|"c2s", "flags": FlagsText,
//    "seq": relative to the sender's ISN, "ack": relative to the receiver's
//    ISN (0 without the ACK flag), "len": payload bytes, "win": window bytes}.
//
// The client is the sender of the first SYN (without ACK) to the server, or,
// if none was captured, the peer of the first packet to or from the server;
// packets of any other connection are skipped. A side whose SYN was not
// captured uses its first seen seq as the base (the receiver-side base for
// "ack" falls back to the first ack number the other side sent, if that side
// sent nothing itself). Windows are scaled by the sender's shift count only
// when both SYNs were captured and carried the window-scale option, and never
// on a SYN itself (RFC 7323 §2.2); shift counts above 14 count as 14.
ConnectionSummary SummarizeConnection(const std::vector<TcpPacket>& pkts,
                                      const std::string& server_addr, int server_port,
                                      int64_t t0_real_ns);

}  // namespace lingerlab

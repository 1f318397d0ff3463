// One captured TCP packet in the words `tcpdump -n -r` prints for it, so a
// line of `lingerlab show` can be found (and compared) in tcpdump's output:
//   IP 198.18.0.1.5001 > 198.18.0.2.43210: Flags [P.], seq 1:1449, ack 1,
//   win 502, options [nop,nop,TS val 1 ecr 2], length 1448
//
// Pure text from a parsed TcpPacket (packet.h); the only state is the
// per-conversation sequence bases tcpdump keeps to print relative numbers,
// owned by the caller's TcpdumpRelative and fed packets in file order.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "suite/capture/packet.h"

namespace lingerlab {

// tcpdump's relative sequence numbers (print-tcp.c): only packets with the
// ACK flag are translated. The first ACK-flagged packet of a conversation, or
// any SYN with ACK, records the bases (its seq, and its ack - 1 for the peer)
// and is itself printed absolute; later ACK-flagged packets print seq and ack
// (and SACK blocks) minus the bases. A bare SYN or RST prints absolute.
class TcpdumpRelative {
 public:
  struct Numbers {
    uint32_t seq = 0, ack = 0;
    uint32_t sack_base = 0;  // subtracted from SACK block edges (0: absolute)
  };
  Numbers Translate(const TcpPacket& p);

 private:
  struct Bases {
    uint32_t seq = 0, ack = 0;  // of the conversation's lower-ordered endpoint, and its peer
  };
  // (address, port, address, port), the lower-ordered endpoint first.
  std::map<std::tuple<std::string, int, std::string, int>, Bases> bases_;
};

// tcpdump's flag letters and order: F S R P . U E W; "none" without flags.
std::string TcpdumpFlags(uint8_t flags);

// "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7" (without the brackets);
// SACK blocks as "sack 1 {1449:2897}" less `sack_base`.
std::string TcpdumpOptions(const TcpPacket& p, uint32_t sack_base);

// The line after the timestamp: "IP src.port > dst.port: Flags [..], ...".
std::string TcpdumpLine(const TcpPacket& p, TcpdumpRelative& relative);

// tcpdump's default timestamp: local time "HH:MM:SS.ffffff", truncated (not
// rounded) to microseconds as tcpdump does when it reads a nanosecond pcap.
std::string TcpdumpTime(int64_t t_ns);

}  // namespace lingerlab

// TcpPacket: the TCP header fields of one captured frame, and the parser that
// extracts them from raw link-layer bytes.
//
// Parsing is pure (no libpcap types) so it is tested on constructed byte
// arrays. A frame that is not TCP, is malformed, or is cut off before the end
// of the TCP header yields nothing rather than an error: captures routinely
// contain such frames and the caller only skips them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lingerlab {

// TCP flag bits as they appear in byte 13 of the TCP header.
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

// One TCP option as sent: its kind and the bytes after kind and length
// (none for EOL and NOP). Kept raw so tcpdump_line.h can list every option.
struct TcpOption {
  uint8_t kind = 0;
  std::vector<uint8_t> data;
};

struct TcpPacket {
  int64_t frame = 0;     // 1-based position in the pcap file, every frame counted; 0 if live
  int64_t t_ns = 0;      // realtime clock, nanoseconds since the epoch (pcap timestamp)
  std::string src, dst;  // textual IPv4/IPv6 addresses (inet_ntop form)
  int src_port = 0, dst_port = 0;
  uint8_t flags = 0;          // kTcp* bits
  uint32_t seq = 0, ack = 0;  // raw sequence numbers
  uint32_t payload_len = 0;   // from the IP length fields, not from the captured bytes
  uint16_t window = 0;        // raw window field (unscaled)
  std::optional<int> wscale;  // window-scale option (shift count as sent), if present
  std::optional<int> mss;     // MSS option, if present
  uint16_t urgent = 0;        // urgent pointer (meaningful with kTcpUrg)
  // Every option in header order, up to EOL (included) or the first malformed
  // one (options_malformed).
  std::vector<TcpOption> options;
  bool options_malformed = false;
};

// tcpdump-style flag letters in the order F S R P U E W, then "." for ACK:
// "S", "S.", "P.", "FP.", "R", "R.". No flags at all gives "".
std::string FlagsText(uint8_t flags);

// True for the link types ParseFrame understands (listed below).
bool LinktypeSupported(int linktype);

// Parses one captured frame of pcap link type `linktype`: DLT_EN10MB (with any
// number of 802.1Q/802.1ad tags), DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
// DLT_IPV4, DLT_IPV6, DLT_NULL and DLT_LOOP. `caplen` is the number of bytes
// at `data`; nothing past it is read.
//
// Returns nothing for unknown link types, non-IP or non-TCP frames, IPv4
// fragments other than the first, IPv6 fragments other than the first, and
// frames whose TCP header (including its options) is not fully captured. A
// frame cut off inside the payload still parses: payload_len comes from the
// IP header.
//
// `wire_len` (the pcap header's original length; 0 if unknown) is only used
// when the IP length field is 0, which Linux writes for GSO super-packets over
// 64 KiB ("BIG TCP"); without it such frames yield a payload_len counted from
// the captured bytes.
std::optional<TcpPacket> ParseFrame(int linktype, const uint8_t* data, size_t caplen, int64_t t_ns,
                                    size_t wire_len = 0);

}  // namespace lingerlab

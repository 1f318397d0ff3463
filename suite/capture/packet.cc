#include "suite/capture/packet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/dlt.h>

#include <limits>

namespace lingerlab {
namespace {

// Link-layer values, spelled out so the parser does not depend on the
// build host's socket headers (a pcap may come from another OS).
constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;     // 802.1Q
constexpr uint16_t kEtherQinQ = 0x88A8;     // 802.1ad
constexpr uint16_t kEtherQinQOld = 0x9100;  // pre-standard QinQ
// BSD loopback header address families. AF_INET is 2 everywhere; AF_INET6
// differs: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30.
constexpr uint32_t kBsdAfInet = 2;
constexpr uint32_t kBsdAfInet6Values[] = {10, 24, 28, 30};
// LINKTYPE_RAW as stored in pcap files; libpcap maps it to DLT_RAW, but a
// caller may pass the file header's value directly.
constexpr int kLinktypeRaw = 101;
constexpr uint8_t kIpProtoTcp = 6;

// A bounds-checked view of captured bytes: every read is checked against the
// captured length first, so a truncated frame can never cause an over-read.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t size() const { return size_; }
  const uint8_t* data() const { return data_; }
  // True if [offset, offset + len) lies inside the captured bytes.
  bool Has(size_t offset, size_t len) const { return offset <= size_ && len <= size_ - offset; }
  // Reads below require Has(offset, width) to have been checked.
  uint8_t U8(size_t offset) const { return data_[offset]; }
  uint16_t U16(size_t offset) const {
    return static_cast<uint16_t>((data_[offset] << 8) | data_[offset + 1]);
  }
  uint32_t U32(size_t offset) const {
    return (static_cast<uint32_t>(U16(offset)) << 16) | U16(offset + 2);
  }
  // The bytes from `offset` on; nothing if offset is past the end.
  std::optional<Bytes> From(size_t offset) const {
    if (offset > size_) return std::nullopt;
    return Bytes(data_ + offset, size_ - offset);
  }

 private:
  const uint8_t* data_;
  size_t size_;
};

std::string AddressText(int family, const uint8_t* addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, addr, buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

// Parses the TCP header at the start of `tcp`. `segment_len` is the TCP
// header plus payload length according to the IP header.
std::optional<TcpPacket> ParseTcp(Bytes tcp, size_t segment_len, TcpPacket out) {
  if (!tcp.Has(0, 20)) return std::nullopt;
  const size_t header_len = static_cast<size_t>(tcp.U8(12) >> 4) * 4;
  if (header_len < 20 || !tcp.Has(0, header_len) || segment_len < header_len) {
    return std::nullopt;
  }
  out.src_port = tcp.U16(0);
  out.dst_port = tcp.U16(2);
  out.seq = tcp.U32(4);
  out.ack = tcp.U32(8);
  out.flags = tcp.U8(13);
  out.window = tcp.U16(14);
  const size_t payload = segment_len - header_len;
  out.payload_len = payload > std::numeric_limits<uint32_t>::max()
                        ? std::numeric_limits<uint32_t>::max()
                        : static_cast<uint32_t>(payload);

  // Options: a malformed option list ends option parsing, not the packet;
  // the fixed header is still valid evidence.
  size_t i = 20;
  out.urgent = tcp.U16(18);
  while (i < header_len) {
    const uint8_t kind = tcp.U8(i);
    if (kind == 0 || kind == 1) {  // end of option list, NOP: no length byte
      out.options.push_back({kind, {}});
      if (kind == 0) break;
      ++i;
      continue;
    }
    const size_t len = i + 1 < header_len ? tcp.U8(i + 1) : 0;
    if (len < 2 || len > header_len - i) {
      out.options_malformed = true;
      break;
    }
    if (kind == 2 && len == 4) out.mss = tcp.U16(i + 2);
    if (kind == 3 && len == 3) out.wscale = tcp.U8(i + 2);
    out.options.push_back({kind, std::vector<uint8_t>(tcp.data() + i + 2, tcp.data() + i + len)});
    i += len;
  }
  return out;
}

// `wire_ip_len`: bytes from the IP header to the end of the frame on the
// wire, 0 if unknown. Used only when the IP length field is 0 (BIG TCP).
std::optional<TcpPacket> ParseIpv4(Bytes ip, size_t wire_ip_len, TcpPacket out) {
  if (!ip.Has(0, 20) || (ip.U8(0) >> 4) != 4) return std::nullopt;
  const size_t header_len = static_cast<size_t>(ip.U8(0) & 0x0F) * 4;
  if (header_len < 20 || !ip.Has(0, header_len)) return std::nullopt;
  // A non-first fragment starts mid-segment: its first bytes are payload,
  // not a TCP header.
  if ((ip.U16(6) & 0x1FFF) != 0) return std::nullopt;
  if (ip.U8(9) != kIpProtoTcp) return std::nullopt;
  size_t total_len = ip.U16(2);
  if (total_len == 0) total_len = wire_ip_len != 0 ? wire_ip_len : ip.size();
  if (total_len < header_len) return std::nullopt;
  out.src = AddressText(AF_INET, ip.data() + 12);
  out.dst = AddressText(AF_INET, ip.data() + 16);
  auto tcp = ip.From(header_len);
  if (!tcp) return std::nullopt;
  return ParseTcp(*tcp, total_len - header_len, std::move(out));
}

std::optional<TcpPacket> ParseIpv6(Bytes ip, size_t wire_ip_len, TcpPacket out) {
  if (!ip.Has(0, 40) || (ip.U8(0) >> 4) != 6) return std::nullopt;
  size_t payload_len = ip.U16(4);
  if (payload_len == 0) {
    // Jumbogram or BIG TCP: the length is not in the fixed header.
    const size_t frame_len = wire_ip_len != 0 ? wire_ip_len : ip.size();
    payload_len = frame_len > 40 ? frame_len - 40 : 0;
  }
  uint8_t next = ip.U8(6);
  size_t offset = 40;
  // Extension headers. Bounded: each one advances at least 8 bytes, and the
  // Has() checks stop the walk at the end of the captured bytes.
  while (next != kIpProtoTcp) {
    switch (next) {
      case 0:    // hop-by-hop options
      case 43:   // routing
      case 60:   // destination options
      case 135:  // mobility
        if (!ip.Has(offset, 2)) return std::nullopt;
        next = ip.U8(offset);
        offset += (static_cast<size_t>(ip.U8(offset + 1)) + 1) * 8;
        break;
      case 44:  // fragment
        if (!ip.Has(offset, 8)) return std::nullopt;
        if ((ip.U16(offset + 2) >> 3) != 0) return std::nullopt;  // not the first fragment
        next = ip.U8(offset);
        offset += 8;
        break;
      case 51:  // authentication header: length in 4-byte units, minus 2
        if (!ip.Has(offset, 2)) return std::nullopt;
        next = ip.U8(offset);
        offset += (static_cast<size_t>(ip.U8(offset + 1)) + 2) * 4;
        break;
      default:  // ESP (encrypted), no next header, or not TCP
        return std::nullopt;
    }
  }
  if (offset - 40 > payload_len) return std::nullopt;
  out.src = AddressText(AF_INET6, ip.data() + 8);
  out.dst = AddressText(AF_INET6, ip.data() + 24);
  auto tcp = ip.From(offset);
  if (!tcp) return std::nullopt;
  return ParseTcp(*tcp, payload_len - (offset - 40), std::move(out));
}

// Dispatches on the IP version nibble (DLT_RAW carries either version).
std::optional<TcpPacket> ParseIp(Bytes ip, size_t wire_ip_len, TcpPacket out) {
  if (!ip.Has(0, 1)) return std::nullopt;
  switch (ip.U8(0) >> 4) {
    case 4:
      return ParseIpv4(ip, wire_ip_len, std::move(out));
    case 6:
      return ParseIpv6(ip, wire_ip_len, std::move(out));
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string FlagsText(uint8_t flags) {
  static constexpr struct {
    uint8_t bit;
    char letter;
  } kLetters[] = {{kTcpFin, 'F'}, {kTcpSyn, 'S'}, {kTcpRst, 'R'}, {kTcpPsh, 'P'},
                  {kTcpUrg, 'U'}, {kTcpEce, 'E'}, {kTcpCwr, 'W'}, {kTcpAck, '.'}};
  std::string text;
  for (const auto& l : kLetters) {
    if (flags & l.bit) text += l.letter;
  }
  return text;
}

bool LinktypeSupported(int linktype) {
  switch (linktype) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case kLinktypeRaw:
    case DLT_IPV4:
    case DLT_IPV6:
    case DLT_NULL:
    case DLT_LOOP:
      return true;
    default:
      return false;
  }
}

std::optional<TcpPacket> ParseFrame(int linktype, const uint8_t* data, size_t caplen, int64_t t_ns,
                                    size_t wire_len) {
  if (data == nullptr) caplen = 0;
  const Bytes frame(data, caplen);
  TcpPacket out;
  out.t_ns = t_ns;

  // The link header's length, and for link types that name the network
  // protocol, its ethertype.
  size_t link_len = 0;
  std::optional<uint16_t> ethertype;
  switch (linktype) {
    case DLT_EN10MB:
      if (!frame.Has(0, 14)) return std::nullopt;
      ethertype = frame.U16(12);
      link_len = 14;
      break;
    case DLT_LINUX_SLL:
      if (!frame.Has(0, 16)) return std::nullopt;
      ethertype = frame.U16(14);
      link_len = 16;
      break;
    case DLT_LINUX_SLL2:
      if (!frame.Has(0, 20)) return std::nullopt;
      ethertype = frame.U16(0);
      link_len = 20;
      break;
    case DLT_RAW:
    case kLinktypeRaw:
    case DLT_IPV4:
    case DLT_IPV6:
      break;
    case DLT_NULL:
    case DLT_LOOP: {
      if (!frame.Has(0, 4)) return std::nullopt;
      // DLT_NULL's family is in the capturing host's byte order, DLT_LOOP's
      // in network order; families are small, so take whichever reading is.
      const uint32_t be = frame.U32(0);
      const uint32_t le = (be >> 24) | ((be >> 8) & 0xFF00) | ((be << 8) & 0xFF0000) | (be << 24);
      const uint32_t family = be < 256 ? be : le;
      if (family == kBsdAfInet) {
        ethertype = kEtherIpv4;
      } else {
        for (uint32_t v6 : kBsdAfInet6Values) {
          if (family == v6) ethertype = kEtherIpv6;
        }
      }
      if (!ethertype) return std::nullopt;
      link_len = 4;
      break;
    }
    default:
      return std::nullopt;
  }

  // VLAN tags (Ethernet, and SLL where libpcap re-inserts them).
  while (ethertype &&
         (*ethertype == kEtherVlan || *ethertype == kEtherQinQ || *ethertype == kEtherQinQOld)) {
    if (!frame.Has(link_len, 4)) return std::nullopt;
    ethertype = frame.U16(link_len + 2);
    link_len += 4;
  }

  auto ip = frame.From(link_len);
  if (!ip) return std::nullopt;
  const size_t wire_ip_len = wire_len > link_len ? wire_len - link_len : 0;
  if (!ethertype) {
    if (linktype == DLT_IPV4) return ParseIpv4(*ip, wire_ip_len, std::move(out));
    if (linktype == DLT_IPV6) return ParseIpv6(*ip, wire_ip_len, std::move(out));
    return ParseIp(*ip, wire_ip_len, std::move(out));
  }
  if (*ethertype == kEtherIpv4) return ParseIpv4(*ip, wire_ip_len, std::move(out));
  if (*ethertype == kEtherIpv6) return ParseIpv6(*ip, wire_ip_len, std::move(out));
  return std::nullopt;
}

}  // namespace lingerlab

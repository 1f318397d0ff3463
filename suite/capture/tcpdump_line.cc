#include "suite/capture/tcpdump_line.h"

#include <cstdio>
#include <ctime>

namespace lingerlab {
namespace {

uint32_t Be32(const std::vector<uint8_t>& d, size_t at) {
  return (static_cast<uint32_t>(d[at]) << 24) | (static_cast<uint32_t>(d[at + 1]) << 16) |
         (static_cast<uint32_t>(d[at + 2]) << 8) | d[at + 3];
}

// tcpdump's names (tcp_option_values in print-tcp.c).
std::string OptionName(uint8_t kind) {
  switch (kind) {
    case 0:
      return "eol";
    case 1:
      return "nop";
    case 2:
      return "mss";
    case 3:
      return "wscale";
    case 4:
      return "sackOK";
    case 5:
      return "sack";
    case 6:
      return "echo";
    case 7:
      return "echoreply";
    case 8:
      return "TS";
    case 11:
      return "cc";
    case 12:
      return "ccnew";
    case 13:
      return "ccecho";
    case 19:
      return "md5";
    case 28:
      return "uto";
    case 29:
      return "tcp-ao";
    case 30:
      return "mptcp";
    case 34:
      return "tfo";
    case 253:
    case 254:
      return "exp";
    default:
      return "unknown-" + std::to_string(kind);
  }
}

}  // namespace

TcpdumpRelative::Numbers TcpdumpRelative::Translate(const TcpPacket& p) {
  Numbers n{p.seq, p.ack, 0};
  if (!(p.flags & kTcpAck)) return n;
  // tcpdump orders by port, then address (it compares raw address bytes; the
  // text compare differs only for equal ports, i.e. never client vs server).
  const bool rev = p.src_port > p.dst_port || (p.src_port == p.dst_port && p.src > p.dst);
  const auto key = rev ? std::make_tuple(p.dst, p.dst_port, p.src, p.src_port)
                       : std::make_tuple(p.src, p.src_port, p.dst, p.dst_port);
  auto it = bases_.find(key);
  if (it == bases_.end() || (p.flags & kTcpSyn)) {
    Bases b = rev ? Bases{p.ack - 1, p.seq} : Bases{p.seq, p.ack - 1};
    it = bases_.insert_or_assign(key, b).first;
  } else {
    n.seq -= rev ? it->second.ack : it->second.seq;
    n.ack -= rev ? it->second.seq : it->second.ack;
  }
  // SACK blocks are in the receiver's sequence space, like ack.
  n.sack_base = rev ? it->second.seq : it->second.ack;
  return n;
}

std::string TcpdumpFlags(uint8_t flags) {
  static constexpr struct {
    uint8_t bit;
    char letter;
  } kLetters[] = {{kTcpFin, 'F'}, {kTcpSyn, 'S'}, {kTcpRst, 'R'}, {kTcpPsh, 'P'},
                  {kTcpAck, '.'}, {kTcpUrg, 'U'}, {kTcpEce, 'E'}, {kTcpCwr, 'W'}};
  std::string text;
  for (const auto& l : kLetters)
    if (flags & l.bit) text += l.letter;
  return text.empty() ? "none" : text;
}

std::string TcpdumpOptions(const TcpPacket& p, uint32_t sack_base) {
  std::string out;
  for (const TcpOption& o : p.options) {
    if (!out.empty()) out += ",";
    out += OptionName(o.kind);
    const std::vector<uint8_t>& d = o.data;
    if (o.kind == 2 && d.size() == 2) {
      out += " " + std::to_string((d[0] << 8) | d[1]);
    } else if (o.kind == 3 && d.size() == 1) {
      out += " " + std::to_string(d[0]);
    } else if (o.kind == 8 && d.size() == 8) {
      out += " val " + std::to_string(Be32(d, 0)) + " ecr " + std::to_string(Be32(d, 4));
    } else if (o.kind == 5 && d.size() % 8 == 0) {
      out += " " + std::to_string(d.size() / 8) + " ";
      for (size_t i = 0; i < d.size(); i += 8)
        out += "{" + std::to_string(Be32(d, i) - sack_base) + ":" +
               std::to_string(Be32(d, i + 4) - sack_base) + "}";
    } else if (!d.empty()) {
      // Options tcpdump decodes further (md5, mptcp, tfo, ...) are shown as
      // their bytes: rare here, and the name still finds the packet.
      char hex[4];
      out += " ";
      for (uint8_t b : d) {
        std::snprintf(hex, sizeof hex, "%02x", b);
        out += hex;
      }
    }
  }
  if (p.options_malformed) out += std::string(out.empty() ? "" : ",") + "[bad opt]";
  return out;
}

std::string TcpdumpLine(const TcpPacket& p, TcpdumpRelative& relative) {
  const TcpdumpRelative::Numbers n = relative.Translate(p);
  const bool v6 = p.src.find(':') != std::string::npos;
  std::string out = std::string(v6 ? "IP6 " : "IP ") + p.src + "." + std::to_string(p.src_port) +
                    " > " + p.dst + "." + std::to_string(p.dst_port) + ": Flags [" +
                    TcpdumpFlags(p.flags) + "]";
  if (p.payload_len > 0 || (p.flags & (kTcpSyn | kTcpFin | kTcpRst))) {
    out += ", seq " + std::to_string(n.seq);
    if (p.payload_len > 0)
      out += ":" + std::to_string(static_cast<uint32_t>(n.seq + p.payload_len));
  }
  if (p.flags & kTcpAck) out += ", ack " + std::to_string(n.ack);
  out += ", win " + std::to_string(p.window);
  if (p.flags & kTcpUrg) out += ", urg " + std::to_string(p.urgent);
  if (!p.options.empty() || p.options_malformed)
    out += ", options [" + TcpdumpOptions(p, n.sack_base) + "]";
  out += ", length " + std::to_string(p.payload_len);
  return out;
}

std::string TcpdumpTime(int64_t t_ns) {
  int64_t sec = t_ns / 1000000000;
  int64_t ns = t_ns % 1000000000;
  if (ns < 0) {
    ns += 1000000000;
    --sec;
  }
  const time_t s = static_cast<time_t>(sec);
  struct tm tm {};
  localtime_r(&s, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%06d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ns / 1000));
  return buf;
}

}  // namespace lingerlab

#include "agents/platform/tcp_table.h"

#include <array>
#include <optional>

namespace lingerlab {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The value of 1..7 hex digits (so it fits an int), or -1. Plain ints, not
// std::optional: GCC 12 warns falsely (-Wmaybe-uninitialized) on those here.
int Hex(std::string_view s) {
  if (s.empty() || s.size() > 7) return -1;
  int v = 0;
  for (char c : s) {
    const int d = HexDigit(c);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// "0100007F:1F90" (IPv4: 8 hex digits) or 32 hex digits (IPv6), a colon and
// the port as 4 hex digits; returns the port, or -1.
int EndpointPort(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos || (colon != 8 && colon != 32)) return -1;
  for (char c : s.substr(0, colon))
    if (HexDigit(c) < 0) return -1;
  const std::string_view port = s.substr(colon + 1);
  return port.size() == 4 ? Hex(port) : -1;
}

// Splits a line into its first `n` whitespace-separated fields; false if
// it has fewer.
template <size_t N>
bool Fields(std::string_view line, std::array<std::string_view, N>* out) {
  size_t i = 0;
  for (auto& f : *out) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (start == i) return false;
    f = line.substr(start, i - start);
  }
  return true;
}

// One data line: "  0: 0100007F:1F90 0100007F:C350 01 ...". The header line
// ("  sl  local_address ...") fails the first field's check.
std::optional<TcpTableEntry> ParseLine(std::string_view line) {
  std::array<std::string_view, 4> f;
  if (!Fields(line, &f)) return std::nullopt;
  const std::string_view slot = f[0];
  if (slot.size() < 2 || slot.back() != ':') return std::nullopt;
  for (char c : slot.substr(0, slot.size() - 1))
    if (c < '0' || c > '9') return std::nullopt;
  const int local = EndpointPort(f[1]);
  const int remote = EndpointPort(f[2]);
  const int state = f[3].size() == 2 ? Hex(f[3]) : -1;
  if (local < 0 || remote < 0 || state < 1 || state > 11) return std::nullopt;
  return TcpTableEntry{state, local, remote};
}

}  // namespace

std::string TcpStateName(int state) {
  static constexpr std::array<const char*, 12> kNames = {
      "unknown",   "ESTABLISHED", "SYN_SENT",   "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
      "TIME_WAIT", "CLOSE",       "CLOSE_WAIT", "LAST_ACK", "LISTEN",    "CLOSING"};
  return state >= 1 && state <= 11 ? kNames[static_cast<size_t>(state)] : kNames[0];
}

void ParseProcNetTcp(std::string_view text, int port, size_t max, std::vector<TcpTableEntry>* out) {
  size_t pos = 0;
  while (pos < text.size() && out->size() < max) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() > kMaxTcpTableLine) continue;
    auto e = ParseLine(line);
    if (e && e->local_port == port && e->state != kTcpStateListen) out->push_back(*e);
  }
}

}  // namespace lingerlab

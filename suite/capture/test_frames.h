// Test-only builders for synthetic frames: TCP segments wrapped in IPv4/IPv6
// and the link layers ParseFrame knows. Checksums are left zero (nothing in
// the capture module verifies them; tshark only flags them as unverified).
// A bad argument (an unparsable address) fails the calling test.
#pragma once

#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "suite/capture/packet.h"

namespace lingerlab::test_frames {

using Frame = std::vector<uint8_t>;

inline void Put16(Frame& f, uint16_t v) {
  f.push_back(static_cast<uint8_t>(v >> 8));
  f.push_back(static_cast<uint8_t>(v & 0xFF));
}
inline void Put32(Frame& f, uint32_t v) {
  Put16(f, static_cast<uint16_t>(v >> 16));
  Put16(f, static_cast<uint16_t>(v & 0xFFFF));
}
inline Frame Concat(Frame a, const Frame& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct TcpSpec {
  uint16_t sport = 40000, dport = 5001;
  uint32_t seq = 1000, ack = 0;
  uint8_t flags = kTcpSyn;
  uint16_t window = 64240;
  std::optional<uint16_t> mss;
  std::optional<uint8_t> wscale;
  bool timestamps = false;  // adds NOP NOP TS (12 bytes), like Linux does
  size_t payload = 0;       // payload bytes appended ('x')
};

// A TCP header (options padded with NOPs to a multiple of 4) plus payload.
inline Frame Tcp(const TcpSpec& s) {
  Frame opts;
  if (s.mss) {
    opts.insert(opts.end(), {2, 4});
    Put16(opts, *s.mss);
  }
  if (s.timestamps) {
    opts.insert(opts.end(), {1, 1, 8, 10});
    Put32(opts, 123456);
    Put32(opts, 0);
  }
  if (s.wscale) opts.insert(opts.end(), {1, 3, 3, *s.wscale});
  while (opts.size() % 4 != 0) opts.push_back(1);
  Frame f;
  Put16(f, s.sport);
  Put16(f, s.dport);
  Put32(f, s.seq);
  Put32(f, s.ack);
  f.push_back(static_cast<uint8_t>(((20 + opts.size()) / 4) << 4));
  f.push_back(s.flags);
  Put16(f, s.window);
  Put16(f, 0);  // checksum
  Put16(f, 0);  // urgent pointer
  f = Concat(f, opts);
  f.insert(f.end(), s.payload, 'x');
  return f;
}

// An 8-byte UDP header plus `payload` bytes.
inline Frame Udp(uint16_t sport, uint16_t dport, size_t payload) {
  Frame f;
  Put16(f, sport);
  Put16(f, dport);
  Put16(f, static_cast<uint16_t>(8 + payload));
  Put16(f, 0);
  f.insert(f.end(), payload, 'u');
  return f;
}

inline void PutAddress(Frame& f, int family, const std::string& text) {
  uint8_t buf[16] = {};
  if (inet_pton(family, text.c_str(), buf) != 1) ADD_FAILURE() << "bad address " << text;
  f.insert(f.end(), buf, buf + (family == AF_INET ? 4 : 16));
}

// `frag` is the flags+fragment-offset field: 0x4000 = DF, 0x2000 = MF,
// low 13 bits = offset in 8-byte units.
inline Frame Ipv4(const std::string& src, const std::string& dst, const Frame& l4,
                  uint8_t proto = 6, uint16_t frag = 0x4000) {
  Frame f = {0x45, 0};
  Put16(f, static_cast<uint16_t>(20 + l4.size()));
  Put16(f, 0x1234);  // id
  Put16(f, frag);
  f.push_back(64);  // ttl
  f.push_back(proto);
  Put16(f, 0);  // checksum
  PutAddress(f, AF_INET, src);
  PutAddress(f, AF_INET, dst);
  return Concat(f, l4);
}

// `ext` are complete extension headers placed between the fixed header and
// `l4`; `first_next` is the next-header value naming the first of them (or
// the L4 protocol when there are none).
inline Frame Ipv6(const std::string& src, const std::string& dst, const Frame& l4,
                  uint8_t first_next = 6, const Frame& ext = {}) {
  Frame f = {0x60, 0, 0, 0};
  Put16(f, static_cast<uint16_t>(ext.size() + l4.size()));
  f.push_back(first_next);
  f.push_back(64);  // hop limit
  PutAddress(f, AF_INET6, src);
  PutAddress(f, AF_INET6, dst);
  return Concat(Concat(f, ext), l4);
}

// Ethernet II with the given VLAN tag protocol ids (outermost first).
inline Frame Ethernet(const Frame& l3, uint16_t ethertype, const std::vector<uint16_t>& tags = {}) {
  Frame f = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
  for (uint16_t tpid : tags) {
    Put16(f, tpid);
    Put16(f, 0x0064);  // priority 0, VLAN 100; the next type follows
  }
  Put16(f, ethertype);
  return Concat(f, l3);
}

inline Frame Sll(const Frame& l3, uint16_t ethertype) {
  Frame f;
  Put16(f, 0);    // packet type: to us
  Put16(f, 772);  // ARPHRD_LOOPBACK
  Put16(f, 6);    // address length
  f.insert(f.end(), 8, 0);
  Put16(f, ethertype);
  return Concat(f, l3);
}

inline Frame Sll2(const Frame& l3, uint16_t ethertype) {
  Frame f;
  Put16(f, ethertype);
  Put16(f, 0);     // reserved
  Put32(f, 1);     // interface index
  Put16(f, 772);   // ARPHRD_LOOPBACK
  f.push_back(0);  // packet type
  f.push_back(6);  // address length
  f.insert(f.end(), 8, 0);
  return Concat(f, l3);
}

// DLT_NULL/DLT_LOOP: a 4-byte address family, in the given byte order.
inline Frame BsdLoopback(const Frame& l3, uint32_t family, bool little_endian) {
  Frame f;
  if (little_endian) {
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<uint8_t>(family >> (8 * i)));
  } else {
    Put32(f, family);
  }
  return Concat(f, l3);
}

}  // namespace lingerlab::test_frames

// Internal to the capture module: ownership and timestamp helpers shared by
// the libpcap file reader and the live capture. Not for other modules; they
// see only TcpPacket.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>

namespace lingerlab::capture_internal {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;

struct DumperCloser {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};
using DumperPtr = std::unique_ptr<pcap_dumper_t, DumperCloser>;

// A pcap header timestamp in nanoseconds since the epoch. With nanosecond
// precision libpcap stores nanoseconds in the field named tv_usec.
inline int64_t TimestampNs(const timeval& ts, int precision) {
  const int64_t frac = static_cast<int64_t>(ts.tv_usec);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 +
         (precision == PCAP_TSTAMP_PRECISION_NANO ? frac : frac * 1000);
}

}  // namespace lingerlab::capture_internal

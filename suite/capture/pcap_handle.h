// Internal to the capture module: ownership and timestamp helpers shared by
// the libpcap file reader and the live capture. Not for other modules; they
// see only TcpPacket.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <memory>

#include "agents/platform/pcap_live.h"

namespace lingerlab::capture_internal {

using pcap_live::DumperPtr;
using pcap_live::PcapPtr;

// A pcap header timestamp in nanoseconds since the epoch. With nanosecond
// precision libpcap stores nanoseconds in the field named tv_usec.
inline int64_t TimestampNs(const timeval& ts, int precision) {
  const int64_t frac = static_cast<int64_t>(ts.tv_usec);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 +
         (precision == PCAP_TSTAMP_PRECISION_NANO ? frac : frac * 1000);
}

}  // namespace lingerlab::capture_internal

// CaptureSource: one running packet capture, whatever records it. The libpcap
// live capture (pcap_capture.h) is the first backend; later ones (gVisor's own
// pcap, a tcpdump on a remote host) implement the same interface so the
// coordinator does not care where packets come from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agents/base/result.h"
#include "suite/capture/packet.h"

namespace lingerlab {

class CaptureSource {
 public:
  virtual ~CaptureSource() = default;

  // Begins capturing. Returns only once the capture is active (no packet
  // after Start() returns is missed), or with an error.
  virtual Status Start() = 0;

  // Stops capturing (idempotent), drains what the kernel buffered, flushes
  // and closes the pcap file. Returns an error if the capture failed along
  // the way (the packets captured until then are kept).
  virtual Status Stop() = 0;

  // TCP packets captured so far (a copy; safe to call after Stop()).
  virtual std::vector<TcpPacket> Packets() const = 0;

  // Packets the kernel reported as dropped, 0 if unknown.
  virtual uint64_t Dropped() const = 0;
};

// What to capture. Backends that cannot honour a field fail when opened.
struct PcapCaptureOptions {
  std::string interface;   // e.g. "eth0"
  std::string netns_path;  // "" = the caller's network namespace; else e.g. "/run/netns/NAME"
  std::string bpf_filter;  // e.g. "tcp and host 198.18.0.1 and port 5001"; "" = everything
  std::string pcap_path;   // file to write (pcap, nanosecond timestamps); "" = no file
  int snaplen = 256;       // bytes kept per frame; headers are enough
  // The kernel's capture buffer (libpcap's ring). It is mapped whole into
  // our memory for every live capture: 340 at once in a `--repeat 10` run,
  // where 256 KiB rings were 85 of the coordinator's 104 MiB. A case's
  // connection is a few hundred packets at most and the poller drains the
  // ring as packets arrive, so 128 KiB (~250 frames at this snaplen) leaves
  // a wide margin. Drops would show in Dropped() and in capture.dropped.
  int buffer_bytes = 128 * 1024;
};

}  // namespace lingerlab

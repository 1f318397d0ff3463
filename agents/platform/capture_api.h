// CaptureApi: packet capture by the agent on its own host (doc/protocol.md
// §3.2, ops capture_start / capture_stop / capture_read). A remote case
// cannot be captured by the coordinator, so the server agent records into
// a temporary pcap file and hands the bytes back over the control channel.
//
// Implementations: libpcap (capture_pcap.cc), and a null one that always
// answers "unavailable" (capture_null.cc), for builds without libpcap and
// for fakes. MakeNativeCaptureApi() returns whichever this build has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agents/base/result.h"

namespace lingerlab {

struct CaptureOptions {
  std::string interface;  // where to capture (see InterfaceHoldingAddress)
  std::string filter;     // BPF text
  int snaplen = 256;
  int buffer_bytes = 256 * 1024;                 // the kernel's capture buffer
  int timeout_ms = 100;                          // libpcap's read timeout / the poll interval
  uint64_t max_file_bytes = uint64_t{64} << 20;  // later frames are not written
};

// What an active capture got (it may differ from what was asked: the
// precision is nanoseconds only where the OS and libpcap offer it).
struct CaptureInfo {
  std::string interface;
  std::string link_type;  // pcap_datalink_val_to_name, e.g. "EN10MB", "NULL"
  int snaplen = 0;
  std::string precision;  // "ns" or "us": the pcap file's timestamps
};

struct CaptureSummary {
  uint64_t bytes = 0;               // pcap file size, global header included
  uint64_t packets = 0;             // frames written to the file
  std::optional<uint64_t> dropped;  // pcap_stats ps_drop, if the OS says
  bool truncated = false;           // the file reached max_file_bytes; later frames were lost
};

// One capture: recording from construction until Stop(); then readable.
// Destroying it stops the recording thread, closes the handle and the file;
// the file was unlinked when created, so nothing is left behind.
class Capture {
 public:
  virtual ~Capture() = default;
  virtual const CaptureInfo& info() const = 0;
  // Stops recording and flushes the file. A second call returns the same
  // summary. kFailed if writing the file failed (the message says why).
  virtual Result<CaptureSummary> Stop() = 0;
  // Up to `len` bytes of the file from `offset` (after Stop(); offset at
  // most the size). Returns the count; 0 at the end.
  virtual Result<size_t> Read(uint64_t offset, char* buf, size_t len) = 0;
};

class CaptureApi {
 public:
  virtual ~CaptureApi() = default;
  // Returns once the capture is active: every matching frame from then on
  // is recorded. Fails with
  //   kInvalidInput  the filter does not compile (the message has libpcap's reason)
  //   kUnsupported   no capture in this build
  //   kPermission    no privilege to capture (CAP_NET_RAW, or /dev/bpf access)
  //   kNotFound      no such interface
  //   kFailed        anything else (the message says what)
  virtual Result<std::unique_ptr<Capture>> Start(const CaptureOptions& options) = 0;
};

// libpcap where the build has it, else the null implementation.
std::unique_ptr<CaptureApi> MakeNativeCaptureApi();
// Always fails Start() with kUnsupported.
std::unique_ptr<CaptureApi> MakeNullCaptureApi();

// The name of the interface that holds `address` (an IPv4 or IPv6 literal)
// on this host, found with getifaddrs(). kInvalidInput if `address` is not an
// IP literal, kNotFound if no interface holds it, kFailed if the OS cannot
// list interfaces. (net_interfaces_posix.cc)
Result<std::string> InterfaceHoldingAddress(const std::string& address);

}  // namespace lingerlab

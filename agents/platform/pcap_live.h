// Opening a live libpcap capture: one implementation for the agent's own
// capture (capture_pcap.cc) and the coordinator's capture in a namespace
// (suite/capture/pcap_capture.cc). Built only with libpcap.
#pragma once

#include <pcap/pcap.h>

#include <memory>
#include <string>

#include "agents/base/result.h"

namespace lingerlab::pcap_live {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;

struct DumperCloser {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};
using DumperPtr = std::unique_ptr<pcap_dumper_t, DumperCloser>;

struct ProgramFree {
  void operator()(bpf_program* p) const {
    pcap_freecode(p);
    delete p;
  }
};
using ProgramPtr = std::unique_ptr<bpf_program, ProgramFree>;

struct LiveOptions {
  std::string interface;
  std::string where;  // for messages: "in network namespace X", or ""
  int snaplen = 256;
  int buffer_bytes = 0;  // the kernel's ring; 0: libpcap's default
  int timeout_ms = 0;    // libpcap's read timeout; 0: none
  std::string filter;    // BPF text; "": everything
};

struct LiveHandle {
  PcapPtr pcap;
  // The installed filter, kept for pcap_offline_filter(): frames that reached
  // the socket between activation and pcap_setfilter() were not filtered by
  // the kernel and must be filtered again by the reader.
  ProgramPtr filter;
  int linktype = 0;
  int precision = PCAP_TSTAMP_PRECISION_MICRO;  // what the kernel gave
};

// Creates and activates a capture on `interface`: not promiscuous, immediate
// mode (frames are handed over as they come, not in blocks), nanosecond
// timestamps where offered, non-blocking, with the filter installed. Fails
// with kPermission (no CAP_NET_RAW / BPF device access), kNotFound (no such
// interface), kInvalidInput (a filter libpcap cannot compile, with its
// message), kFailed (an interface that is down, or any other libpcap error).
Result<LiveHandle> OpenLive(const LiveOptions& options);

// Whether `header`'s frame passes the handle's filter (true without one).
inline bool PassesFilter(const LiveHandle& h, const pcap_pkthdr* header, const u_char* bytes) {
  return !h.filter || pcap_offline_filter(h.filter.get(), header, bytes) != 0;
}

}  // namespace lingerlab::pcap_live

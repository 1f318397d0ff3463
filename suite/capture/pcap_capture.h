// The libpcap live capture: a CaptureSource that records one interface,
// optionally inside another network namespace, and writes a pcap file.
#pragma once

#include <memory>

#include "agents/base/result.h"
#include "suite/capture/capture_source.h"

namespace lingerlab {

// Opens and activates a live capture on options.interface, with
// options.bpf_filter installed, and opens options.pcap_path for writing. The
// handle is opened on a dedicated thread that first setns()es into
// options.netns_path, and that thread keeps running there until Stop(); the
// caller's own namespace is never changed. The kernel buffers matching
// packets from the moment this returns; Start() begins consuming them (and
// keeps those that arrived in between).
//
// Uses immediate mode, nanosecond timestamps where the kernel offers them
// (the file is always written with nanosecond precision), and a poll() loop
// so Stop() returns within a few milliseconds.
//
// Fails with: kPermission (no CAP_NET_RAW, or no CAP_SYS_ADMIN to enter the
// namespace: run as root), kNotFound (no such interface or namespace),
// kInvalidInput (bad filter, with libpcap's text; empty interface name),
// kUnsupported (a link type ParseFrame does not know), kFailed (the pcap
// file cannot be opened, or another libpcap error; the message says which).
Result<std::unique_ptr<CaptureSource>> OpenPcapCapture(const PcapCaptureOptions& options);

}  // namespace lingerlab

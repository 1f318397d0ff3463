// The libpcap live capture: a CaptureSource that records one interface,
// optionally inside another network namespace, and writes a pcap file.
#pragma once

#include <memory>

#include "agents/base/result.h"
#include "suite/capture/capture_source.h"

namespace lingerlab {

// Opens and activates a live capture on options.interface, with
// options.bpf_filter installed, and opens options.pcap_path for writing. When
// options.netns_path is given the handle is opened on a short-lived thread
// that setns()es there (the packet socket stays in that namespace); the
// caller's own namespace is never changed. The kernel buffers matching
// packets from the moment this returns; Start() hands the handle to the
// process's CapturePoller (capture_poller.h), whose one thread consumes the
// packets of every started capture, and keeps those that arrived in between.
// Stop() takes the handle back (waiting for at most one batch of frames),
// drains the kernel buffer, and flushes the file on the caller's thread.
//
// Uses immediate mode (the kernel hands each frame over as it comes, so none
// waits in a half-filled block at Stop()) and nanosecond timestamps where the
// kernel offers them (the file is always written with nanosecond precision).
//
// Fails with: kPermission (no CAP_NET_RAW, or no CAP_SYS_ADMIN to enter the
// namespace: run as root), kNotFound (no such interface or namespace),
// kInvalidInput (bad filter, with libpcap's text; empty interface name),
// kUnsupported (a link type ParseFrame does not know), kFailed (the pcap
// file cannot be opened, or another libpcap error; the message says which).
Result<std::unique_ptr<CaptureSource>> OpenPcapCapture(const PcapCaptureOptions& options);

}  // namespace lingerlab

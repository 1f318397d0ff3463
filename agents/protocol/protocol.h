// Constants of the control protocol. The protocol itself is specified in
// doc/protocol.md; every number here is named there.
#pragma once

#include <cstddef>
#include <cstdint>

#include "agents/base/bounded_json.h"
#include "agents/base/clock.h"

namespace lingerlab::protocol {

constexpr int kVersion = 1;
constexpr size_t kMaxFrameBytes = 1 << 20;  // doc/protocol.md §1
constexpr size_t kFrameHeaderBytes = 4;
// Deepest nesting of arrays and objects in a frame body (doc/protocol.md §1):
// deeper is malformed_frame, decided before any value is built.
constexpr size_t kMaxFrameDepth = kMaxJsonDepth;

// doc/protocol.md §6.
constexpr int64_t kHandshakeTimeout = 5 * kNsPerSec;
constexpr int64_t kReplyMargin = 10 * kNsPerSec;
// From a frame's first byte to its last, however the bytes trickle in.
constexpr int64_t kFrameReadTimeout = 5 * kNsPerSec;
// Sending one frame: a peer that stops reading (or reads a byte at a time)
// cannot hold the sender. Generous, as a large reply (a read event of 10,000
// entries, ~300 KB) may cross a slow link to a remote agent.
constexpr int64_t kFrameWriteTimeout = 30 * kNsPerSec;
// A --listen session with no request for this long is dropped, so an idle
// or vanished coordinator cannot hold the agent. Longer than any gap between
// requests of a full-fidelity run: the server agent waits through the
// idle-client phase (300 s in the matrix, up to kMaxStepMs in a matrix of the
// user's: the article also idled 30 minutes), the settle time and the
// client's whole read.
constexpr int64_t kListenIdleTimeout = 45 * 60 * kNsPerSec;
// doc/protocol.md §7: a --listen agent serves one lease (a coordinator's run)
// at a time. The lease stays held this long after its last session ends, so
// a run's next case is not taken by another coordinator between cases.
constexpr int64_t kLeaseGrace = 30 * kNsPerSec;
// Connections a --listen agent holds at once, handshakes in progress
// included (a run opens one per case; the matrix has 34): more get `busy`.
constexpr size_t kMaxListenSessions = 48;

// doc/protocol.md §3.3: per-session and per-step bounds of the agent.
// Longest a single step may wait or sleep (pause, read, accept): the
// matrix's idle phase is 300 s at full fidelity, and the article's longest
// was 30 minutes; matrix files are held to this bound when loaded.
constexpr int64_t kMaxStepMs = 35 * 60 * 1000;
// Sockets a session may hold open at once (the matrix uses three).
constexpr size_t kMaxSockets = 64;
// Handle names: 1..kMaxHandleBytes of [A-Za-z0-9_.-].
constexpr size_t kMaxHandleBytes = 64;
// Peer text (a role, an op, a value) echoed back in a reply or error is cut
// to this many bytes, so an echo never outgrows a frame.
constexpr size_t kMaxEchoBytes = 200;

// doc/protocol.md §3.2-3.3: capture by the agent (capture_start/_stop/_read).
// The pcap file stops growing at this size; later frames are counted as lost
// (`truncated`). 64 MiB holds ~230,000 frames of kCaptureSnaplen, far beyond
// a case's few hundred.
constexpr uint64_t kMaxCaptureBytes = uint64_t{64} << 20;
// Largest capture_read: 256 KiB is ~350 KB of base64, well inside a frame.
constexpr size_t kMaxCaptureChunk = size_t{256} << 10;
// BPF filter text of capture_start: 1..kMaxCaptureFilterBytes.
constexpr size_t kMaxCaptureFilterBytes = 1024;
// Interface name of capture_start: 1..kMaxInterfaceBytes, no NUL, '/' or space.
constexpr size_t kMaxInterfaceBytes = 64;
// How the agent opens libpcap: headers are all the classifier reads (Ethernet
// 14 + IPv6 40 + TCP 60 < 256), the kernel buffer holds a case's frames, and
// the capture thread looks for frames at least every kCaptureTimeoutMs.
constexpr int kCaptureSnaplen = 256;
constexpr int kCaptureBufferBytes = 256 << 10;
constexpr int kCaptureTimeoutMs = 100;

}  // namespace lingerlab::protocol

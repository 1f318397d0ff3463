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
// Authenticated sessions a --listen agent serves at once (a run opens one
// per case; the matrix has 34): more get `busy`. Handshakes in progress do
// not count here: peers without the key held these slots (issue 17).
constexpr size_t kMaxListenSessions = 48;

// doc/protocol.md §7.5: connections of a --listen agent before they
// authenticate. A coordinator needs one round trip once its handshake has
// started (its auth request is already waiting in the socket); a peer
// without the key can only hold a slot. So the agent runs few handshakes at
// once, lets further connections wait without a thread, and under pressure
// takes a slot back from a handshake that had its time, so that a flood,
// even from the coordinator's own address, delays a coordinator but cannot
// keep it out.
//
// Handshakes in progress at once, each on its own thread: 16 bounds the
// threads and buffers an unauthenticated flood can make the agent hold, and
// is enough that a run's burst of parallel cases proceeds 16 at a time, so
// the burst of 48 takes three round trips and evicts none of its own.
constexpr size_t kMaxListenHandshakes = 16;
// While connections from other addresses wait, a freed slot goes first to
// the longest-waiting connection whose address holds fewer than this many
// handshakes, and a slot is taken back only from the waiting connection's
// own address or from one holding more, the one holding the most first:
// one address cannot keep others out. 4 is a quarter of the slots, and a
// coordinator needs only one to get in. It is a share, not a cap: an
// address alone may use every slot (a cap would leave slots idle while its
// own connections wait), as a run's burst and a flood from the
// coordinator's own address both come from one address.
constexpr size_t kMaxListenHandshakesPerAddress = 4;
// Connections accepted and waiting for a handshake slot: each holds only a
// descriptor (no thread, nothing read) until a slot is free or its
// handshake deadline (kHandshakeTimeout from the connection) passes. Beyond
// this many, the newest waiting connection of the address with the most
// waiting is refused (`busy`) at once. 128 holds a run's burst of 48 and a
// flood of a hundred connections from one address in first-come order, and
// drains in 128 / 32 = 4 s at the rate kHandshakeEvictAfter allows: a longer
// queue would hold connections that could not start within their deadline.
constexpr size_t kMaxListenWaiting = 128;
// While connections wait and no slot is free, a handshake that has had this
// long since it started is ended (`busy`) and its slot given to the next
// waiting connection, oldest handshake first. 500 ms is far more than a
// coordinator's one round trip on any terrestrial link, and lets 16 slots
// take 32 new handshakes a second: a coordinator behind a hundred flooding
// connections waits (100 - 16) / 32 s = 2.6 s, inside its own
// kHandshakeTimeout.
constexpr int64_t kHandshakeEvictAfter = 500 * kNsPerMs;
// No shorter deadline before authentication than kHandshakeTimeout (from
// the connection, waiting included): the coordinator gives up at the same
// time, a handshake that nobody waits for costs nothing, and one that
// somebody waits for is bounded by kHandshakeEvictAfter already.

// doc/protocol.md §3.3: per-session and per-step bounds of the agent.
// Longest a single step may wait or sleep (pause, read, accept): the
// matrix's idle phase is 300 s at full fidelity, and the article's longest
// was 30 minutes; matrix files are held to this bound when loaded.
constexpr int64_t kMaxStepMs = 35 * 60 * 1000;
// Sockets a session may hold open at once (the matrix uses three).
constexpr size_t kMaxSockets = 64;
// Child processes holding a socket (hand_to_child) a session may have at
// once: each is a process on the host under test.
constexpr size_t kMaxChildren = 8;
// fork_close waits this long for its child, which exits at once; then it
// is killed and reaped (the event's end: "limit").
constexpr int64_t kForkCloseLimitMs = 5000;
// Entries one socket_table event lists.
constexpr size_t kMaxTableEntries = 64;
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

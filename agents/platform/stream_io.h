// Blocking-with-deadline I/O on a stream descriptor, used by the control
// channel (not by test sockets, whose calls go through SocketApi).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <string>

#include "agents/base/result.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab {

// Reads up to `cap` bytes into `buf`, waiting at most `timeout_ns` (< 0: forever)
// for the first byte. Returns the count; 0 means end of stream.
// Fails with kTimeout when nothing came in time, kFailed on a read error.
Result<size_t> ReadSome(int fd, char* buf, size_t cap, int64_t timeout_ns);

// Writes all of `data`, retrying partial writes and EINTR, within
// `timeout_ns` (< 0: no bound) of the call for a socket. Never raises
// SIGPIPE. Fails with kClosed if the peer is gone, kTimeout if a socket peer
// did not take all of it in time (what was written stays written).
Status WriteAll(int fd, std::string_view data, int64_t timeout_ns = -1);

// Creates a connected pair of stream sockets for a local control channel.
// Both ends are close-on-exec; the caller clears it on the end it hands over.
Status MakeStreamPair(int fds[2]);

// Clears close-on-exec, so the descriptor survives exec into an agent.
Status ClearCloseOnExec(int fd);

// The connected peer's "addr:port", or "unknown peer".
std::string PeerAddress(int fd);
// shutdown(): the write side only (send a FIN), or both directions.
void ShutdownStream(int fd, bool both);
// shutdown() of the receive side only: a thread waiting to read `fd` sees
// the end of the stream (on POSIX at once; on Windows a WSAPoll already
// waiting may only see it at its timeout), and the socket can still send,
// so the reader can answer with an error frame before it closes.
void ShutdownReceive(int fd);
// Whether `fd` is still an open descriptor (a listener not closed under us).
bool IsOpenDescriptor(int fd);
// A second descriptor for the same socket, or an invalid one where the OS
// cannot duplicate it (callers must cope).
UniqueFd DuplicateFd(int fd);

}  // namespace lingerlab

namespace lingerlab {

// Control channels over TCP (remote agents). `address` is an IPv4 or IPv6
// literal; a port outside 0..65535 is kInvalidInput, never cut to 16 bits.
// ListenTcp binds with SO_REUSEADDR; port 0 picks a free port, which
// LocalPort() reports.
Result<UniqueFd> ListenTcp(const std::string& address, int port);
// ListenTcp's backlog: connections the kernel completes and queues before
// the listener accepts them. Beyond it a SYN is dropped and the client
// tries again only after its retransmission timeout (1 s, then 3 s ...), so
// a small backlog (it was 8) stalled every connection after a burst: a
// coordinator run opens one per case at once, and a flood of connections
// queues ahead of the coordinator's. The listener accepts as fast as it can
// and decides on each connection itself (agent/listener.h); the queue only
// absorbs bursts, and a queued connection costs the kernel a socket.
// Systems cut it to their own limit (Linux: net.core.somaxconn, 4096).
constexpr int kListenBacklog = 1024;
Result<int> LocalPort(int fd);
// Waits up to `timeout_ns` (< 0: forever) for a connection; kTimeout if none.
Result<UniqueFd> AcceptControl(int listen_fd, int64_t timeout_ns = -1);
Result<UniqueFd> ConnectTcp(const std::string& address, int port, int64_t timeout_ns);

}  // namespace lingerlab

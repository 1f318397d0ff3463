// SocketApi: every call the agent makes on a *test* socket, behind one
// interface, so BSD, macOS, illumos and Winsock differ in one small layer.
//
// Each method performs exactly one OS call (or a poll + call where a bound is
// given) and returns what the OS said: the return value and a portable error.
// A failure is data, never an exception: the agent records it as an outcome.
#pragma once

#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lingerlab {

// Handle for an OS socket (an int on POSIX, a SOCKET on Windows).
using SocketHandle = int64_t;

struct SysResult {
  int64_t ret = 0;  // what the call returned (-1 on POSIX failure)
  int err = 0;      // the OS error number, 0 on success
  // Set only by an implementation that lacks the call altogether (the
  // defaults below): the step's event then says "unsupported": true, so the
  // coordinator can tell "this platform cannot" from "the call failed".
  bool unsupported = false;
  bool ok() const { return err == 0 && ret >= 0; }
};

// What an implementation without the call returns: EOPNOTSUPP for an
// operation, ENOPROTOOPT for a socket option.
inline SysResult Unsupported(int err = EOPNOTSUPP) { return SysResult{-1, err, true}; }

enum class Family { kInet, kInet6 };
enum class ShutdownHow { kRead, kWrite, kBoth };
enum class IntOption { kReuseAddr, kSndBuf, kRcvBuf };

// Socket options at the TCP level (setsockopt/getsockopt ops).
enum class TcpIntOption { kUserTimeout, kLinger2 };

// TCP_INFO's fields a scenario reads. `state` uses Linux's tcpi_state
// numbering (1 ESTABLISHED .. 11 CLOSING, tcp_table.h names them).
struct TcpInfoSample {
  int state = 0;
  int64_t unacked = 0;      // tcpi_unacked: segments sent, not acknowledged
  int64_t retransmits = 0;  // tcpi_retransmits: consecutive retransmissions now
};

// One connection in the stack's socket table (Linux: /proc/net/tcp{,6}).
struct TcpTableEntry {
  int state = 0;  // tcpi_state numbering, as TcpInfoSample
  int local_port = 0;
  int remote_port = 0;
};

// poll() event bits, portable: each implementation maps its own.
enum PollBits : int {
  kPollIn = 1 << 0,
  kPollPri = 1 << 1,
  kPollOut = 1 << 2,
  kPollErr = 1 << 3,
  kPollHup = 1 << 4,
  kPollRdNorm = 1 << 5,
  kPollWrNorm = 1 << 6,
  kPollRdHup = 1 << 7,
  kPollNval = 1 << 8,
};

// How a held socket's process is ended (end_child).
enum class ChildEndHow { kExit, kKill };

struct ChildEnd {
  std::string status;  // "exited 0", "killed by signal 9", "unknown"
  bool limit = false;  // did not end within the limit: SIGKILLed and reaped
};

// A child process holding the last reference to a test socket
// (hand_to_child). Destroying a holder that was not ended kills the process
// and reaps it, so nothing outlives the session.
class SocketHolder {
 public:
  virtual ~SocketHolder() = default;
  virtual int64_t pid() const = 0;
  // Asks the child to exit (it then closes the socket as part of its exit)
  // or kills it, then waits until it is reaped or limit_ms passes (then
  // SIGKILL and reap). ret -1 + errno when the request could not be
  // delivered; the child is reaped all the same. Call at most once.
  virtual SysResult End(ChildEndHow how, int limit_ms, ChildEnd* out) = 0;
};

struct SocketQueues {
  std::optional<int64_t> outq;  // bytes not yet acknowledged by the peer
  std::optional<int64_t> inq;   // bytes received but not read
};

class SocketApi {
 public:
  virtual ~SocketApi() = default;

  virtual SysResult Socket(Family family) = 0;  // ret is the new handle
  virtual SysResult SetInt(SocketHandle s, IntOption opt, int value) = 0;
  virtual SysResult GetInt(SocketHandle s, IntOption opt) = 0;  // ret is the value
  virtual SysResult SetLinger(SocketHandle s, bool on, int seconds) = 0;
  // Reads SO_LINGER back: ret is seconds, or -2 when linger is off.
  virtual SysResult GetLinger(SocketHandle s) = 0;
  virtual SysResult Bind(SocketHandle s, const std::string& address, int port) = 0;
  virtual SysResult Listen(SocketHandle s, int backlog) = 0;
  // The socket's local "addr:port", or "" if the OS cannot say.
  virtual std::string LocalAddress(SocketHandle s) = 0;
  // Waits up to timeout_ms (< 0: forever) for a connection; `peer` gets "addr:port".
  virtual SysResult Accept(SocketHandle s, int timeout_ms, std::string* peer) = 0;
  virtual SysResult Connect(SocketHandle s, const std::string& address, int port) = 0;
  virtual SysResult Send(SocketHandle s, const char* data, size_t len) = 0;
  virtual SysResult Recv(SocketHandle s, char* buf, size_t cap) = 0;
  // Waits until `s` is readable (data, EOF or error) or timeout_ms passes.
  // ret is 1 when readable, 0 on timeout.
  virtual SysResult WaitReadable(SocketHandle s, int timeout_ms) = 0;
  virtual SysResult Shutdown(SocketHandle s, ShutdownHow how) = 0;
  virtual SysResult Close(SocketHandle s) = 0;
  virtual SocketQueues Queues(SocketHandle s) = 0;
  // Sets or clears O_NONBLOCK (FIONBIO on Winsock). An implementation that
  // cannot returns EOPNOTSUPP: recorded as the step's outcome like any error.
  virtual SysResult SetNonBlocking(SocketHandle s, bool on) {
    (void)s;
    (void)on;
    return Unsupported();
  }

  // The calls of the "close in every TCP state" ops. Each default says the
  // platform lacks it (Unsupported()); implementations override what their
  // OS has.

  // getsockopt(IPPROTO_TCP, TCP_INFO).
  virtual SysResult TcpInfo(SocketHandle s, TcpInfoSample* out) {
    (void)s;
    (void)out;
    return Unsupported();
  }
  // The stack's socket table: the entries (at most `max`) whose local port
  // is `port` and that are not listening.
  virtual SysResult TcpTable(int port, size_t max, std::vector<TcpTableEntry>* out) {
    (void)port;
    (void)max;
    (void)out;
    return Unsupported();
  }
  // dup(): ret is the new handle.
  virtual SysResult Dup(SocketHandle s) {
    (void)s;
    return Unsupported();
  }
  // poll() on one socket for `events` (PollBits); ret is poll's return and
  // *revents what came back (PollBits).
  virtual SysResult Poll(SocketHandle s, int events, int timeout_ms, int* revents) {
    (void)s;
    (void)events;
    (void)timeout_ms;
    (void)revents;
    return Unsupported();
  }
  // getsockopt(SO_ERROR): ret is the pending error (an errno number, 0 for
  // none), which the call clears.
  virtual SysResult GetSoError(SocketHandle s) {
    (void)s;
    return Unsupported(ENOPROTOOPT);
  }
  virtual SysResult SetTcpInt(SocketHandle s, TcpIntOption opt, int value) {
    (void)s;
    (void)opt;
    (void)value;
    return Unsupported(ENOPROTOOPT);
  }
  virtual SysResult GetTcpInt(SocketHandle s, TcpIntOption opt) {  // ret is the value
    (void)s;
    (void)opt;
    return Unsupported(ENOPROTOOPT);
  }
  // fork(); the child closes its copy of `s` and exits at once; the parent
  // waits up to limit_ms for it (then SIGKILL and reap) and keeps `s`.
  // ret is the child's pid.
  virtual SysResult ForkClose(SocketHandle s, int limit_ms, ChildEnd* out) {
    (void)s;
    (void)limit_ms;
    (void)out;
    return Unsupported();
  }
  // fork() a child that holds `s` until its holder is ended or destroyed.
  // The caller still owns its own copy of `s` (and closes it). ret is the
  // child's pid.
  virtual SysResult HandToChild(SocketHandle s, std::unique_ptr<SocketHolder>* out) {
    (void)s;
    (void)out;
    return Unsupported();
  }
};

// The implementation for the platform this binary was built for.
std::unique_ptr<SocketApi> MakeNativeSocketApi();

// Portable name of an OS error number ("ECONNRESET"), or "E<number>".
std::string ErrnoName(int err);

}  // namespace lingerlab

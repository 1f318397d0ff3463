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

namespace lingerlab {

// Handle for an OS socket (an int on POSIX, a SOCKET on Windows).
using SocketHandle = int64_t;

struct SysResult {
  int64_t ret = 0;  // what the call returned (-1 on POSIX failure)
  int err = 0;      // the OS error number, 0 on success
  bool ok() const { return err == 0 && ret >= 0; }
};

enum class Family { kInet, kInet6 };
enum class ShutdownHow { kRead, kWrite, kBoth };
enum class IntOption { kReuseAddr, kSndBuf, kRcvBuf };

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
    return SysResult{-1, EOPNOTSUPP};
  }
};

// The implementation for the platform this binary was built for.
std::unique_ptr<SocketApi> MakeNativeSocketApi();

// Portable name of an OS error number ("ECONNRESET"), or "E<number>".
std::string ErrnoName(int err);

}  // namespace lingerlab

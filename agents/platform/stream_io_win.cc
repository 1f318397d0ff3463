// stream_io.h on Winsock 2: the control channel over TCP (--listen), with
// WSAPoll for the deadlines. Control sockets are nonblocking after accept or
// connect, so a send never blocks past its deadline (Winsock has no
// MSG_DONTWAIT). There is no socketpair and no exec on Windows:
// MakeStreamPair and ClearCloseOnExec answer kUnsupported, and the agent's
// --control-fd mode is for POSIX labs only. Descriptors are SOCKETs held in
// an int (winsock_win.h).

#include <climits>
#include <string>

#include "agents/base/clock.h"
#include "agents/platform/socket_api.h"
#include "agents/platform/socket_errors_win.h"
#include "agents/platform/stream_io.h"
#include "agents/platform/unique_fd.h"
#include "agents/platform/winsock_win.h"

namespace lingerlab {
namespace {

SOCKET Sock(int fd) { return static_cast<SOCKET>(static_cast<unsigned int>(fd)); }

Error Sys(const std::string& what, int err = win::LastSocketErrno()) {
  return MakeError(ErrorCode::kFailed, what + ": " + ErrnoName(err));
}

// Milliseconds left until `deadline` (-1: none), at least 1 while time is
// left; 0 once it has passed.
int WaitMs(int64_t deadline) {
  if (deadline < 0) return -1;
  const int64_t left = deadline - MonotonicNs();
  if (left <= 0) return 0;
  const int64_t ms = (left + kNsPerMs - 1) / kNsPerMs;
  return ms > 1000000 ? 1000000 : static_cast<int>(ms);
}

// WSAPoll on one socket: > 0 ready, 0 timeout, < 0 error (errno in *err).
int PollOne(int fd, short events, int timeout_ms, int* err) {
  WSAPOLLFD p{};
  p.fd = Sock(fd);
  p.events = events;
  const int r = ::WSAPoll(&p, 1, timeout_ms);
  if (r == SOCKET_ERROR) *err = win::LastSocketErrno();
  return r;
}

void SetNonBlocking(SOCKET s, bool on) {
  u_long mode = on ? 1 : 0;
  ::ioctlsocket(s, FIONBIO, &mode);
}

// As EnableControlKeepalive on POSIX: keepalive probes after 30 s of
// silence, 10 s apart (Windows sends 10 probes; the count is not settable
// through this call), and no Nagle for small frames.
void EnableControlKeepalive(SOCKET s) {
  tcp_keepalive ka{};
  ka.onoff = 1;
  ka.keepalivetime = 30000;
  ka.keepaliveinterval = 10000;
  DWORD returned = 0;
  ::WSAIoctl(s, SIO_KEEPALIVE_VALS, &ka, sizeof(ka), nullptr, 0, &returned, nullptr, nullptr);
  BOOL on = TRUE;
  ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&on), sizeof(on));
}

Error BadPort(int port) {
  return MakeError(ErrorCode::kInvalidInput, "port " + std::to_string(port) + " outside 0..65535");
}

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::closesocket(Sock(fd_));
  fd_ = fd;
}

Result<size_t> ReadSome(int fd, char* buf, size_t cap, int64_t timeout_ns) {
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  const int n_cap = cap > INT_MAX ? INT_MAX : static_cast<int>(cap);
  for (;;) {
    const int wait_ms = WaitMs(deadline);
    if (wait_ms == 0) return MakeError(ErrorCode::kTimeout, "no data before the deadline");
    int err = 0;
    const int r = PollOne(fd, POLLRDNORM, wait_ms, &err);
    if (r < 0) {
      if (err == EINTR) continue;
      return Sys("WSAPoll", err);
    }
    if (r == 0) continue;  // the loop re-checks the deadline
    const int n = ::recv(Sock(fd), buf, n_cap, 0);
    if (n >= 0) return static_cast<size_t>(n);
    err = win::LastSocketErrno();
    if (err == EINTR || err == EWOULDBLOCK) continue;
    if (err == ECONNRESET || err == ECONNABORTED) return size_t{0};
    return Sys("recv", err);
  }
}

Status WriteAll(int fd, std::string_view data, int64_t timeout_ns) {
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  while (!data.empty()) {
    const int len = data.size() > INT_MAX ? INT_MAX : static_cast<int>(data.size());
    const int n = ::send(Sock(fd), data.data(), len, 0);
    if (n == SOCKET_ERROR) {
      const int err = win::LastSocketErrno();
      if (err == EINTR) continue;
      if (err == EWOULDBLOCK) {
        const int wait_ms = WaitMs(deadline);
        if (wait_ms == 0)
          return MakeError(ErrorCode::kTimeout, "peer did not take the data in time");
        int perr = 0;
        if (PollOne(fd, POLLWRNORM, wait_ms, &perr) < 0 && perr != EINTR)
          return Sys("WSAPoll", perr);
        continue;
      }
      if (err == EPIPE || err == ECONNRESET || err == ECONNABORTED)
        return MakeError(ErrorCode::kClosed, "peer closed the channel");
      return Sys("send", err);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status MakeStreamPair(int[2]) {
  return MakeError(ErrorCode::kUnsupported, "no local stream pair on Windows (use --listen)");
}

Status ClearCloseOnExec(int) {
  return MakeError(ErrorCode::kUnsupported, "no exec on Windows (use --listen)");
}

std::string PeerAddress(int fd) {
  sockaddr_storage ss{};
  int len = sizeof(ss);
  if (::getpeername(Sock(fd), reinterpret_cast<sockaddr*>(&ss), &len) == SOCKET_ERROR)
    return "unknown peer";
  return win::SockaddrText(ss);
}

void ShutdownStream(int fd, bool both) { ::shutdown(Sock(fd), both ? SD_BOTH : SD_SEND); }

void ShutdownReceive(int fd) { ::shutdown(Sock(fd), SD_RECEIVE); }

bool IsOpenDescriptor(int fd) {
  int type = 0;
  int len = sizeof(type);
  return ::getsockopt(Sock(fd), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0;
}

// Winsock duplicates sockets only for other processes (WSADuplicateSocket);
// the listener then waits for a session to end instead of shutting it down.
UniqueFd DuplicateFd(int) { return UniqueFd(); }

Result<UniqueFd> ListenTcp(const std::string& address, int port) {
  if (port < 0 || port > 65535) return BadPort(port);
  if (const int started = win::StartWinsock(); started != 0)
    return MakeError(ErrorCode::kFailed, "WSAStartup failed: WSA error " + std::to_string(started));
  sockaddr_storage ss;
  int len = 0;
  if (!win::ParseSockaddr(address, port, &ss, &len))
    return MakeError(ErrorCode::kInvalidInput, "not an IP address: " + address);
  const SOCKET s = ::WSASocketW(ss.ss_family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                                WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return Sys("socket");
  UniqueFd fd(win::ToFd(s));
  // SO_EXCLUSIVEADDRUSE, not SO_REUSEADDR: on Windows the latter lets
  // another process bind the same port while we listen.
  BOOL on = TRUE;
  ::setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&on), sizeof(on));
  if (::bind(s, reinterpret_cast<sockaddr*>(&ss), len) == SOCKET_ERROR) return Sys("bind");
  if (::listen(s, kListenBacklog) == SOCKET_ERROR) return Sys("listen");
  return fd;
}

Result<int> LocalPort(int fd) {
  sockaddr_storage ss{};
  int len = sizeof(ss);
  if (::getsockname(Sock(fd), reinterpret_cast<sockaddr*>(&ss), &len) == SOCKET_ERROR)
    return Sys("getsockname");
  if (ss.ss_family == AF_INET) return int{ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port)};
  return int{ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)};
}

Result<UniqueFd> AcceptControl(int listen_fd, int64_t timeout_ns) {
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  for (;;) {
    const int wait_ms = WaitMs(deadline);
    if (wait_ms == 0) return MakeError(ErrorCode::kTimeout, "no connection before the deadline");
    int err = 0;
    const int r = PollOne(listen_fd, POLLRDNORM, wait_ms, &err);
    if (r < 0 && err != EINTR) return Sys("WSAPoll", err);
    if (r <= 0) continue;  // the loop re-checks the deadline
    const SOCKET c = ::accept(Sock(listen_fd), nullptr, nullptr);
    if (c != INVALID_SOCKET) {
      SetNonBlocking(c, true);
      EnableControlKeepalive(c);
      return UniqueFd(win::ToFd(c));
    }
    // The connection may have gone between poll and accept: wait again.
    err = win::LastSocketErrno();
    if (err != EINTR && err != ECONNABORTED && err != ECONNRESET && err != EWOULDBLOCK)
      return Sys("accept", err);
  }
}

Result<UniqueFd> ConnectTcp(const std::string& address, int port, int64_t timeout_ns) {
  if (port < 0 || port > 65535) return BadPort(port);
  if (const int started = win::StartWinsock(); started != 0)
    return MakeError(ErrorCode::kFailed, "WSAStartup failed: WSA error " + std::to_string(started));
  sockaddr_storage ss;
  int len = 0;
  if (!win::ParseSockaddr(address, port, &ss, &len))
    return MakeError(ErrorCode::kInvalidInput, "not an IP address: " + address);
  const SOCKET s = ::WSASocketW(ss.ss_family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                                WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return Sys("socket");
  UniqueFd fd(win::ToFd(s));
  SetNonBlocking(s, true);
  const std::string where = address + ":" + std::to_string(port);
  if (::connect(s, reinterpret_cast<sockaddr*>(&ss), len) == SOCKET_ERROR) {
    const int err = win::LastSocketErrno();
    if (err != EWOULDBLOCK && err != EINPROGRESS) return Sys("connect to " + where, err);
    // A failed connect shows in exceptfds for select(); WSAPoll did not
    // report it on older Windows, so select() it is.
    fd_set wr, ex;
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    FD_SET(s, &wr);
    FD_SET(s, &ex);
    timeval tv{static_cast<long>(timeout_ns / kNsPerSec),
               static_cast<long>((timeout_ns % kNsPerSec) / 1000)};
    const int r = ::select(0, nullptr, &wr, &ex, timeout_ns < 0 ? nullptr : &tv);
    if (r == 0) return MakeError(ErrorCode::kTimeout, "connect to " + where + " timed out");
    if (r == SOCKET_ERROR) return Sys("connect to " + where);
    int so_error = 0;
    int el = sizeof(so_error);
    ::getsockopt(s, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&so_error), &el);
    if (so_error != 0 || FD_ISSET(s, &ex))
      return Sys("connect to " + where,
                 ErrnoFromWinsock(so_error != 0 ? so_error : WSAECONNREFUSED));
  }
  EnableControlKeepalive(s);
  return fd;
}

}  // namespace lingerlab

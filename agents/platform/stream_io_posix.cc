#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "agents/base/clock.h"
#include "agents/platform/posix_compat.h"
#include "agents/platform/sockaddr_posix.h"
#include "agents/platform/stream_io.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<size_t> ReadSome(int fd, char* buf, size_t cap, int64_t timeout_ns) {
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  for (;;) {
    int wait_ms = -1;
    if (deadline >= 0) {
      int64_t left = deadline - MonotonicNs();
      if (left <= 0) return MakeError(ErrorCode::kTimeout, "no data before the deadline");
      wait_ms = static_cast<int>((left + kNsPerMs - 1) / kNsPerMs);
    }
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kFailed, std::string("poll: ") + std::strerror(errno));
    }
    if (r == 0) continue;  // loop re-checks the deadline
    ssize_t n = ::read(fd, buf, cap);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECONNRESET) return size_t{0};
    return MakeError(ErrorCode::kFailed, std::string("read: ") + std::strerror(errno));
  }
}

Status WriteAll(int fd, std::string_view data, int64_t timeout_ns) {
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  while (!data.empty()) {
    // Never blocks in send(): a peer that stops reading is waited for in
    // poll(), against the deadline.
    ssize_t n = ::send(fd, data.data(), data.size(), posix::kSendNoSignal | MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        int wait_ms = -1;
        if (deadline >= 0) {
          const int64_t left = deadline - MonotonicNs();
          if (left <= 0)
            return MakeError(ErrorCode::kTimeout, "peer did not take the data in time");
          wait_ms = static_cast<int>((left + kNsPerMs - 1) / kNsPerMs);
        }
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, wait_ms) < 0 && errno != EINTR)
          return MakeError(ErrorCode::kFailed, std::string("poll: ") + std::strerror(errno));
        continue;
      }
      if (errno == EPIPE || errno == ECONNRESET)
        return MakeError(ErrorCode::kClosed, "peer closed the channel");
      return MakeError(ErrorCode::kFailed, std::string("write: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status MakeStreamPair(int fds[2]) {
  if (posix::StreamPair(fds) != 0)
    return MakeError(ErrorCode::kFailed, std::string("socketpair: ") + std::strerror(errno));
  return Status::Ok();
}

Status ClearCloseOnExec(int fd) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
    return MakeError(ErrorCode::kFailed, std::string("fcntl: ") + std::strerror(errno));
  return Status::Ok();
}

std::string PeerAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "unknown peer";
  return SockaddrText(ss);
}

void ShutdownStream(int fd, bool both) { ::shutdown(fd, both ? SHUT_RDWR : SHUT_WR); }

void ShutdownReceive(int fd) { ::shutdown(fd, SHUT_RD); }

bool IsOpenDescriptor(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

UniqueFd DuplicateFd(int fd) { return UniqueFd(::dup(fd)); }

}  // namespace lingerlab

// --- TCP control channels -------------------------------------------------
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

namespace lingerlab {
namespace {
Error Sys(const char* what) {
  return MakeError(ErrorCode::kFailed, std::string(what) + ": " + std::strerror(errno));
}
}  // namespace

namespace {

// A control connection over TCP whose peer host vanishes (no FIN, no RST)
// must not leave the other end waiting forever: keepalive probes after 30 s
// of silence, 3 probes 10 s apart, and unacknowledged data fails after 60 s.
// Each option where the OS has it (only Linux is tested): macOS names the
// idle time TCP_KEEPALIVE; TCP_USER_TIMEOUT is Linux only, so elsewhere
// unacknowledged data waits for the OS's own retransmission limit (the
// frame write timeout still bounds the sender, doc/protocol.md §6).
void EnableControlKeepalive(int fd) {
  int on = 1;
  [[maybe_unused]] int idle = 30, interval = 10, count = 3;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
#if defined(TCP_KEEPIDLE)
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
#elif defined(TCP_KEEPALIVE)
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPALIVE, &idle, sizeof(idle));
#endif
#if defined(TCP_KEEPINTVL)
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
#endif
#if defined(TCP_KEEPCNT)
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
#endif
#if defined(TCP_USER_TIMEOUT)
  unsigned int user_timeout_ms = 60000;
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof(user_timeout_ms));
#endif
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));  // small messages, no Nagle
}

}  // namespace

namespace {
Error BadPort(int port) {
  return MakeError(ErrorCode::kInvalidInput, "port " + std::to_string(port) + " outside 0..65535");
}
}  // namespace

Result<UniqueFd> ListenTcp(const std::string& address, int port) {
  if (port < 0 || port > 65535) return BadPort(port);
  sockaddr_storage ss;
  socklen_t len;
  if (!ParseSockaddr(address, port, &ss, &len))
    return MakeError(ErrorCode::kInvalidInput, "not an IP address: " + address);
  UniqueFd fd(posix::Socket(ss.ss_family, SOCK_STREAM));
  if (!fd.valid()) return Sys("socket");
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return Sys("bind");
  if (::listen(fd.get(), kListenBacklog) != 0) return Sys("listen");
  return fd;
}

Result<int> LocalPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return Sys("getsockname");
  if (ss.ss_family == AF_INET) return int{ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port)};
  return int{ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)};
}

Result<UniqueFd> AcceptControl(int listen_fd, int64_t timeout_ns) {
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  for (;;) {
    int wait_ms = -1;
    if (deadline >= 0) {
      const int64_t left = deadline - MonotonicNs();
      if (left <= 0) return MakeError(ErrorCode::kTimeout, "no connection before the deadline");
      wait_ms = static_cast<int>((left + kNsPerMs - 1) / kNsPerMs);
    }
    pollfd p{listen_fd, POLLIN, 0};
    const int r = ::poll(&p, 1, wait_ms);
    if (r < 0 && errno != EINTR) return Sys("poll");
    if (r <= 0) continue;  // the loop re-checks the deadline
    int fd = posix::Accept(listen_fd, nullptr, nullptr);
    if (fd >= 0) {
      EnableControlKeepalive(fd);
      return UniqueFd(fd);
    }
    // The connection may have gone between poll and accept: wait again.
    if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN) return Sys("accept");
  }
}

Result<UniqueFd> ConnectTcp(const std::string& address, int port, int64_t timeout_ns) {
  if (port < 0 || port > 65535) return BadPort(port);
  sockaddr_storage ss;
  socklen_t len;
  if (!ParseSockaddr(address, port, &ss, &len))
    return MakeError(ErrorCode::kInvalidInput, "not an IP address: " + address);
  UniqueFd fd(posix::Socket(ss.ss_family, SOCK_STREAM, /*nonblock=*/true));
  if (!fd.valid()) return Sys("socket");
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) return Sys("connect");
    pollfd p{fd.get(), POLLOUT, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout_ns / kNsPerMs));
    if (r == 0)
      return MakeError(ErrorCode::kTimeout,
                       "connect to " + address + ":" + std::to_string(port) + " timed out");
    int err = 0;
    socklen_t el = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &el);
    if (r < 0 || err != 0) {
      errno = r < 0 ? errno : err;
      return Sys(("connect to " + address + ":" + std::to_string(port)).c_str());
    }
  }
  int flags = ::fcntl(fd.get(), F_GETFL);
  ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  EnableControlKeepalive(fd.get());
  return fd;
}

}  // namespace lingerlab

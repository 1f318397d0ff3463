#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "agents/base/clock.h"
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

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET)
        return MakeError(ErrorCode::kClosed, "peer closed the channel");
      return MakeError(ErrorCode::kFailed, std::string("write: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status MakeStreamPair(int fds[2]) {
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return MakeError(ErrorCode::kFailed, std::string("socketpair: ") + std::strerror(errno));
  return Status::Ok();
}

Status ClearCloseOnExec(int fd) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
    return MakeError(ErrorCode::kFailed, std::string("fcntl: ") + std::strerror(errno));
  return Status::Ok();
}

}  // namespace lingerlab

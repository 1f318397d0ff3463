// Calls that differ between the POSIX systems the agent is meant to build
// on, for the platform layer's .cc files only. Linux is the only one built
// and tested here; the other branches follow each OS's documentation and
// have not been compiled or run by this project (no macOS/BSD/illumos host).
//
//   SOCK_CLOEXEC / SOCK_NONBLOCK / accept4: Linux, FreeBSD >= 10, NetBSD,
//     OpenBSD, illumos. macOS has none: socket()/accept() then fcntl(). That
//     leaves a window in which a concurrent fork+exec in another thread could
//     inherit the descriptor; the agent does not exec, so nothing leaks.
//   MSG_NOSIGNAL: not on macOS, which has the socket option SO_NOSIGPIPE
//     instead; it is set on every socket created or accepted here, and
//     kSendNoSignal is then 0. (The agent also ignores SIGPIPE.)
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lingerlab::posix {

#if defined(MSG_NOSIGNAL)
constexpr int kSendNoSignal = MSG_NOSIGNAL;
#else
constexpr int kSendNoSignal = 0;  // SO_NOSIGPIPE is set on the socket instead
#endif

// Sets what the OS could not set at creation; returns fd, or -1 (errno set,
// fd closed) on failure.
inline int FinishSocket(int fd, [[maybe_unused]] bool set_flags, [[maybe_unused]] bool nonblock) {
  if (fd < 0) return fd;
#if !defined(SOCK_CLOEXEC)
  if (set_flags) {
    const int fdf = ::fcntl(fd, F_GETFD);
    bool ok = fdf >= 0 && ::fcntl(fd, F_SETFD, fdf | FD_CLOEXEC) == 0;
    if (ok && nonblock) {
      const int fl = ::fcntl(fd, F_GETFL);
      ok = fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
    }
    if (!ok) {
      ::close(fd);
      return -1;
    }
  }
#endif
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
  int one = 1;
  // Best effort, like MSG_NOSIGNAL's absence would be: a SIGPIPE is ignored anyway.
  (void)::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
  return fd;
}

// socket(), close-on-exec, optionally nonblocking.
inline int Socket(int domain, int type, bool nonblock = false) {
#if defined(SOCK_CLOEXEC)
  return FinishSocket(::socket(domain, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0),
                      false, nonblock);
#else
  return FinishSocket(::socket(domain, type, 0), true, nonblock);
#endif
}

// accept(), the new descriptor close-on-exec (and blocking, whatever the
// listener is: BSD accept() inherits O_NONBLOCK, Linux accept4() does not;
// our listeners are blocking, so both give a blocking socket).
inline int Accept(int fd, sockaddr* addr, socklen_t* len) {
#if defined(SOCK_CLOEXEC)
  return FinishSocket(::accept4(fd, addr, len, SOCK_CLOEXEC), false, false);
#else
  return FinishSocket(::accept(fd, addr, len), true, false);
#endif
}

// socketpair(AF_UNIX, SOCK_STREAM), both ends close-on-exec.
inline int StreamPair(int fds[2]) {
#if defined(SOCK_CLOEXEC)
  const int r = ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
#else
  const int r = ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
#endif
  if (r != 0) return r;
  for (int i = 0; i < 2; ++i) {
    if (FinishSocket(fds[i], true, false) < 0) {
      ::close(fds[1 - i]);  // FinishSocket closed fds[i]
      return -1;
    }
  }
  return 0;
}

}  // namespace lingerlab::posix

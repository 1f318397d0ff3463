#include "agents/platform/socket_children_posix.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>

#include "agents/base/clock.h"
#include "agents/platform/posix_compat.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab::posix {
namespace {

std::string StatusText(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "unknown";
}

// Blocks until `pid` is reaped; its status, or -1 (errno set).
int ReapBlocking(pid_t pid) {
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, 0) == pid) return status;
    if (errno != EINTR) return -1;
  }
}

// Waits for `pid` until reaped or limit_ms passes, then SIGKILL and reap.
// Polls with WNOHANG: a child's exit wakes nothing of ours, and the wait is
// what end_child measures, so the step is kept short (<= 1 ms).
SysResult WaitReaped(pid_t pid, int limit_ms, ChildEnd* out) {
  const int64_t deadline = MonotonicNs() + int64_t{limit_ms} * kNsPerMs;
  int64_t nap_ns = 20'000;  // 20 us, doubling to 1 ms
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      out->status = StatusText(status);
      return SysResult{0, 0};
    }
    if (r < 0 && errno != EINTR) {
      const int err = errno;
      out->status = "unknown";
      return SysResult{-1, err};
    }
    if (MonotonicNs() >= deadline) break;
    SleepNs(std::min(nap_ns, std::max<int64_t>(0, deadline - MonotonicNs())));
    nap_ns = std::min<int64_t>(nap_ns * 2, kNsPerMs);
  }
  out->limit = true;
  ::kill(pid, SIGKILL);
  const int status = ReapBlocking(pid);
  out->status = status < 0 ? "unknown" : StatusText(status);
  return SysResult{0, 0};
}

// In the child: closes descriptors first..last (close_range where the
// kernel has it, else one close() each up to max_fd). Both are plain
// system calls, safe after fork in a multithreaded process.
void CloseRange(int first, int last, int max_fd) {
  if (first > last) return;
#if defined(SYS_close_range)
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), static_cast<unsigned>(last), 0) == 0)
    return;
#endif
  for (int i = first; i <= last && i < max_fd; ++i) ::close(i);
}

// The highest descriptor number a process may have (for the loop above),
// read before fork: getrlimit is not on the async-signal-safe list.
int MaxFd() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1 << 20;
  return static_cast<int>(std::min<rlim_t>(rl.rlim_cur, rlim_t{1} << 20));
}

class PosixSocketHolder final : public SocketHolder {
 public:
  PosixSocketHolder(pid_t pid, UniqueFd wake) : pid_(pid), wake_(std::move(wake)) {}
  ~PosixSocketHolder() override {
    if (ended_) return;
    ::kill(pid_, SIGKILL);
    (void)ReapBlocking(pid_);
  }
  int64_t pid() const override { return pid_; }
  SysResult End(ChildEndHow how, int limit_ms, ChildEnd* out) override {
    ended_ = true;
    SysResult asked{0, 0};
    if (how == ChildEndHow::kExit) {
      // A socketpair rather than a pipe: send(MSG_NOSIGNAL) cannot raise
      // SIGPIPE if the child is already gone (the process may not ignore it).
      const char byte = 'x';
      if (::send(wake_.get(), &byte, 1, kSendNoSignal) != 1) asked = SysResult{-1, errno};
    } else if (::kill(pid_, SIGKILL) != 0) {
      asked = SysResult{-1, errno};
    }
    SysResult waited = WaitReaped(pid_, limit_ms, out);
    wake_.reset();
    return asked.ok() ? waited : asked;
  }

 private:
  pid_t pid_;
  UniqueFd wake_;
  bool ended_ = false;
};

}  // namespace

SysResult ForkAndClose(int fd, int limit_ms, ChildEnd* out) {
  const pid_t pid = ::fork();
  if (pid < 0) return SysResult{-1, errno};
  if (pid == 0) {
    ::close(fd);
    ::_exit(0);
  }
  SysResult waited = WaitReaped(pid, limit_ms, out);
  return waited.ok() ? SysResult{pid, 0} : waited;
}

SysResult ForkHolder(int fd, std::unique_ptr<SocketHolder>* out) {
  int pair[2];
  if (StreamPair(pair) != 0) return SysResult{-1, errno};
  UniqueFd wake(pair[0]);
  UniqueFd child_end(pair[1]);
  const int max_fd = MaxFd();
  const int lo = std::min(fd, pair[1]);
  const int hi = std::max(fd, pair[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return SysResult{-1, errno};
  if (pid == 0) {
    // Every other descriptor closed: the child must not keep the agent's
    // other test sockets, its listener or its control channel alive.
    CloseRange(0, lo - 1, max_fd);
    CloseRange(lo + 1, hi - 1, max_fd);
    CloseRange(hi + 1, INT_MAX, max_fd);
    char byte;
    while (::read(pair[1], &byte, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  *out = std::make_unique<PosixSocketHolder>(pid, std::move(wake));
  return SysResult{pid, 0};
}

}  // namespace lingerlab::posix

// SocketApi on POSIX systems. Linux is built and tested; the BSDs, macOS and
// illumos are meant to compile the same file (posix_compat.h covers accept4,
// SOCK_CLOEXEC and MSG_NOSIGNAL; Queues() has a branch per OS), but no
// build or run on them has been made by this project.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/sockios.h>  // SIOCOUTQ, SIOCINQ
#elif defined(__FreeBSD__) || defined(__APPLE__)
#include <sys/filio.h>  // FIONREAD, FIONWRITE (FreeBSD)
#endif

#include <cerrno>
#include <cstring>
#include <string>

#include "agents/platform/posix_compat.h"
#include "agents/platform/sockaddr_posix.h"
#include "agents/platform/socket_api.h"
#include "agents/platform/socket_children_posix.h"
#include "agents/platform/tcp_table.h"

namespace lingerlab {
namespace {

SysResult FromRet(int64_t r) { return SysResult{r, r < 0 ? errno : 0}; }

int LevelName(IntOption opt) {
  switch (opt) {
    case IntOption::kReuseAddr:
      return SO_REUSEADDR;
    case IntOption::kSndBuf:
      return SO_SNDBUF;
    case IntOption::kRcvBuf:
      return SO_RCVBUF;
  }
  return SO_REUSEADDR;
}

int Fd(SocketHandle s) { return static_cast<int>(s); }

// Polls one descriptor, retrying EINTR with the remaining time.
SysResult PollIn(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    int r = ::poll(&p, 1, timeout_ms);
    if (r >= 0) return SysResult{r, 0};
    if (errno != EINTR) return SysResult{-1, errno};
  }
}

// The portable PollBits and this OS's poll flags, in both directions.
struct PollMapping {
  int bit;
  short native;
};
constexpr PollMapping kPollMap[] = {
    {kPollIn, POLLIN},         {kPollPri, POLLPRI},   {kPollOut, POLLOUT},
    {kPollErr, POLLERR},       {kPollHup, POLLHUP},   {kPollRdNorm, POLLRDNORM},
    {kPollWrNorm, POLLWRNORM}, {kPollNval, POLLNVAL},
#if defined(POLLRDHUP)
    {kPollRdHup, POLLRDHUP},
#endif
};

#if defined(__linux__)
// A socket table file, at most this big: ~200 000 connections in one
// namespace. What lies beyond is not read (and the cut line is dropped).
constexpr size_t kMaxTcpTableBytes = size_t{32} << 20;

// Reads a /proc file (its size is unknown until read); errno on failure.
SysResult ReadProcFile(const char* path, std::string* text) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SysResult{-1, errno};
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return SysResult{-1, err};
    }
    if (n == 0) break;
    text->append(buf, static_cast<size_t>(n));
    if (text->size() >= kMaxTcpTableBytes) {
      text->resize(text->rfind('\n') == std::string::npos ? 0 : text->rfind('\n') + 1);
      break;
    }
  }
  ::close(fd);
  return SysResult{0, 0};
}

int TcpOptionName(TcpIntOption opt) {
  return opt == TcpIntOption::kUserTimeout ? TCP_USER_TIMEOUT : TCP_LINGER2;
}
#endif

class PosixSocketApi final : public SocketApi {
 public:
  SysResult Socket(Family family) override {
    int domain = family == Family::kInet6 ? AF_INET6 : AF_INET;
    return FromRet(posix::Socket(domain, SOCK_STREAM));
  }
  SysResult SetInt(SocketHandle s, IntOption opt, int value) override {
    return FromRet(::setsockopt(Fd(s), SOL_SOCKET, LevelName(opt), &value, sizeof(value)));
  }
  SysResult GetInt(SocketHandle s, IntOption opt) override {
    int value = 0;
    socklen_t len = sizeof(value);
    if (::getsockopt(Fd(s), SOL_SOCKET, LevelName(opt), &value, &len) != 0)
      return SysResult{-1, errno};
    return SysResult{value, 0};
  }
  SysResult SetLinger(SocketHandle s, bool on, int seconds) override {
    linger l{on ? 1 : 0, seconds};
    return FromRet(::setsockopt(Fd(s), SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
  }
  SysResult GetLinger(SocketHandle s) override {
    linger l{};
    socklen_t len = sizeof(l);
    if (::getsockopt(Fd(s), SOL_SOCKET, SO_LINGER, &l, &len) != 0) return SysResult{-1, errno};
    return SysResult{l.l_onoff ? l.l_linger : -2, 0};
  }
  SysResult Bind(SocketHandle s, const std::string& address, int port) override {
    sockaddr_storage ss;
    socklen_t len;
    if (!ParseSockaddr(address, port, &ss, &len)) return SysResult{-1, EINVAL};
    return FromRet(::bind(Fd(s), reinterpret_cast<sockaddr*>(&ss), len));
  }
  SysResult Listen(SocketHandle s, int backlog) override {
    return FromRet(::listen(Fd(s), backlog));
  }
  std::string LocalAddress(SocketHandle s) override {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (::getsockname(Fd(s), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
    return SockaddrText(ss);
  }
  SysResult Accept(SocketHandle s, int timeout_ms, std::string* peer) override {
    SysResult ready = PollIn(Fd(s), timeout_ms);
    if (!ready.ok()) return ready;
    if (ready.ret == 0) return SysResult{-1, ETIMEDOUT};
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = posix::Accept(Fd(s), reinterpret_cast<sockaddr*>(&ss), &len);
    if (fd < 0) return SysResult{-1, errno};
    if (peer) *peer = SockaddrText(ss);
    return SysResult{fd, 0};
  }
  SysResult Connect(SocketHandle s, const std::string& address, int port) override {
    sockaddr_storage ss;
    socklen_t len;
    if (!ParseSockaddr(address, port, &ss, &len)) return SysResult{-1, EINVAL};
    return FromRet(::connect(Fd(s), reinterpret_cast<sockaddr*>(&ss), len));
  }
  SysResult Send(SocketHandle s, const char* data, size_t len) override {
    return FromRet(::send(Fd(s), data, len, posix::kSendNoSignal));
  }
  SysResult Recv(SocketHandle s, char* buf, size_t cap) override {
    return FromRet(::recv(Fd(s), buf, cap, 0));
  }
  SysResult WaitReadable(SocketHandle s, int timeout_ms) override {
    return PollIn(Fd(s), timeout_ms);
  }
  SysResult Shutdown(SocketHandle s, ShutdownHow how) override {
    int h = how == ShutdownHow::kRead ? SHUT_RD : how == ShutdownHow::kWrite ? SHUT_WR : SHUT_RDWR;
    return FromRet(::shutdown(Fd(s), h));
  }
  SysResult Close(SocketHandle s) override { return FromRet(::close(Fd(s))); }
  SysResult SetNonBlocking(SocketHandle s, bool on) override {
    const int flags = ::fcntl(Fd(s), F_GETFL);
    if (flags < 0) return SysResult{-1, errno};
    return FromRet(::fcntl(Fd(s), F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK)));
  }
  SysResult Dup(SocketHandle s) override { return FromRet(::fcntl(Fd(s), F_DUPFD_CLOEXEC, 0)); }
  SysResult Poll(SocketHandle s, int events, int timeout_ms, int* revents) override {
    pollfd p{Fd(s), 0, 0};
    for (const PollMapping& m : kPollMap)
      if (events & m.bit) p.events = static_cast<short>(p.events | m.native);
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0) return SysResult{-1, errno};
    *revents = 0;
    for (const PollMapping& m : kPollMap)
      if (p.revents & m.native) *revents |= m.bit;
    return SysResult{r, 0};
  }
  SysResult GetSoError(SocketHandle s) override {
    int value = 0;
    socklen_t len = sizeof(value);
    if (::getsockopt(Fd(s), SOL_SOCKET, SO_ERROR, &value, &len) != 0) return SysResult{-1, errno};
    return SysResult{value, 0};
  }
  SysResult ForkClose(SocketHandle s, int limit_ms, ChildEnd* out) override {
    return posix::ForkAndClose(Fd(s), limit_ms, out);
  }
  SysResult HandToChild(SocketHandle s, std::unique_ptr<SocketHolder>* out) override {
    return posix::ForkHolder(Fd(s), out);
  }
#if defined(__linux__)
  // TCP_INFO, /proc/net/tcp and the TCP_* options are Linux's; the other
  // POSIX systems keep the "unsupported" defaults (their tcp_info and
  // socket tables differ, and nothing here has run on them).
  SysResult TcpInfo(SocketHandle s, TcpInfoSample* out) override {
    tcp_info info{};
    socklen_t len = sizeof(info);
    if (::getsockopt(Fd(s), IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return SysResult{-1, errno};
    out->state = info.tcpi_state;
    out->unacked = info.tcpi_unacked;
    out->retransmits = info.tcpi_retransmits;
    return SysResult{0, 0};
  }
  // The agent's own network namespace's table (/proc/net is the reading
  // process's namespace, gVisor's sentry included), IPv4 then IPv6. A
  // missing tcp6 (IPv6 off) is no failure; a missing tcp is.
  SysResult TcpTable(int port, size_t max, std::vector<TcpTableEntry>* out) override {
    std::string text;
    SysResult r = ReadProcFile("/proc/net/tcp", &text);
    if (!r.ok()) return r;
    ParseProcNetTcp(text, port, max, out);
    text.clear();
    if (ReadProcFile("/proc/net/tcp6", &text).ok()) ParseProcNetTcp(text, port, max, out);
    return SysResult{0, 0};
  }
  SysResult SetTcpInt(SocketHandle s, TcpIntOption opt, int value) override {
    return FromRet(::setsockopt(Fd(s), IPPROTO_TCP, TcpOptionName(opt), &value, sizeof(value)));
  }
  SysResult GetTcpInt(SocketHandle s, TcpIntOption opt) override {
    int value = 0;
    socklen_t len = sizeof(value);
    if (::getsockopt(Fd(s), IPPROTO_TCP, TcpOptionName(opt), &value, &len) != 0)
      return SysResult{-1, errno};
    return SysResult{value, 0};
  }
#endif
  SocketQueues Queues(SocketHandle s) override {
    SocketQueues q;
    int v = 0;
#if defined(__linux__)
    // SIOCOUTQ (= TIOCOUTQ): bytes in the send queue not yet acknowledged by
    // the peer, whether sent or not. SIOCINQ (= FIONREAD): bytes received and
    // not yet read. Tested here.
    if (::ioctl(Fd(s), SIOCOUTQ, &v) == 0) q.outq = v;
    if (::ioctl(Fd(s), SIOCINQ, &v) == 0) q.inq = v;
#elif defined(__FreeBSD__)
    // FIONWRITE: bytes in the send buffer; TCP keeps a byte there until it is
    // acknowledged, so this is unsent + unacknowledged, as SIOCOUTQ on Linux.
    // FIONREAD: bytes in the receive buffer, not yet read. (Untested here.)
    if (::ioctl(Fd(s), FIONWRITE, &v) == 0) q.outq = v;
    if (::ioctl(Fd(s), FIONREAD, &v) == 0) q.inq = v;
#elif defined(__APPLE__)
    // getsockopt(SO_NWRITE): the man page says "data in the output buffer not
    // yet sent"; xnu returns the send buffer's byte count, which for TCP holds
    // unsent and unacknowledged bytes alike, as FIONWRITE on FreeBSD.
    // FIONREAD: bytes received and not yet read. (Untested here.)
    socklen_t len = sizeof(v);
    if (::getsockopt(Fd(s), SOL_SOCKET, SO_NWRITE, &v, &len) == 0) q.outq = v;
    if (::ioctl(Fd(s), FIONREAD, &v) == 0) q.inq = v;
#else
    // NetBSD, OpenBSD, illumos, others: no call known to count the send
    // queue; both stay null ("unsupported"), rather than half an answer.
    (void)s;
    (void)v;
#endif
    return q;
  }
};

}  // namespace

std::unique_ptr<SocketApi> MakeNativeSocketApi() { return std::make_unique<PosixSocketApi>(); }

}  // namespace lingerlab

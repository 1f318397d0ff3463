// SocketApi on lwIP 2.1.3's socket layer (Debian's liblwip: LWIP_SO_LINGER,
// LWIP_SO_RCVBUF, LWIP_POLL on; the C library's struct sockaddr and option
// numbers, LWIP_SOCKET_EXTERNAL_HEADERS). Descriptors are lwIP's, not the
// kernel's: they mean nothing to close(2) or poll(2).
#include "agents/lwip/socket_api_lwip.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern "C" {
#include "lwip/sockets.h"
}

#include "agents/lwip/lwip_errno.h"
#include "agents/lwip/lwip_pcb_table.h"
#include "agents/platform/sockaddr_posix.h"

namespace lingerlab {
namespace {

int Err() { return HostErrnoFromLwip(errno); }
SysResult FromRet(int64_t r) { return SysResult{r, r < 0 ? Err() : 0}; }
int Fd(SocketHandle s) { return static_cast<int>(s); }

int OptionName(IntOption opt) {
  switch (opt) {
    case IntOption::kReuseAddr:
      return SO_REUSEADDR;
    case IntOption::kSndBuf:
      return SO_SNDBUF;  // lwIP 2.1.3 has no SO_SNDBUF: ENOPROTOOPT, an outcome
    case IntOption::kRcvBuf:
      return SO_RCVBUF;
  }
  return SO_REUSEADDR;
}

// The port of a socket's local (`peer` false) or remote end, 0 when it has
// none (not bound, not connected).
int PortOf(int s, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  if ((peer ? lwip_getpeername(s, sa, &len) : lwip_getsockname(s, sa, &len)) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

// lwip_poll on one socket, retrying EINTR.
SysResult PollIn(int s, int timeout_ms) {
  pollfd p{s, POLLIN, 0};
  for (;;) {
    int r = lwip_poll(&p, 1, timeout_ms);
    if (r >= 0) return SysResult{r, 0};
    const int err = Err();
    if (err != EINTR) return SysResult{-1, err};
  }
}

class LwipSocketApi final : public SocketApi {
 public:
  SysResult Socket(Family family) override {
    return FromRet(lwip_socket(family == Family::kInet6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
  }
  SysResult SetInt(SocketHandle s, IntOption opt, int value) override {
    return FromRet(lwip_setsockopt(Fd(s), SOL_SOCKET, OptionName(opt), &value, sizeof(value)));
  }
  SysResult GetInt(SocketHandle s, IntOption opt) override {
    int value = 0;
    socklen_t len = sizeof(value);
    if (lwip_getsockopt(Fd(s), SOL_SOCKET, OptionName(opt), &value, &len) != 0)
      return SysResult{-1, Err()};
    return SysResult{value, 0};
  }
  SysResult SetLinger(SocketHandle s, bool on, int seconds) override {
    linger l{on ? 1 : 0, seconds};
    return FromRet(lwip_setsockopt(Fd(s), SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
  }
  SysResult GetLinger(SocketHandle s) override {
    linger l{};
    socklen_t len = sizeof(l);
    if (lwip_getsockopt(Fd(s), SOL_SOCKET, SO_LINGER, &l, &len) != 0) return SysResult{-1, Err()};
    return SysResult{l.l_onoff ? l.l_linger : -2, 0};
  }
  SysResult Bind(SocketHandle s, const std::string& address, int port) override {
    sockaddr_storage ss;
    socklen_t len;
    if (!ParseSockaddr(address, port, &ss, &len)) return SysResult{-1, EINVAL};
    return FromRet(lwip_bind(Fd(s), reinterpret_cast<sockaddr*>(&ss), len));
  }
  SysResult Listen(SocketHandle s, int backlog) override {
    return FromRet(lwip_listen(Fd(s), backlog));
  }
  std::string LocalAddress(SocketHandle s) override {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (lwip_getsockname(Fd(s), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
    return SockaddrText(ss);
  }
  SysResult Accept(SocketHandle s, int timeout_ms, std::string* peer) override {
    SysResult ready = PollIn(Fd(s), timeout_ms);
    if (!ready.ok()) return ready;
    if (ready.ret == 0) return SysResult{-1, ETIMEDOUT};
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    int fd = lwip_accept(Fd(s), reinterpret_cast<sockaddr*>(&ss), &len);
    if (fd < 0) return SysResult{-1, Err()};
    if (peer) *peer = SockaddrText(ss);
    return SysResult{fd, 0};
  }
  SysResult Connect(SocketHandle s, const std::string& address, int port) override {
    sockaddr_storage ss;
    socklen_t len;
    if (!ParseSockaddr(address, port, &ss, &len)) return SysResult{-1, EINVAL};
    return FromRet(lwip_connect(Fd(s), reinterpret_cast<sockaddr*>(&ss), len));
  }
  // lwIP raises no SIGPIPE, so no MSG_NOSIGNAL (lwIP does not know the flag).
  SysResult Send(SocketHandle s, const char* data, size_t len) override {
    return FromRet(lwip_send(Fd(s), data, len, 0));
  }
  SysResult Recv(SocketHandle s, char* buf, size_t cap) override {
    return FromRet(lwip_recv(Fd(s), buf, cap, 0));
  }
  SysResult WaitReadable(SocketHandle s, int timeout_ms) override {
    return PollIn(Fd(s), timeout_ms);
  }
  SysResult Shutdown(SocketHandle s, ShutdownHow how) override {
    int h = how == ShutdownHow::kRead ? SHUT_RD : how == ShutdownHow::kWrite ? SHUT_WR : SHUT_RDWR;
    return FromRet(lwip_shutdown(Fd(s), h));
  }
  SysResult Close(SocketHandle s) override { return FromRet(lwip_close(Fd(s))); }
  // lwip_fcntl keeps one flag, O_NONBLOCK, and refuses any other bit (ENOSYS),
  // so the flag is set outright rather than merged with F_GETFL's answer.
  SysResult SetNonBlocking(SocketHandle s, bool on) override {
    return FromRet(lwip_fcntl(Fd(s), F_SETFL, on ? O_NONBLOCK : 0));
  }
  // lwip_poll reports POLLIN, POLLOUT, POLLERR and POLLNVAL only (the
  // C library's values, LWIP_SOCKET_EXTERNAL_HEADERS); other requested bits
  // are not passed, and never come back.
  SysResult Poll(SocketHandle s, int events, int timeout_ms, int* revents) override {
    pollfd p{Fd(s), 0, 0};
    if (events & kPollIn) p.events = static_cast<short>(p.events | POLLIN);
    if (events & kPollOut) p.events = static_cast<short>(p.events | POLLOUT);
    const int r = lwip_poll(&p, 1, timeout_ms);
    if (r < 0) return SysResult{-1, Err()};
    *revents = ((p.revents & POLLIN) ? kPollIn : 0) | ((p.revents & POLLOUT) ? kPollOut : 0) |
               ((p.revents & POLLERR) ? kPollErr : 0) | ((p.revents & POLLNVAL) ? kPollNval : 0);
    return SysResult{r, 0};
  }
  // SO_ERROR holds lwIP's errno number: mapped as every error is.
  // lwIP has no TCP_INFO and no /proc/net/tcp: both are read from its
  // protocol control blocks (lwip_pcb_table.h).
  SysResult TcpInfo(SocketHandle s, TcpInfoSample* out) override {
    const int local = PortOf(Fd(s), false);
    if (local == 0) {
      // Never bound: no control block can name it. A descriptor lwIP does
      // not know is an error of its own (EBADF), as getsockname says.
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      if (lwip_getsockname(Fd(s), reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        return SysResult{-1, Err()};
      *out = TcpInfoSample{};
      out->state = 7;  // CLOSE
      return SysResult{0, 0};
    }
    *out = LwipTcpInfoOf(local, PortOf(Fd(s), true));
    return SysResult{0, 0};
  }
  SysResult TcpTable(int port, size_t max, std::vector<TcpTableEntry>* out) override {
    for (const TcpTableEntry& e : LwipConnectionsOnPort(port, max - std::min(max, out->size())))
      out->push_back(e);
    return SysResult{0, 0};
  }
  SysResult GetSoError(SocketHandle s) override {
    int value = 0;
    socklen_t len = sizeof(value);
    if (lwip_getsockopt(Fd(s), SOL_SOCKET, SO_ERROR, &value, &len) != 0)
      return SysResult{-1, Err()};
    return SysResult{value == 0 ? 0 : HostErrnoFromLwip(value), 0};
  }
  // lwip_ioctl knows FIONREAD (bytes received, not read) and FIONBIO only:
  // lwIP's send queue is not exposed through its sockets, so outq stays null.
  SocketQueues Queues(SocketHandle s) override {
    SocketQueues q;
    int v = 0;
    if (lwip_ioctl(Fd(s), FIONREAD, &v) == 0) q.inq = v;
    return q;
  }
};

}  // namespace

std::unique_ptr<SocketApi> MakeLwipSocketApi() { return std::make_unique<LwipSocketApi>(); }

}  // namespace lingerlab

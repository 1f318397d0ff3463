// SocketApi over Winsock 2 (the agent built with mingw-w64, doc/windows.md).
// One Winsock call per method, as socket_api_posix.cc makes one POSIX call;
// errors are WSAGetLastError() mapped to the portable <cerrno> numbers
// (socket_errors_win.h), so events name them as POSIX agents do.
//
// Differences from POSIX, each an answer rather than an emulation:
//   - SO_LINGER is `struct linger` with u_short fields: a linger time
//     outside 0..65535 s is refused with EINVAL before any call (the value
//     would otherwise be cut to 16 bits).
//   - closesocket() is the close; shutdown() takes SD_RECEIVE/SD_SEND/SD_BOTH.
//   - Queues(): the receive queue from ioctlsocket(FIONREAD); the send queue
//     is null ("unsupported"): Windows has no count of unsent plus
//     unacknowledged bytes (SIOCOUTQ's meaning). SIO_TCP_INFO's
//     BytesInFlight counts only bytes sent and not acknowledged, so data
//     held back by a zero window would read as an empty queue.
#include <cerrno>
#include <climits>

#include "agents/platform/socket_api.h"
#include "agents/platform/socket_errors_win.h"
#include "agents/platform/winsock_win.h"

namespace lingerlab {
namespace {

using win::LastSocketErrno;
using win::ToSocket;

SysResult FromInt(int r) {
  return r == SOCKET_ERROR ? SysResult{-1, LastSocketErrno()} : SysResult{r, 0};
}

SysResult FromSocket(SOCKET s) {
  if (s == INVALID_SOCKET) return SysResult{-1, LastSocketErrno()};
  return SysResult{static_cast<int64_t>(s), 0};
}

int OptionName(IntOption opt) {
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

// WSAPoll for reading on one socket: ret 1 readable (data, EOF, reset), 0 timeout.
SysResult PollIn(SOCKET s, int timeout_ms) {
  WSAPOLLFD p{};
  p.fd = s;
  p.events = POLLRDNORM;
  const int r = ::WSAPoll(&p, 1, timeout_ms);
  if (r == SOCKET_ERROR) return SysResult{-1, LastSocketErrno()};
  return SysResult{r, 0};
}

class WinsockSocketApi final : public SocketApi {
 public:
  SysResult Socket(Family family) override {
    if (const int started = win::StartWinsock(); started != 0)
      return SysResult{-1, ErrnoFromWinsock(started)};
    const int domain = family == Family::kInet6 ? AF_INET6 : AF_INET;
    // Not inherited by child processes (the agent starts none; as CLOEXEC).
    return FromSocket(::WSASocketW(domain, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                                   WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
  }
  SysResult SetInt(SocketHandle s, IntOption opt, int value) override {
    return FromInt(::setsockopt(ToSocket(s), SOL_SOCKET, OptionName(opt),
                                reinterpret_cast<const char*>(&value), sizeof(value)));
  }
  SysResult GetInt(SocketHandle s, IntOption opt) override {
    int value = 0;
    int len = sizeof(value);
    if (::getsockopt(ToSocket(s), SOL_SOCKET, OptionName(opt), reinterpret_cast<char*>(&value),
                     &len) == SOCKET_ERROR)
      return SysResult{-1, LastSocketErrno()};
    return SysResult{value, 0};
  }
  SysResult SetLinger(SocketHandle s, bool on, int seconds) override {
    if (seconds < 0 || seconds > USHRT_MAX) return SysResult{-1, EINVAL};  // u_short l_linger
    linger l{};
    l.l_onoff = on ? 1 : 0;
    l.l_linger = static_cast<u_short>(seconds);
    return FromInt(::setsockopt(ToSocket(s), SOL_SOCKET, SO_LINGER,
                                reinterpret_cast<const char*>(&l), sizeof(l)));
  }
  SysResult GetLinger(SocketHandle s) override {
    linger l{};
    int len = sizeof(l);
    if (::getsockopt(ToSocket(s), SOL_SOCKET, SO_LINGER, reinterpret_cast<char*>(&l), &len) ==
        SOCKET_ERROR)
      return SysResult{-1, LastSocketErrno()};
    return SysResult{l.l_onoff ? int64_t{l.l_linger} : -2, 0};
  }
  SysResult Bind(SocketHandle s, const std::string& address, int port) override {
    sockaddr_storage ss;
    int len = 0;
    if (!win::ParseSockaddr(address, port, &ss, &len)) return SysResult{-1, EINVAL};
    return FromInt(::bind(ToSocket(s), reinterpret_cast<sockaddr*>(&ss), len));
  }
  SysResult Listen(SocketHandle s, int backlog) override {
    return FromInt(::listen(ToSocket(s), backlog));
  }
  std::string LocalAddress(SocketHandle s) override {
    sockaddr_storage ss{};
    int len = sizeof(ss);
    if (::getsockname(ToSocket(s), reinterpret_cast<sockaddr*>(&ss), &len) == SOCKET_ERROR)
      return "";
    return win::SockaddrText(ss);
  }
  SysResult Accept(SocketHandle s, int timeout_ms, std::string* peer) override {
    SysResult ready = PollIn(ToSocket(s), timeout_ms);
    if (!ready.ok()) return ready;
    if (ready.ret == 0) return SysResult{-1, ETIMEDOUT};
    sockaddr_storage ss{};
    int len = sizeof(ss);
    const SOCKET c = ::accept(ToSocket(s), reinterpret_cast<sockaddr*>(&ss), &len);
    if (c == INVALID_SOCKET) return SysResult{-1, LastSocketErrno()};
    if (peer) *peer = win::SockaddrText(ss);
    return SysResult{static_cast<int64_t>(c), 0};
  }
  SysResult Connect(SocketHandle s, const std::string& address, int port) override {
    sockaddr_storage ss;
    int len = 0;
    if (!win::ParseSockaddr(address, port, &ss, &len)) return SysResult{-1, EINVAL};
    return FromInt(::connect(ToSocket(s), reinterpret_cast<sockaddr*>(&ss), len));
  }
  SysResult Send(SocketHandle s, const char* data, size_t len) override {
    const int n = len > INT_MAX ? INT_MAX : static_cast<int>(len);  // send() takes an int
    return FromInt(::send(ToSocket(s), data, n, 0));
  }
  SysResult Recv(SocketHandle s, char* buf, size_t cap) override {
    const int n = cap > INT_MAX ? INT_MAX : static_cast<int>(cap);
    return FromInt(::recv(ToSocket(s), buf, n, 0));
  }
  SysResult WaitReadable(SocketHandle s, int timeout_ms) override {
    return PollIn(ToSocket(s), timeout_ms);
  }
  SysResult Shutdown(SocketHandle s, ShutdownHow how) override {
    const int h = how == ShutdownHow::kRead    ? SD_RECEIVE
                  : how == ShutdownHow::kWrite ? SD_SEND
                                               : SD_BOTH;
    return FromInt(::shutdown(ToSocket(s), h));
  }
  SysResult Close(SocketHandle s) override { return FromInt(::closesocket(ToSocket(s))); }
  SocketQueues Queues(SocketHandle s) override {
    SocketQueues q;
    u_long unread = 0;
    if (::ioctlsocket(ToSocket(s), FIONREAD, &unread) == 0) q.inq = static_cast<int64_t>(unread);
    return q;  // outq stays null: see the header comment
  }
};

}  // namespace

std::unique_ptr<SocketApi> MakeNativeSocketApi() { return std::make_unique<WinsockSocketApi>(); }

}  // namespace lingerlab

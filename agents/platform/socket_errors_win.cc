// ErrnoFromWinsock: see socket_errors_win.h.
#include "agents/platform/socket_errors_win.h"

#include <cerrno>

#if defined(_WIN32)
#include <winsock2.h>
// The numbers above are Winsock's own, wherever this is built.
static_assert(lingerlab::wsa::kEconnreset == WSAECONNRESET);
static_assert(lingerlab::wsa::kEwouldblock == WSAEWOULDBLOCK);
static_assert(lingerlab::wsa::kEshutdown == WSAESHUTDOWN);
static_assert(lingerlab::wsa::kEtimedout == WSAETIMEDOUT);
static_assert(lingerlab::wsa::kEnotconn == WSAENOTCONN);
static_assert(lingerlab::wsa::kEhostunreach == WSAEHOSTUNREACH);
static_assert(lingerlab::wsa::kNotinitialised == WSANOTINITIALISED);
static_assert(lingerlab::wsa::kEintr == WSAEINTR);
#endif

namespace lingerlab {

int ErrnoFromWinsock(int wsa_code) {
  switch (wsa_code) {
    case 0:
      return 0;
    case wsa::kEintr:
      return EINTR;
    case wsa::kEbadf:
      return EBADF;
    case wsa::kEacces:
      return EACCES;
    case wsa::kEfault:
      return EFAULT;
    case wsa::kEinval:
      return EINVAL;
    case wsa::kEmfile:
      return EMFILE;
    case wsa::kEwouldblock:
      return EWOULDBLOCK;
    case wsa::kEinprogress:
      return EINPROGRESS;
    case wsa::kEalready:
      return EALREADY;
    case wsa::kEnotsock:
      return ENOTSOCK;
    case wsa::kEdestaddrreq:
      return EDESTADDRREQ;
    case wsa::kEmsgsize:
      return EMSGSIZE;
    case wsa::kEprototype:
      return EPROTOTYPE;
    case wsa::kEnoprotoopt:
      return ENOPROTOOPT;
    case wsa::kEprotonosupport:
    case wsa::kEsocktnosupport:
      return EPROTONOSUPPORT;
    case wsa::kEopnotsupp:
      return EOPNOTSUPP;
    case wsa::kEpfnosupport:
    case wsa::kEafnosupport:
      return EAFNOSUPPORT;
    case wsa::kEaddrinuse:
      return EADDRINUSE;
    case wsa::kEaddrnotavail:
      return EADDRNOTAVAIL;
    case wsa::kEnetdown:
    case wsa::kNotinitialised:
      return ENETDOWN;
    case wsa::kEnetunreach:
      return ENETUNREACH;
    case wsa::kEnetreset:
      return ENETRESET;
    case wsa::kEconnaborted:
      return ECONNABORTED;
    case wsa::kEconnreset:
      return ECONNRESET;
    case wsa::kEnobufs:
      return ENOBUFS;
    case wsa::kEisconn:
      return EISCONN;
    case wsa::kEnotconn:
      return ENOTCONN;
    case wsa::kEshutdown:
      return EPIPE;
    case wsa::kEtimedout:
      return ETIMEDOUT;
    case wsa::kEconnrefused:
      return ECONNREFUSED;
    case wsa::kEhostdown:
#if defined(EHOSTDOWN)
      return EHOSTDOWN;
#else
      return EHOSTUNREACH;
#endif
    case wsa::kEhostunreach:
      return EHOSTUNREACH;
    default:
      return wsa_code;
  }
}

}  // namespace lingerlab

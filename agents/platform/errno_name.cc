// ErrnoName: portable names of <cerrno> numbers, for every SocketApi. The
// Winsock implementation maps its WSA codes to these numbers first
// (socket_errors_win.h), so one name means one thing on every platform.
#include <cerrno>
#include <string>

#include "agents/platform/socket_api.h"

namespace lingerlab {

std::string ErrnoName(int err) {
  switch (err) {
    case 0:
      return "";
      // clang-format off
#define LL_ERR(e) case e: return #e;
    LL_ERR(EPERM)
    LL_ERR(ENOENT)
    LL_ERR(EINTR)
    LL_ERR(EIO)
    LL_ERR(EBADF)
    LL_ERR(ENOMEM)
    LL_ERR(EACCES)
    LL_ERR(EFAULT)
    LL_ERR(EBUSY)
    LL_ERR(EINVAL)
    LL_ERR(EMFILE)
    LL_ERR(ENOSPC)
    LL_ERR(EPIPE)
    LL_ERR(ENOTSOCK)
    LL_ERR(EDESTADDRREQ)
    LL_ERR(EMSGSIZE)
    LL_ERR(EPROTOTYPE)
    LL_ERR(ENOPROTOOPT)
    LL_ERR(EPROTONOSUPPORT)
    LL_ERR(EOPNOTSUPP)
    LL_ERR(EAFNOSUPPORT)
    LL_ERR(EADDRINUSE)
    LL_ERR(EADDRNOTAVAIL)
    LL_ERR(ENETDOWN)
    LL_ERR(ENETUNREACH)
    LL_ERR(ENETRESET)
    LL_ERR(ECONNABORTED)
    LL_ERR(ECONNRESET)
    LL_ERR(ENOBUFS)
    LL_ERR(EISCONN)
    LL_ERR(ENOTCONN)
    LL_ERR(ETIMEDOUT)
    LL_ERR(ECONNREFUSED)
    LL_ERR(EHOSTUNREACH)
    LL_ERR(EALREADY)
    LL_ERR(EINPROGRESS)
#if defined(EHOSTDOWN)  // not in every C library's <errno.h> (mingw-w64 lacks it)
    LL_ERR(EHOSTDOWN)
#endif
#undef LL_ERR
      // clang-format on
    // EAGAIN and EWOULDBLOCK are one number on Linux; the write-up and BSD say
    // EWOULDBLOCK for a linger timeout, so that is the portable name.
    case EWOULDBLOCK:
      return "EWOULDBLOCK";
    default: {
      std::string name = "E";  // appended: GCC 12 -Wrestrict false positive on "E" + string&&
      name += std::to_string(err);
      return name;
    }
  }
}

}  // namespace lingerlab

// ErrnoFromWinsock + ErrnoName: each Winsock code this agent can meet on a
// test socket gets the portable name POSIX agents report.
#include "agents/platform/socket_errors_win.h"

#include <gtest/gtest.h>

#include <string>

#include "agents/platform/socket_api.h"

namespace lingerlab {
namespace {

std::string NameOf(int wsa_code) { return ErrnoName(ErrnoFromWinsock(wsa_code)); }

TEST(WinsockErrors, EachCodeHasItsPortableName) {
  const struct {
    int code;
    const char* name;
  } kCases[] = {
      {wsa::kEintr, "EINTR"},
      {wsa::kEbadf, "EBADF"},
      {wsa::kEacces, "EACCES"},
      {wsa::kEfault, "EFAULT"},
      {wsa::kEinval, "EINVAL"},
      {wsa::kEmfile, "EMFILE"},
      {wsa::kEwouldblock, "EWOULDBLOCK"},
      {wsa::kEinprogress, "EINPROGRESS"},
      {wsa::kEalready, "EALREADY"},
      {wsa::kEnotsock, "ENOTSOCK"},
      {wsa::kEdestaddrreq, "EDESTADDRREQ"},
      {wsa::kEmsgsize, "EMSGSIZE"},
      {wsa::kEprototype, "EPROTOTYPE"},
      {wsa::kEnoprotoopt, "ENOPROTOOPT"},
      {wsa::kEprotonosupport, "EPROTONOSUPPORT"},
      {wsa::kEsocktnosupport, "EPROTONOSUPPORT"},
      {wsa::kEopnotsupp, "EOPNOTSUPP"},
      {wsa::kEpfnosupport, "EAFNOSUPPORT"},
      {wsa::kEafnosupport, "EAFNOSUPPORT"},
      {wsa::kEaddrinuse, "EADDRINUSE"},
      {wsa::kEaddrnotavail, "EADDRNOTAVAIL"},
      {wsa::kEnetdown, "ENETDOWN"},
      {wsa::kNotinitialised, "ENETDOWN"},
      {wsa::kEnetunreach, "ENETUNREACH"},
      {wsa::kEnetreset, "ENETRESET"},
      {wsa::kEconnaborted, "ECONNABORTED"},
      {wsa::kEconnreset, "ECONNRESET"},
      {wsa::kEnobufs, "ENOBUFS"},
      {wsa::kEisconn, "EISCONN"},
      {wsa::kEnotconn, "ENOTCONN"},
      {wsa::kEshutdown, "EPIPE"},
      {wsa::kEtimedout, "ETIMEDOUT"},
      {wsa::kEconnrefused, "ECONNREFUSED"},
      {wsa::kEhostunreach, "EHOSTUNREACH"},
  };
  for (const auto& c : kCases) EXPECT_EQ(NameOf(c.code), c.name) << "WSA code " << c.code;
}

TEST(WinsockErrors, HostDownIsHostDownOrUnreachable) {
  // EHOSTDOWN is not in every <errno.h> (mingw-w64 lacks it).
  const std::string name = NameOf(wsa::kEhostdown);
  EXPECT_TRUE(name == "EHOSTDOWN" || name == "EHOSTUNREACH") << name;
}

TEST(WinsockErrors, ZeroIsSuccessAndUnknownCodesStayVisible) {
  EXPECT_EQ(ErrnoFromWinsock(0), 0);
  EXPECT_EQ(ErrnoName(ErrnoFromWinsock(0)), "");
  // WSAEPROCLIM: no POSIX twin; reported as its own number, never as a
  // wrong name.
  EXPECT_EQ(ErrnoFromWinsock(10067), 10067);
  EXPECT_EQ(NameOf(10067), "E10067");
}

TEST(WinsockErrors, CodesAreWinsocksOwn) {
  // The documented values (WSABASEERR 10000 + n); socket_errors_win.cc
  // checks them against winsock2.h in the Windows build.
  EXPECT_EQ(wsa::kEconnreset, 10054);
  EXPECT_EQ(wsa::kEwouldblock, 10035);
  EXPECT_EQ(wsa::kEtimedout, 10060);
  EXPECT_EQ(wsa::kEshutdown, 10058);
}

}  // namespace
}  // namespace lingerlab

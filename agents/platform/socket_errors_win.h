// Winsock error codes (WSAGetLastError) mapped to the portable <cerrno>
// numbers every SocketApi reports, so an event's errno_name means the same
// on Windows as on POSIX (WSAECONNRESET -> ECONNRESET, ...).
//
// A Winsock file that compiles everywhere: the mapping is a pure function
// over the documented numeric codes (WSABASEERR 10000 + n, winsock2.h), so
// its tests run in the Linux build and, cross-built, under Wine.
#pragma once

namespace lingerlab {

// Winsock's codes, as winsock2.h defines them (checked against the header
// in socket_errors_win.cc when built for Windows).
namespace wsa {
constexpr int kEintr = 10004;
constexpr int kEbadf = 10009;
constexpr int kEacces = 10013;
constexpr int kEfault = 10014;
constexpr int kEinval = 10022;
constexpr int kEmfile = 10024;
constexpr int kEwouldblock = 10035;
constexpr int kEinprogress = 10036;
constexpr int kEalready = 10037;
constexpr int kEnotsock = 10038;
constexpr int kEdestaddrreq = 10039;
constexpr int kEmsgsize = 10040;
constexpr int kEprototype = 10041;
constexpr int kEnoprotoopt = 10042;
constexpr int kEprotonosupport = 10043;
constexpr int kEsocktnosupport = 10044;
constexpr int kEopnotsupp = 10045;
constexpr int kEpfnosupport = 10046;
constexpr int kEafnosupport = 10047;
constexpr int kEaddrinuse = 10048;
constexpr int kEaddrnotavail = 10049;
constexpr int kEnetdown = 10050;
constexpr int kEnetunreach = 10051;
constexpr int kEnetreset = 10052;
constexpr int kEconnaborted = 10053;
constexpr int kEconnreset = 10054;
constexpr int kEnobufs = 10055;
constexpr int kEisconn = 10056;
constexpr int kEnotconn = 10057;
constexpr int kEshutdown = 10058;
constexpr int kEtimedout = 10060;
constexpr int kEconnrefused = 10061;
constexpr int kEhostdown = 10064;
constexpr int kEhostunreach = 10065;
constexpr int kNotinitialised = 10093;
}  // namespace wsa

// The <cerrno> number for a Winsock code. Codes without a POSIX twin are
// returned unchanged (ErrnoName then says "E100xx"); 0 stays 0. Choices
// where Winsock and POSIX disagree on the name:
//   WSAESHUTDOWN (send after shutdown(SD_SEND)) -> EPIPE, what POSIX send()
//     returns after shutdown(SHUT_WR);
//   WSAEPFNOSUPPORT -> EAFNOSUPPORT, WSAESOCKTNOSUPPORT -> EPROTONOSUPPORT;
//   WSANOTINITIALISED -> ENETDOWN (no network for this process);
//   WSAEHOSTDOWN -> EHOSTDOWN where <cerrno> has it, else EHOSTUNREACH.
int ErrnoFromWinsock(int wsa_code);

}  // namespace lingerlab

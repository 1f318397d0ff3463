// Winsock 2 helpers shared by the Windows platform files (never included
// elsewhere): startup, the last error as a portable errno, socket handles
// and addresses.
//
// Control-channel descriptors are `int` across the agent; a SOCKET is a
// kernel handle whose upper 32 bits are zero in practice (Microsoft: 64-bit
// Windows keeps handles 32-bit significant so they can be shared with 32-bit
// processes), so a SOCKET is held in an int and INVALID_SOCKET becomes -1.
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>
// After winsock2.h, which it needs: SIO_KEEPALIVE_VALS.
#include <mstcpip.h>

#include <cstdint>
#include <string>

namespace lingerlab::win {

// WSAStartup(2.2), once per process (later calls return the first answer):
// 0, or the WSA error code.
int StartWinsock();

// WSAGetLastError() as a <cerrno> number (socket_errors_win.h).
int LastSocketErrno();

inline SOCKET ToSocket(int64_t handle) { return static_cast<SOCKET>(handle); }
inline int ToFd(SOCKET s) { return s == INVALID_SOCKET ? -1 : static_cast<int>(s); }

// An IPv4 or IPv6 literal and a port into `ss`/`len`; false if neither.
bool ParseSockaddr(const std::string& address, int port, sockaddr_storage* ss, int* len);
// "198.18.0.1:5001" or "[fd00::1]:5001".
std::string SockaddrText(const sockaddr_storage& ss);

}  // namespace lingerlab::win

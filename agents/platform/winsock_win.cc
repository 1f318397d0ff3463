// Winsock startup, errors and addresses for the Windows platform files
// (winsock_win.h), and IpLiteralBytes (ip_literal.h) with Winsock's
// inet_pton.
#include "agents/platform/winsock_win.h"

#include <cstring>

#include "agents/platform/ip_literal.h"
#include "agents/platform/socket_errors_win.h"

namespace lingerlab {
namespace win {

int StartWinsock() {
  static const int result = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data);
  }();
  return result;
}

int LastSocketErrno() { return ErrnoFromWinsock(::WSAGetLastError()); }

bool ParseSockaddr(const std::string& address, int port, sockaddr_storage* ss, int* len) {
  StartWinsock();  // inet_pton may want it; a failure shows at socket()
  std::memset(ss, 0, sizeof(*ss));
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<u_short>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<u_short>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::string SockaddrText(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
    std::string text = buf;
    text += ":";
    text += std::to_string(ntohs(v4->sin_port));
    return text;
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof(buf));
  std::string text = "[";
  text += buf;
  text += "]:";
  text += std::to_string(ntohs(v6->sin6_port));
  return text;
}

}  // namespace win

std::optional<std::string> IpLiteralBytes(const std::string& address) {
  win::StartWinsock();
  unsigned char bytes[16] = {};
  if (::inet_pton(AF_INET, address.c_str(), bytes) == 1)
    return std::string(reinterpret_cast<const char*>(bytes), 4);
  if (::inet_pton(AF_INET6, address.c_str(), bytes) == 1)
    return std::string(reinterpret_cast<const char*>(bytes), 16);
  return std::nullopt;
}

}  // namespace lingerlab

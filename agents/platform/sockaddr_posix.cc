#include "agents/platform/sockaddr_posix.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "agents/platform/ip_literal.h"

namespace lingerlab {

bool ParseSockaddr(const std::string& address, int port, sockaddr_storage* ss, socklen_t* len) {
  std::memset(ss, 0, sizeof(*ss));
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::optional<std::string> IpLiteralBytes(const std::string& address) {
  unsigned char bytes[16] = {};
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1)
    return std::string(reinterpret_cast<const char*>(bytes), 4);
  if (inet_pton(AF_INET6, address.c_str(), bytes) == 1)
    return std::string(reinterpret_cast<const char*>(bytes), 16);
  return std::nullopt;
}

std::string SockaddrText(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
    return std::string(buf) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  auto* v6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof(buf));
  // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict, its bug
  // 105651) on "literal" + std::string&&, and Release builds use -Werror too.
  std::string text = "[";
  text += buf;
  text += "]:";
  text += std::to_string(ntohs(v6->sin6_port));
  return text;
}

}  // namespace lingerlab

// InterfaceHoldingAddress with getifaddrs(3): Linux, the BSDs, macOS and
// illumos all have it (only Linux is built and tested here).
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "agents/platform/capture_api.h"
#include "agents/platform/sockaddr_posix.h"

namespace lingerlab {

Result<std::string> InterfaceHoldingAddress(const std::string& address) {
  sockaddr_storage want{};
  socklen_t want_len = 0;
  if (!ParseSockaddr(address, 0, &want, &want_len))
    return MakeError(ErrorCode::kInvalidInput, "'" + address + "' is not an IP address");
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return MakeError(ErrorCode::kFailed, std::string("getifaddrs: ") + std::strerror(errno));
  std::string found;
  for (ifaddrs* i = list; i && found.empty(); i = i->ifa_next) {
    const sockaddr* a = i->ifa_addr;
    if (!a || a->sa_family != want.ss_family || !i->ifa_name) continue;
    if (a->sa_family == AF_INET) {
      const auto* have = reinterpret_cast<const sockaddr_in*>(a);
      const auto* w = reinterpret_cast<const sockaddr_in*>(&want);
      if (have->sin_addr.s_addr == w->sin_addr.s_addr) found = i->ifa_name;
    } else if (a->sa_family == AF_INET6) {
      // A link-local address may be held by several interfaces; the first wins.
      const auto* have = reinterpret_cast<const sockaddr_in6*>(a);
      const auto* w = reinterpret_cast<const sockaddr_in6*>(&want);
      if (std::memcmp(&have->sin6_addr, &w->sin6_addr, sizeof(in6_addr)) == 0) found = i->ifa_name;
    }
  }
  ::freeifaddrs(list);
  if (found.empty())
    return MakeError(ErrorCode::kNotFound, "no interface on this host holds " + address);
  return found;
}

}  // namespace lingerlab

// IP literals as bytes: the one address check portable code needs
// (endpoint parsing, the listener's wildcard warning). Implemented with the
// OS's inet_pton: sockaddr_posix.cc, sockaddr_win.cc.
#pragma once

#include <optional>
#include <string>

namespace lingerlab {

// The address's 4 (IPv4) or 16 (IPv6) bytes in network order; nothing if
// `address` is neither literal (names are not resolved).
std::optional<std::string> IpLiteralBytes(const std::string& address);

}  // namespace lingerlab

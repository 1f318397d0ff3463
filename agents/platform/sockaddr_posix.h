// Socket addresses from and to text, for the POSIX platform layer: shared by
// the test-socket calls (socket_api_posix.cc) and the control channel over
// TCP (stream_io_posix.cc).
#pragma once

#include <sys/socket.h>

#include <string>

namespace lingerlab {

// Fills `ss`/`len` from an IPv4 or IPv6 literal and a port; the family
// follows from the text. Returns false if `address` is neither.
bool ParseSockaddr(const std::string& address, int port, sockaddr_storage* ss, socklen_t* len);

// "198.18.0.1:5001" or "[fd00::1]:5001".
std::string SockaddrText(const sockaddr_storage& ss);

}  // namespace lingerlab

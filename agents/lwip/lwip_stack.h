// Starts lwIP in this process: its tcpip thread (tcpip_init) and one
// Ethernet interface on an existing Linux tap device, through the tap driver
// Debian's liblwip ships (tapif, from lwIP's contrib/ports/unix), with a
// static IPv4 address. After Start() succeeds, the lwip_* socket calls of
// socket_api_lwip.cc run on that interface.
//
// The tap device must exist (`ip tuntap add dev NAME mode tap`) in the
// process's network namespace and have no other reader. Failures (no
// /dev/net/tun, no such tap, tap busy, bad address) are a Status saying
// which, checked before lwIP is touched: lwIP's tap driver itself exits the
// process on those.
#pragma once

#include <string>

#include "agents/base/result.h"

namespace lingerlab {

struct LwipStackConfig {
  std::string tap;      // the tap device's name (at most 15 characters)
  std::string address;  // "A.B.C.D/LEN": lwIP's own address on the tap's link
};

// "198.18.0.1/30" -> address and prefix length; false if malformed.
bool ParseIpv4Prefix(const std::string& text, std::string* address, int* prefix_len);

// Starts the stack once per process; a second call is an error.
Status StartLwipStack(const LwipStackConfig& config);

// "2.1.3": the release of the lwIP library this binary runs on.
std::string LwipVersion();

}  // namespace lingerlab

// lwIP's start: tcpip thread, then the tap interface under the core lock.
#include "agents/lwip/lwip_stack.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <future>

extern "C" {
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/tcpip.h"
#include "netif/tapif.h"
}

namespace lingerlab {
namespace {

// The tap driver reads this to attach to an existing device instead of
// creating "tap0" and configuring it with ifconfig.
constexpr const char* kTapEnv = "PRECONFIGURED_TAPIF";

// Attaches to the tap once and lets go, so that the failures lwIP's driver
// would answer with exit(1) become an error message here.
Status CheckTap(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return MakeError(ErrorCode::kInvalidInput,
                     "tap name must have 1 to 15 characters: '" + name + "'");
  // TUNSETIFF would create a missing device: the lab makes it, so a missing
  // one is a mistake to report.
  if (::if_nametoindex(name.c_str()) == 0)
    return MakeError(ErrorCode::kNotFound, "no tap device '" + name +
                                               "' in this network namespace (ip tuntap add dev " +
                                               name + " mode tap)");
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return MakeError(
        ErrorCode::kNotFound,
        std::string("cannot open /dev/net/tun (modprobe tun?): ") + std::strerror(errno));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  const int r = ::ioctl(fd, TUNSETIFF, &ifr);
  const int saved = errno;
  ::close(fd);
  if (r < 0)
    return MakeError(ErrorCode::kFailed, "cannot attach to tap device '" + name +
                                             "' (TUNSETIFF): " + std::strerror(saved) +
                                             " (it must exist in this namespace, unused)");
  return Status::Ok();
}

netif g_netif;
bool g_started = false;

}  // namespace

bool ParseIpv4Prefix(const std::string& text, std::string* address, int* prefix_len) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return false;
  const std::string addr = text.substr(0, slash);
  in_addr probe{};
  if (::inet_pton(AF_INET, addr.c_str(), &probe) != 1) return false;
  int len = -1;
  const char* b = text.data() + slash + 1;
  const char* e = text.data() + text.size();
  const auto [end, ec] = std::from_chars(b, e, len);
  if (ec != std::errc() || end != e || b == e || len < 1 || len > 32) return false;
  *address = addr;
  *prefix_len = len;
  return true;
}

Status StartLwipStack(const LwipStackConfig& config) {
  if (g_started) return MakeError(ErrorCode::kFailed, "lwIP is already started");
  std::string addr_text;
  int prefix_len = 0;
  if (!ParseIpv4Prefix(config.address, &addr_text, &prefix_len))
    return MakeError(ErrorCode::kInvalidInput,
                     "address must be A.B.C.D/LEN, got '" + config.address + "'");
  if (Status s = CheckTap(config.tap); !s.ok()) return s;
  if (::setenv(kTapEnv, config.tap.c_str(), 1) != 0)
    return MakeError(ErrorCode::kFailed, std::string("setenv: ") + std::strerror(errno));

  std::promise<void> up;
  tcpip_init([](void* arg) { static_cast<std::promise<void>*>(arg)->set_value(); }, &up);
  up.get_future().wait();

  ip4_addr_t ip, mask, gw;
  if (!ip4addr_aton(addr_text.c_str(), &ip))
    return MakeError(ErrorCode::kInvalidInput, "lwIP rejects address " + addr_text);
  const uint32_t bits = prefix_len == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_len);
  ip4_addr_set_u32(&mask, htonl(bits));
  ip4_addr_set_zero(&gw);  // one link, no router

  LOCK_TCPIP_CORE();
  netif* n = netif_add(&g_netif, &ip, &mask, &gw, nullptr, tapif_init, tcpip_input);
  if (n != nullptr) {
    netif_set_default(n);
    netif_set_up(n);
  }
  UNLOCK_TCPIP_CORE();
  if (n == nullptr) return MakeError(ErrorCode::kFailed, "lwIP: netif_add on the tap failed");
  g_started = true;
  return Status::Ok();
}

std::string LwipVersion() { return LWIP_VERSION_STRING; }

}  // namespace lingerlab

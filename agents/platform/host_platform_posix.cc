#include <sys/utsname.h>

#include <string>

#include "agents/platform/host_platform.h"

namespace lingerlab {
namespace {
std::string FamilyOf(const std::string& sysname) {
  if (sysname == "Linux") return "linux";
  if (sysname == "Darwin") return "darwin";
  if (sysname == "SunOS") return "illumos";
  if (sysname == "FreeBSD" || sysname == "NetBSD" || sysname == "OpenBSD" || sysname == "DragonFly")
    return "bsd";
  if (sysname.rfind("CYGWIN", 0) == 0) return "windows-cygwin";
  return "unknown";
}
}  // namespace

nlohmann::json DescribeHostPlatform() {
  utsname u{};
  if (uname(&u) != 0) return {{"os", "unknown"}, {"family", "unknown"}};
  return {{"os", u.sysname},   {"release", u.release},   {"kernel_version", u.version},
          {"arch", u.machine}, {"hostname", u.nodename}, {"family", FamilyOf(u.sysname)}};
}

}  // namespace lingerlab

// DescribeHostPlatform with uname(2), and the POSIX process setup.
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

int64_t CurrentProcessId() { return static_cast<int64_t>(::getpid()); }

Status PrepareAgentProcess() {
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    return MakeError(ErrorCode::kFailed, std::string("signal(SIGPIPE): ") + std::strerror(errno));
  return Status::Ok();
}

}  // namespace lingerlab

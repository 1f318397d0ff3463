// lingerlab-agent-lwip: the agent with its test sockets on lwIP (a user-space
// TCP/IP stack running inside this process on a tap device) instead of the
// kernel's. The control channel stays a kernel descriptor (--control-fd, as
// the local lab gives it); only the test sockets are lwIP's.
//
//   lingerlab-agent-lwip --control-fd N --tap NAME --address A.B.C.D/LEN
//
// The tap must exist in the agent's network namespace; lwIP answers for
// ADDRESS on it (the kernel must not have that address). The agent reports
// platform family "lwip". Exit codes: 0 normal end; 1 protocol error on the
// control channel; 2 bad command line, or lwIP could not start (the message
// says why: no /dev/net/tun, no such tap, a bad address).
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "agents/agent/agent_session.h"
#include "agents/base/version.h"
#include "agents/lwip/lwip_stack.h"
#include "agents/lwip/socket_api_lwip.h"
#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitProtocol = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "usage: lingerlab-agent-lwip --control-fd N --tap NAME --address A.B.C.D/LEN\n"
    "       lingerlab-agent-lwip --help | --version\n";

constexpr const char* kHelp =
    "lingerlab-agent-lwip: the lingerlab agent (doc/protocol.md) with its test sockets on\n"
    "lwIP, a user-space TCP/IP stack started in this process on an existing tap device\n"
    "(doc/lwip.md). The control channel is the inherited descriptor N.\n"
    "\n"
    "Options:\n"
    "  --control-fd N         serve the control channel on this descriptor; exit when it ends\n"
    "  --tap NAME             the tap device lwIP sends and receives frames on\n"
    "  --address A.B.C.D/LEN  lwIP's IPv4 address and prefix on that link\n"
    "  --help, --version\n"
    "\n"
    "Exit codes: 0 normal end; 1 protocol error on the control channel; 2 bad command\n"
    "line or lwIP could not start.\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "lingerlab-agent-lwip: %s\n%s", message.c_str(), kUsage);
  return kExitUsage;
}

// The host's description with the stack in place of the OS: what answers on
// the test link is lwIP, whatever kernel carries the tap.
nlohmann::json LwipPlatform() {
  nlohmann::json host = lingerlab::DescribeHostPlatform();
  nlohmann::json p = host;
  p["os"] = "lwIP";
  p["release"] = lingerlab::LwipVersion();
  p["kernel_version"] = "lwIP " + lingerlab::LwipVersion() + " on a tap device of " +
                        host.value("os", std::string("unknown")) + " " +
                        host.value("release", std::string(""));
  p["family"] = "lwip";
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // the control channel is a kernel socket
  int control_fd = -1;
  lingerlab::LwipStackConfig stack;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::fputs("\n", stdout);
      std::fputs(kHelp, stdout);
      return kExitOk;
    }
    if (arg == "--version") {
      std::printf("%s (%s) lwIP %s\n", LINGERLAB_VERSION, LINGERLAB_GIT_COMMIT,
                  lingerlab::LwipVersion().c_str());
      return kExitOk;
    }
    if (arg != "--control-fd" && arg != "--tap" && arg != "--address")
      return UsageError("unknown option '" + std::string(arg) + "'");
    if (i + 1 >= argc) return UsageError(std::string(arg) + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--tap") {
      stack.tap = value;
    } else if (arg == "--address") {
      stack.address = value;
    } else {
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), control_fd);
      if (ec != std::errc() || end != value.data() + value.size() || control_fd < 0)
        return UsageError("--control-fd wants a descriptor number, got '" + value + "'");
    }
  }
  if (control_fd < 0 || stack.tap.empty() || stack.address.empty())
    return UsageError("--control-fd, --tap and --address are all required");
  if (lingerlab::Status s = lingerlab::StartLwipStack(stack); !s.ok()) {
    std::fprintf(stderr, "lingerlab-agent-lwip: cannot start lwIP: %s\n", s.message().c_str());
    return kExitUsage;
  }
  lingerlab::AgentIdentity id{LINGERLAB_VERSION, LINGERLAB_GIT_COMMIT, LwipPlatform()};
  lingerlab::Channel ch{lingerlab::UniqueFd(control_fd)};
  lingerlab::StepExecutor exec(lingerlab::MakeLwipSocketApi());
  auto end = lingerlab::ServeSession(ch, exec, id);
  return end == lingerlab::SessionEnd::kProtocolError ? kExitProtocol : kExitOk;
}

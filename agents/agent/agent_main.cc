// lingerlab-agent: performs socket steps for the coordinator and reports each
// one. A thin main over agent_session; the protocol is doc/protocol.md.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "agents/agent/agent_session.h"
#include "agents/base/version.h"
#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"

namespace {

// Exit codes: 0 the session ended normally (bye or coordinator gone),
// 1 a protocol error on the channel, 2 bad command line or cannot listen.
int ServeFd(int fd, const lingerlab::AgentIdentity& id) {
  lingerlab::Channel ch{lingerlab::UniqueFd(fd)};
  lingerlab::StepExecutor exec(lingerlab::MakeNativeSocketApi());
  auto end = lingerlab::ServeSession(ch, exec, id);
  return end == lingerlab::SessionEnd::kProtocolError ? 1 : 0;
}

int ServeTcp(const std::string& listen, const lingerlab::AgentIdentity& id) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "lingerlab-agent: --listen wants ADDRESS:PORT, got '%s'\n",
                 listen.c_str());
    return 2;
  }
  std::string addr = listen.substr(0, colon);
  if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']')
    addr = addr.substr(1, addr.size() - 2);
  int port = std::atoi(listen.c_str() + colon + 1);
  auto lfd = lingerlab::ListenTcp(addr, port);
  if (!lfd.ok()) {
    std::fprintf(stderr, "lingerlab-agent: cannot listen on %s: %s\n", listen.c_str(),
                 lfd.error().message.c_str());
    return 2;
  }
  std::fprintf(stderr, "lingerlab-agent: listening on %s:%d\n", addr.c_str(),
               lingerlab::LocalPort(lfd->get()).value());
  // One coordinator at a time; each session gets fresh sockets.
  for (;;) {
    auto conn = lingerlab::AcceptControl(lfd->get());
    if (!conn.ok()) {
      std::fprintf(stderr, "lingerlab-agent: %s\n", conn.error().message.c_str());
      return 2;
    }
    lingerlab::Channel ch(std::move(*conn));
    lingerlab::StepExecutor exec(lingerlab::MakeNativeSocketApi());
    auto end = lingerlab::ServeSession(ch, exec, id);
    std::fprintf(stderr, "lingerlab-agent: session ended: %s\n", lingerlab::SessionEndName(end));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that vanishes must surface as an error return, not kill the agent.
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "lingerlab-agent: performs TCP socket steps on request of the lingerlab coordinator and\n"
      "reports each with its return value, errno and timestamps (protocol: doc/protocol.md).\n"
      "It keeps no test logic and stays alive after close() until told to stop."};
  int control_fd = -1;
  std::string listen;
  auto* fd_opt = app.add_option("--control-fd", control_fd,
                                "serve the control channel on this inherited descriptor; exit "
                                "when it ends");
  auto* listen_opt = app.add_option("--listen", listen,
                                    "serve coordinators over TCP on ADDRESS:PORT, one at a time, "
                                    "until killed (remote agents)");
  fd_opt->excludes(listen_opt);
  app.set_version_flag("--version", std::string(LINGERLAB_VERSION) + " (" LINGERLAB_GIT_COMMIT ")");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // 2: bad command line, as documented above
  }
  if (control_fd < 0 && listen.empty()) {
    std::fprintf(stderr,
                 "lingerlab-agent: give --control-fd N or --listen ADDRESS:PORT (see --help)\n");
    return 2;
  }
  lingerlab::AgentIdentity id{LINGERLAB_VERSION, LINGERLAB_GIT_COMMIT,
                              lingerlab::DescribeHostPlatform()};
  return control_fd >= 0 ? ServeFd(control_fd, id) : ServeTcp(listen, id);
}

// lingerlab-agent: performs socket steps for the coordinator and reports each
// one. A thin main over agent_session; the protocol is doc/protocol.md.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "agents/agent/agent_session.h"
#include "agents/agent/listener.h"
#include "agents/base/version.h"
#include "agents/platform/host_platform.h"
#include "agents/platform/stream_io.h"

namespace {

// Exit codes: 0 the session ended normally (bye or coordinator gone),
// 1 a protocol error on the channel, 2 bad command line (a --listen port
// outside 0..65535 too), cannot listen, or accepting failed.
int ServeFd(int fd, const lingerlab::AgentIdentity& id) {
  lingerlab::Channel ch{lingerlab::UniqueFd(fd)};
  lingerlab::StepExecutor exec(lingerlab::MakeNativeSocketApi());
  auto end = lingerlab::ServeSession(ch, exec, id);
  return end == lingerlab::SessionEnd::kProtocolError ? 1 : 0;
}

int ServeTcp(const std::string& listen, const lingerlab::AgentIdentity& id) {
  auto where = lingerlab::ParseListenAddress(listen);
  if (!where.ok()) {
    std::fprintf(stderr, "lingerlab-agent: %s\n", where.error().message.c_str());
    return 2;
  }
  auto lfd = lingerlab::ListenTcp(where->address, where->port);
  if (!lfd.ok()) {
    std::fprintf(stderr, "lingerlab-agent: cannot listen on %s: %s\n", listen.c_str(),
                 lfd.error().message.c_str());
    return 2;
  }
  std::fprintf(stderr, "lingerlab-agent: listening on %s:%d\n", where->address.c_str(),
               lingerlab::LocalPort(lfd->get()).value());
  lingerlab::ListenerOptions options;
  options.log = [](const std::string& line) {
    std::fprintf(stderr, "lingerlab-agent: %s\n", line.c_str());
  };
  // One coordinator at a time; others get `busy`. Runs until killed.
  lingerlab::Status served = lingerlab::ServeListener(lfd->get(), id, options);
  std::fprintf(stderr, "lingerlab-agent: %s\n", served.message().c_str());
  return 2;
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
                                    "serve coordinators over TCP on ADDRESS:PORT, one at a time "
                                    "(others get 'busy'), until killed (remote agents)");
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

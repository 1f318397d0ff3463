// libFuzzer harness: the coordinator's AgentClient reading an untrusted
// agent's byte stream (handshake reply, then replies and events, checked by
// CheckEventShape). The input is everything the "agent" sends, written into
// a socketpair and then shut down, so every Receive ends soon (data or end of
// stream) and nothing waits for a reply timeout.
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "agents/platform/stream_io.h"
#include "suite/coordinator/agent_client.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::signal(SIGPIPE, SIG_IGN);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lingerlab;
  int fds[2];
  if (!MakeStreamPair(fds).ok()) std::abort();
  std::thread agent([fd = fds[1], input = std::string_view(reinterpret_cast<const char*>(data), size)] {
    (void)WriteAll(fd, input);  // fails once the client has gone: fine
    ::shutdown(fd, SHUT_WR);
    char buf[4096];  // swallow the requests until the client closes
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  });
  {
    AgentClient client(Channel(UniqueFd(fds[0])), "fuzz");
    // Two time requests (the clock estimate reads the checked stamps), then a
    // step whose event carries the optional fields.
    if (client.Handshake(Role::kServer).ok() && client.EstimateClockOffset(2).ok())
      (void)client.Request("read", {{"handle", "c"}, {"verify", true}}, kNsPerSec);
    client.Bye();
  }  // closes the client's end
  agent.join();
  return 0;
}

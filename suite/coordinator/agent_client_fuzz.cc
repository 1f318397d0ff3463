// libFuzzer harness: the coordinator's AgentClient reading an untrusted
// agent's byte stream (handshake reply, then replies and events, checked by
// CheckEventShape). The input is everything the "agent" sends; it is written
// into a socketpair before the client runs and the agent's side is shut
// down, so every Receive ends at once (data or end of stream).
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agents/platform/stream_io.h"
#include "suite/coordinator/agent_client.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::signal(SIGPIPE, SIG_IGN);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lingerlab;
  // Larger inputs would not fit in the socket buffer before the client reads.
  if (size > 100000) return -1;
  int fds[2];
  if (!MakeStreamPair(fds).ok()) std::abort();
  UniqueFd agent(fds[1]);
  if (!WriteAll(agent.get(), std::string_view(reinterpret_cast<const char*>(data), size)).ok())
    std::abort();
  ::shutdown(agent.get(), SHUT_WR);
  AgentClient client(Channel(UniqueFd(fds[0])), "fuzz");
  if (!client.Handshake(Role::kServer).ok()) return 0;
  // Two time requests (the clock estimate reads the checked stamps), then a
  // step whose event carries the optional fields.
  if (!client.EstimateClockOffset(2).ok()) return 0;
  (void)client.Request("read", {{"handle", "c"}, {"verify", true}}, kNsPerSec);
  client.Bye();
  return 0;
}

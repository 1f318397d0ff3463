// Listen mode of the agent (`lingerlab-agent --listen ADDR:PORT`): serves
// coordinators over TCP, one session at a time (doc/protocol.md §2, §6).
//
// A connection that arrives while a session is active is answered at once
// with an error frame `busy` and closed, so an idle or stuck coordinator
// cannot make others wait unseen; a session with no request for
// SessionLimits::idle_timeout_ns is dropped with `idle_timeout`.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "agents/agent/agent_session.h"
#include "agents/base/result.h"

namespace lingerlab {

struct ListenAddress {
  std::string address;  // IP literal, brackets of "[::1]" removed
  int port = 0;
};

// Parses "ADDRESS:PORT" ("[v6]:PORT" too). Fails with kInvalidInput, naming
// what is wrong, when there is no colon or the port is not a decimal 0..65535.
Result<ListenAddress> ParseListenAddress(std::string_view text);

struct ListenerOptions {
  SessionLimits limits{protocol::kHandshakeTimeout, protocol::kListenIdleTimeout};
  // Receives one line per session start, refusal and end (may be empty).
  std::function<void(const std::string&)> log;
  // When set, ServeListener returns once this is true and the current
  // session (if any) has ended; checked every 100 ms.
  const std::atomic<bool>* stop = nullptr;
};

// Accepts and serves coordinators on `listen_fd` until `options.stop`
// (never when it is null). Each session gets its own StepExecutor: fresh
// sockets. Fails only when accepting fails (e.g. out of descriptors).
Status ServeListener(int listen_fd, const AgentIdentity& identity, const ListenerOptions& options);

}  // namespace lingerlab

// Serves one control channel for the agent: handshake, then one request at a
// time until `bye`, the end of the channel, or a protocol error
// (doc/protocol.md §2, §3, §5). It never throws and never hangs on a bad
// peer: malformed input gets an error frame and the channel is closed.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/agent/step_executor.h"
#include "agents/protocol/channel.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {

struct AgentIdentity {
  std::string version;
  std::string commit;
  nlohmann::json platform;  // DescribeHostPlatform()
};

// kPeerClosed: the peer closed the channel, or stopped taking our frames
// (Channel's send deadline). kIdle: no request came within SessionLimits::idle_timeout_ns; the peer
// got an error frame `idle_timeout` and the channel was closed.
// kByeRelease: bye with "release": true, the coordinator's run is over (a
// --listen agent lets the run's lease go without its grace time, §7).
enum class SessionEnd { kBye, kByeRelease, kPeerClosed, kProtocolError, kIdle };
const char* SessionEndName(SessionEnd e);

struct SessionLimits {
  int64_t handshake_timeout_ns = protocol::kHandshakeTimeout;
  // Longest wait for the next request (< 0: forever). --control-fd sessions
  // wait forever: the coordinator that owns the socketpair ending is what
  // ends them. --listen sessions use protocol::kListenIdleTimeout.
  int64_t idle_timeout_ns = -1;
};

SessionEnd ServeSession(Channel& channel, StepExecutor& executor, const AgentIdentity& identity,
                        const SessionLimits& limits = {});

}  // namespace lingerlab

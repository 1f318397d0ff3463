// Serves one control channel for the agent: handshake, then one request at a
// time until `bye`, the end of the channel, or a protocol error
// (doc/protocol.md §2, §3, §5). It never throws and never hangs on a bad
// peer: malformed input gets an error frame and the channel is closed.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agents/agent/step_executor.h"
#include "agents/protocol/channel.h"

namespace lingerlab {

struct AgentIdentity {
  std::string version;
  std::string commit;
  nlohmann::json platform;  // DescribeHostPlatform()
};

enum class SessionEnd { kBye, kPeerClosed, kProtocolError };
const char* SessionEndName(SessionEnd e);

SessionEnd ServeSession(Channel& channel, StepExecutor& executor, const AgentIdentity& identity);

}  // namespace lingerlab

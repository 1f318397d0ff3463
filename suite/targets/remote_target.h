// RemoteTarget: agents a user started on other machines
// (`lingerlab-agent --listen ADDR:PORT --key FILE`, doc/remote.md), reached
// over TCP and authenticated with a pre-shared key (doc/protocol.md §7).
//
// Every case's lab connects one new session to each agent under the run's
// lease (its run id), so cases run in parallel; each case slot gets its own
// server port (port_base + slot). Packets are captured by the server's agent
// on its own host (CaptureSite::kServerAgent). Nothing is created on this
// machine, so there is nothing to sweep: sessions a dead coordinator leaves
// end by the agent's own deadlines.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "agents/base/result.h"
#include "agents/platform/endpoint.h"
#include "suite/targets/target.h"

namespace lingerlab {

// Server ports of a remote run: slot i uses kDefaultRemotePortBase + i
// unless --port-base says otherwise. Outside the ephemeral range of Linux
// (32768..60999) and the BSDs (49152..65535), so a client's own ports
// cannot collide with a case's.
constexpr int kDefaultRemotePortBase = 20000;
// How long connecting to an agent may take (per attempt; no retries).
constexpr int64_t kAgentConnectTimeout = 5 * kNsPerSec;

std::unique_ptr<Target> MakeRemoteTarget(const TargetConfig& config);

// Connects to the listening agent at `address`:`port` (at most
// kAgentConnectTimeout) and authenticates with `key` under `lease`
// (doc/protocol.md §7); errors start with `who` (e.g. "server agent
// 10.0.0.2:7000"). Also the qemu target's way to its guest agent.
struct AuthKey;
Result<Channel> ConnectToAgent(const std::string& address, int port, const AuthKey& key,
                               const std::string& lease, const std::string& who);

}  // namespace lingerlab

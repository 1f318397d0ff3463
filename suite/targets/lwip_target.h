// LwipTarget (`--target lwip`, doc/lwip.md): the server's socket calls run
// on lwIP, a user-space TCP/IP stack inside the server's agent
// (lingerlab-agent-lwip, built where liblwip-dev is found). Each case gets
// the netns target's two namespaces and veth (netns_lab.h); in the server's
// namespace the veth loses its address and is bridged with a tap device,
// and lwIP owns the server's test address on that tap, so the server
// namespace's kernel answers for nothing. The client's agent stays on the
// host kernel. The capture stays local, on the server namespace's eth0:
// every frame between lwIP and the client crosses that bridge port.
//
// The tap and the bridge live inside the server's namespace and go with it;
// teardown (and the sweep of dead runs) removes namespaces as for netns.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "suite/targets/target.h"

namespace lingerlab {

constexpr const char* kLwipAgentName = "lingerlab-agent-lwip";
constexpr const char* kLwipTapName = "lltap0";
constexpr const char* kLwipBridgeName = "llbr0";

std::unique_ptr<Target> MakeLwipTarget(const TargetConfig& config);

// Pure pieces, for tests.
// lingerlab-agent-lwip beside the agent binary `agent_path`.
std::string LwipAgentBeside(const std::string& agent_path);
// The `ip` commands that turn the server namespace `netns` (whose veth is
// kLabIfName with address `address`/`prefix_len`) into a bridge of that
// veth and a tap, with no address in the kernel.
std::vector<std::vector<std::string>> LwipServerLinkSteps(const std::string& netns,
                                                          const std::string& address,
                                                          int prefix_len);
// The server agent's arguments after --control-fd: the tap and lwIP's address.
std::vector<std::string> LwipAgentArgs(const std::string& address, int prefix_len);

}  // namespace lingerlab

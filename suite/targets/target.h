// Targets: how the two hosts of a case come to exist.
//
// A Target provisions one CaseLab per case; the lab owns everything it
// created (hosts, links, agent processes) and removes it in Teardown() or its
// destructor, on success, error and interruption alike. `netns` (two network
// namespaces joined by a veth pair) is the embedded default; a user-space
// stack (gVisor), booted kernels (QEMU) and remote agents are further
// implementations of the same interface, registered by name in
// target_registry.cc.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agents/base/result.h"
#include "agents/platform/unique_fd.h"
#include "agents/protocol/channel.h"
#include "suite/matrix/impairment_spec.h"

namespace lingerlab {

enum class Role { kServer, kClient };
const char* RoleName(Role r);

struct HostInfo {
  std::string address;         // the test address: IPv4 198.18.0.0/15, or IPv6 fd00::/8 (ULA)
  std::string netns;           // namespace name, or "" where the target has none
  std::string netns_path;      // e.g. /run/netns/NAME: where to open a capture
  std::string interface;       // the host's end of the test link
  std::string agent_endpoint;  // "HOST:PORT" of a remote agent's control channel, else ""
  // The family of the case's test sockets (the agent's `socket` argument),
  // matching `address`: "inet" (IPv4) or "inet6" (IPv6).
  std::string family = "inet";
};

// A reachable agent: its control channel, ready for the protocol's hello
// (a remote target has already authenticated it, doc/protocol.md §7), and
// its pid if the lab started it (-1 for an agent on another machine).
struct AgentProcess {
  Channel control;
  pid_t pid = -1;
};

// Where a case's packets are captured (the lab decides; the case runner
// opens the capture through suite/coordinator/case_capture.h):
//   kLocal: on this machine, with libpcap, on host(kServer).interface inside
//     host(kServer).netns_path (also on the gvisor target: netstack reads and
//     writes the server namespace's veth through an AF_PACKET socket, and a
//     capture on that interface sees both directions, doc/gvisor.md);
//   kServerAgent: by the server's agent on its own host (capture_start /
//     capture_stop / capture_read, doc/protocol.md §3.2), for hosts this
//     machine cannot see into.
enum class CaptureSite { kLocal, kServerAgent };
const char* CaptureSiteName(CaptureSite site);  // "local", "server-agent"

class CaseLab {
 public:
  virtual ~CaseLab() = default;
  virtual const HostInfo& host(Role role) const = 0;
  // Starts an agent on the host and returns its end of the control channel.
  // The lab keeps the process; Teardown() ends it by its pid if still alive.
  virtual Result<AgentProcess> StartAgent(Role role) = 0;
  // Kills the lab's agents now (by pid): used when a run is interrupted or a
  // case overruns its deadline. Safe to call from another thread.
  virtual void KillAgents() = 0;
  // Whether a connection the agent closed (an orphan, e.g. lingering or
  // probing a zero window) lives on when the agent's process exits before
  // the case ends. True where the host is a kernel that outlives the process
  // (netns: the namespace keeps the orphan); false where the host's stack
  // lives in the agent's process or dies with it (a user-space stack such as
  // gVisor's, a VM torn down with its agent). An agent that exits early is a
  // warning on a completed case when this is true, an error when false.
  virtual bool OrphansOutliveAgent() const { return false; }
  // Whether the agent of `role` is itself the TCP stack under test, not a
  // user of it: true where the stack runs inside the agent's process (lwIP
  // in lingerlab-agent-lwip). There an agent that exits during a socket call
  // (lwIP's LWIP_ASSERT aborts the process) or never returns from one (a
  // close() waiting on a pcb lwIP already freed) is what the stack did with
  // that call, a measured outcome the case records as a stack fault
  // (case_runner.cc, doc/results-format.md "stack_fault"). Where the agent
  // only calls a stack outside its process (a kernel's: netns, qemu,
  // remote; gVisor's netstack in the runsc sandbox around it), such an
  // agent is a lost tool and the case an error.
  virtual bool AgentIsStack(Role /*role*/) const { return false; }
  // How the agent process `pid` this lab started ended ("killed by
  // SIGABRT", "exited with status 1"), reaping it; waits up to `wait_ns` for
  // it to end. "" when it is not the lab's, still runs, or cannot be known.
  virtual std::string AgentExitStatus(pid_t /*pid*/, int64_t /*wait_ns*/) { return ""; }
  // Where this lab's packets are captured.
  virtual CaptureSite capture_site() const { return CaptureSite::kLocal; }
  // The server's port for a case whose matrix says `matrix_port`. Labs that
  // give each case its own hosts keep it; labs whose cases share hosts give
  // each case its own port so cases can run at the same time.
  virtual int TestPort(int matrix_port) const { return matrix_port; }
  // Impairs the test link from now on (a scenario's lab step, doc/matrix-
  // format.md "Lab steps"): drops (or delays) the segments `imp` matches,
  // for imp.for_ms or until cleared. Applied on the host side of the link,
  // never inside the stack under test (suite/targets/impairment.h). A lab
  // that cannot do it returns kUnsupported saying why (the case is then
  // not comparable, not an error).
  virtual Status Impair(const Impairment& /*imp*/) {
    return MakeError(ErrorCode::kUnsupported, "this target cannot impair packets");
  }
  // Removes every impairment this lab applied (Teardown does too).
  virtual Status ClearImpairments() { return Status::Ok(); }
  // Ends the agents (waiting up to `grace_ns` for those told `bye`) and
  // removes the hosts and links. Idempotent; reports the first failure.
  virtual Status Teardown(int64_t grace_ns) = 0;
};

// Agents a user started elsewhere (`--target remote`, doc/remote.md).
struct RemoteAgentsConfig {
  std::string server_agent;         // HOST:PORT of `lingerlab-agent --listen`
  std::string client_agent;         // HOST:PORT
  std::string key_file;             // the pre-shared key both agents were started with
  std::string server_test_address;  // "" = the server agent's host
  int port_base = 0;                // 0 = kDefaultRemotePortBase; case slot i uses base + i
};

// A kernel booted under QEMU (`--target qemu`, doc/qemu.md).
struct QemuConfig {
  std::string kernel;       // "" = the newest /boot/vmlinuz-*
  std::string modules;      // "" = /lib/modules/<the kernel's release>
  std::string initramfs;    // "" = build one per run; else the user's (doc/qemu.md)
  std::string guest_agent;  // "" = lingerlab-agent-static beside agent_path
};

struct TargetConfig {
  std::string agent_path;  // the lingerlab-agent binary
  std::string run_id;      // unique among live runs on this machine
  int ip = 4;              // --ip: the test link's IP version, 4 or 6 (6: netns only)
  RemoteAgentsConfig remote;
  QemuConfig qemu;

  // The agent and run id, the targets' own options left at their defaults.
  // (Named members rather than a braced list: gcc 12 at -O3 warns that a
  // braced temporary's strings "may be used uninitialized".)
  static TargetConfig For(std::string agent_path, std::string run_id) {
    TargetConfig c;
    c.agent_path = std::move(agent_path);
    c.run_id = std::move(run_id);
    return c;
  }
};

class Target {
 public:
  virtual ~Target() = default;
  virtual std::string Name() const = 0;
  // The TCP stack the server's socket calls run on, recorded in the results
  // beside the family (which the server agent reports and which picks the
  // expected table): "host-kernel" (this machine's kernel), "gvisor"
  // (gVisor's netstack), "qemu" (a kernel booted under QEMU), "remote" (the
  // remote host's own OS). The stack's release is the server agent's
  // platform.release.
  virtual std::string Stack() const = 0;
  // The IP version of the test addresses, 4 or 6, recorded as
  // environment.ip (netns: --ip; remote: its server test address's).
  virtual int IpVersion() const { return 4; }
  // Whether this target can work here; the error says what to do otherwise
  // (e.g. "needs root (CAP_NET_ADMIN): run with sudo").
  virtual Status CheckUsable() = 0;
  // Creates the hosts of one case. `index` is unique within the run; the
  // case's addresses derive from it so cases can run at the same time.
  virtual Result<std::unique_ptr<CaseLab>> Provision(const std::string& case_id, int index) = 0;
  // Removes leftovers of runs that are no longer alive (never a live run's).
  // Returns one line per thing removed.
  virtual Result<std::vector<std::string>> SweepStale() = 0;
  // Whether the run should reach both agents once before any case (a
  // provisioned lab, both handshakes, bye): true where the agents are not
  // ours to start, so an unreachable agent, a wrong key, a protocol
  // mismatch or a busy agent is an environment error before case 1.
  virtual bool ProbeAgentsBeforeRun() const { return false; }
  // Most cases that can run at once (0: no limit of the target's own). A
  // remote agent serves at most protocol::kMaxListenSessions sessions, one
  // per running case.
  virtual int MaxParallelCases() const { return 0; }
};

// Name -> factory table (target_registry.cc). Unknown names are an error
// listing the known ones.
Result<std::unique_ptr<Target>> MakeTarget(const std::string& name, const TargetConfig& config);
std::vector<std::string> TargetNames();

}  // namespace lingerlab

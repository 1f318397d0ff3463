// The namespace-pair lab: the one Target and CaseLab behind every target
// whose case is two network namespaces joined by a veth pair (netns_lab.h):
// netns, lwip and gvisor. The client's agent always runs on the host kernel
// in its namespace; a PairStack says what differs, how the server's side is
// made and started, and what else it makes and removes.
//
// Owns: the run lock (netns_lab.h), each case's two namespaces (from the
// first step of Provision() on, so a half-made case is removed too), the
// agents (AgentProcesses) and the PairServer of each case. Teardown, in
// order: agents stopped, PairServer::Remove(), namespaces removed. The
// target's destruction removes whatever of its run is left (the stack's
// leftovers first, then namespaces) before releasing the run lock.
//
// A new namespace-based target is one file defining its PairStack (and
// PairServer) and a factory `MakeXTarget(config)` returning MakePairTarget,
// plus its row in target_registry.cc (and the file in CMakeLists.txt).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "agents/base/result.h"
#include "suite/targets/netns_lab.h"
#include "suite/targets/target.h"

namespace lingerlab {

// One case's server side on a stack. Spawn(), Kill() and Remove() run under
// the lab's lock (AgentProcesses), so they never interleave.
class PairServer {
 public:
  virtual ~PairServer() = default;
  // After both namespaces and the veth exist, before any agent starts
  // (e.g. rewiring the server namespace). What it makes in the namespaces
  // goes with them.
  virtual Status Prepare() { return Status::Ok(); }
  // Starts the server's agent with `control_fd` as its control channel.
  virtual Result<pid_t> Spawn(int control_fd) = 0;
  // After the lab's processes were SIGKILLed: ends what else holds the
  // server's control channel.
  virtual void Kill() {}
  // After the agents have stopped, before the namespaces go.
  virtual Status Remove() { return Status::Ok(); }
  // CaseLab::OrphansOutliveAgent(): whether the server's stack outlives its
  // agent process.
  virtual bool OrphansOutliveAgent() const = 0;
  // CaseLab::AgentIsStack(kServer): whether the server's stack runs inside
  // its agent's process (the client's agent always uses the host kernel).
  virtual bool AgentIsStack() const { return false; }
};

// What a namespace-pair target adds to the shared lab.
class PairStack {
 public:
  virtual ~PairStack() = default;
  virtual std::string Name() const = 0;   // Target::Name(), e.g. "lwip"
  virtual std::string Stack() const = 0;  // Target::Stack()
  // Whether the stack serves --ip 6 (else the lab is IPv4 whatever --ip says).
  virtual bool Ipv6() const { return false; }
  // Checks of the stack's own, before the shared ones (capabilities, `ip`,
  // the agent binary); the error says what to install.
  virtual Status CheckUsable() { return Status::Ok(); }
  // The server side of one case (nothing made yet): `hosts` are the case's,
  // `case_name` its base name ll-<run>-<case> (CaseBaseName).
  virtual std::unique_ptr<PairServer> NewServer(const LabHosts& hosts,
                                                const std::string& case_name) = 0;
  // Target::SweepStale(): dead runs' leftovers (default: their namespaces
  // and lock files, SweepDeadRuns).
  virtual Result<std::vector<std::string>> SweepStale(const std::string& own_run);
  // The backstop at the target's destruction: this stack's leftovers of
  // run `run` (namespaces go after, by the lab).
  virtual void RemoveRunLeftovers(const std::string& /*run*/) {}
};

// The Target over `stack`. config.agent_path is the client's agent (and the
// server's where the stack says so).
std::unique_ptr<Target> MakePairTarget(const TargetConfig& config,
                                       std::unique_ptr<PairStack> stack);

}  // namespace lingerlab

// AgentProcesses: the one record of the agents a lab has reached, and of
// whether the lab is torn down. Every CaseLab keeps one.
//
// Owns: the pids of the agent processes it spawned on this machine (it
// kills them by pid and reaps them; nothing is ever signalled by name) and
// a duplicate descriptor of each agent session it was handed (remote and
// guest agents), which it shuts down to end the session. The channels
// themselves go to the caller (AgentProcess), which closes them.
//
// One mutex guards the record and runs the lab's own steps that must not
// interleave with a start or a kill: the spawn itself, the lab's extra
// kill, and the lab's removal of its hosts in Stop(). Once Stop() has begun
// nothing starts again: Spawn() and Watch() fail with kCancelled.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "agents/base/result.h"
#include "agents/platform/unique_fd.h"
#include "suite/targets/target.h"

namespace lingerlab {

class AgentProcesses {
 public:
  AgentProcesses() = default;
  AgentProcesses(const AgentProcesses&) = delete;
  AgentProcesses& operator=(const AgentProcesses&) = delete;
  // Stops what is still running (no grace): a lab that was never torn down
  // leaves no process behind.
  ~AgentProcesses();

  // Makes the control channel's socket pair and runs `spawn` with the
  // agent's end (to become its control descriptor) under the lock; records
  // the pid it returns. kCancelled, without calling `spawn`, after Stop().
  using Spawner = std::function<Result<pid_t>(int control_fd)>;
  Result<AgentProcess> Spawn(const Spawner& spawn);

  // Takes an authenticated session to an agent this machine did not start
  // (pid -1) and keeps a duplicate of its descriptor, so KillAll() can end
  // it from another thread. kCancelled after Stop() (the channel is closed).
  Result<AgentProcess> Watch(Channel channel);

  // SIGKILLs every recorded process (reaped in Stop()) and shuts every
  // session down, then runs `also` (e.g. ending a sandbox), all under the
  // lock. Safe from any thread; does not end the record.
  void KillAll(const std::function<void()>& also = nullptr);

  // Ends the record once: waits up to `grace_ns` for each process (those
  // told `bye` exit by themselves), SIGKILLs and reaps the rest, drops the
  // sessions, then runs `then` (the lab removing its hosts) under the lock
  // and returns its status. Later calls return Ok and run nothing; a call
  // racing the first waits for it to finish.
  Status Stop(int64_t grace_ns, const std::function<Status()>& then = nullptr);

  // Reaps `pid` if it is one of the recorded processes and ends within
  // `wait_ns`: returns its wait status and forgets it (Stop() then has
  // nothing to kill). Nothing when it is not recorded or still runs.
  std::optional<int> Reap(pid_t pid, int64_t wait_ns);

  bool stopped() const;
  std::vector<pid_t> pids() const;  // still recorded, for tests and messages

 private:
  mutable std::mutex mu_;
  std::vector<pid_t> pids_;
  std::vector<UniqueFd> sessions_;
  bool stopped_ = false;
};

}  // namespace lingerlab

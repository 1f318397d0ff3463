// Process calls the coordinator needs on Linux: run a helper command (ip),
// find the processes inside a network namespace,
// start an agent inside a network namespace, and end a process by its pid.
// Nothing here ever signals a process by name.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "agents/base/result.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab {

struct CommandResult {
  int exit_code = -1;  // -1 if it could not be started or was killed by a signal
  std::string output;  // stdout and stderr together, for error messages
};

// Bound for one helper command (`ip ...` takes milliseconds).
constexpr int64_t kCommandTimeoutNs = int64_t{30} * 1'000'000'000;

// Runs argv[0] (searched in PATH) with no shell and waits for it, at most
// `timeout_ns`: then it is killed by its pid and exit_code is -1.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         int64_t timeout_ns = kCommandTimeoutNs);

// Runs the command and fails with its output unless it exits 0.
Status RunChecked(const std::vector<std::string>& argv);

// Starts `agent_path --control-fd 3 [extra_args...]` inside the network
// namespace at `netns_path` (empty: our own), with `control_fd` as its
// descriptor 3 and nothing else inherited. The agent is killed if the starting thread dies
// (PR_SET_PDEATHSIG), so a crashed coordinator leaves no agent behind.
Result<pid_t> SpawnAgent(const std::string& agent_path, const std::string& netns_path,
                         int control_fd, const std::vector<std::string>& extra_args = {});

// Starts `argv` (argv[0] an absolute path; see FindExecutable) for a
// sandbox runtime (runsc): inside the network namespace at `netns_path`, in
// a private mount namespace of its own where /sys is that network
// namespace's sysfs (as `ip netns exec` does) and /proc/sys/net/core is an
// empty tmpfs (runsc's "not in the root network namespace" check misreads
// that directory on some kernels). `stdio_fd` becomes its stdin and stdout
// (the container's, so the sandboxed agent's control channel); stderr is
// inherited, nothing else. Killed if the starting thread dies
// (PR_SET_PDEATHSIG), in a process group of its own.
Result<pid_t> SpawnSandboxRuntime(const std::vector<std::string>& argv,
                                  const std::string& netns_path, int stdio_fd);

// The absolute path of `name` found in PATH (or `name` itself if it holds a
// '/' and is executable); "" if there is none.
std::string FindExecutable(const std::string& name);

// Starts argv (argv[0] searched in PATH, no shell) in the background inside
// the network namespace at `netns_path` (empty: our own), stdin from
// /dev/null, stdout and stderr appended to `log_path`. Killed by
// PR_SET_PDEATHSIG when the *calling thread* ends, so long-lived processes
// (a VM) are started from a thread that lives as long as they should.
Result<pid_t> SpawnBackground(const std::vector<std::string>& argv, const std::string& netns_path,
                              const std::string& log_path);

// Waits up to `grace_ns` for `pid` to exit, then SIGKILLs and reaps it.
// Returns true if it exited by itself.
bool StopProcess(pid_t pid, int64_t grace_ns);

// A waitpid() status as words: "exited with status 1", "killed by SIGABRT".
std::string DescribeWaitStatus(int status);

// True if a process with this pid exists.
bool ProcessAlive(pid_t pid);

// The pids whose /proc/<pid>/ns/net is the namespace with nsfs device
// `dev` and inode `ino` (stat() of /run/netns/<name> gives both), as
// `ip netns pids` lists them. Processes that vanish while listed are left
// out; an unreadable /proc gives an empty list.
std::vector<pid_t> PidsInNetns(dev_t dev, ino_t ino);

// SIGKILLs `pid` only if it is (still) inside the network namespace whose
// nsfs inode is `netns_inode`: the process is pinned with a pidfd first, so
// a pid reused between listing and signalling is never hit. Returns whether
// it was signalled.
bool KillIfInNetns(pid_t pid, unsigned long netns_inode);

}  // namespace lingerlab

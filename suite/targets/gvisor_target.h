// GvisorTarget (`--target gvisor`, doc/gvisor.md): the server's socket calls
// run on gVisor's netstack. Each case gets the netns target's two namespaces
// and veth (netns_lab.h); the server's agent runs inside a runsc sandbox
// with --network=sandbox in the server's namespace (netstack owns its eth0),
// the client's agent on the host kernel in its own namespace. The capture
// stays local, on the server namespace's eth0: AF_PACKET there sees every
// frame netstack sends and receives.
//
// The server agent's control channel is the container's stdin/stdout (a
// socketpair end given to runsc; the agent runs with --control-fd 0), so no
// key and no port on the test link. Sandboxes are named ll-<run>-<case>
// and live in a private runsc state root (kGvisorStateRoot); a run removes
// its own (runsc by pid, then `runsc delete -force`), and SweepStale removes
// those of dead runs with their namespaces, under the run's lock.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "suite/targets/target.h"

namespace lingerlab {

constexpr const char* kGvisorStateRoot = "/run/lingerlab/runsc";
constexpr const char* kGvisorBundleDir = "/run/lingerlab/gvisor-bundles";

std::unique_ptr<Target> MakeGvisorTarget(const TargetConfig& config);

// Pure pieces, for tests.
// What the container gets of this process's environment: the sanitizer
// settings (ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS) as "NAME=VALUE", and
// the directories of their log_path= prefixes, mounted writable, so a
// sanitized agent in the sandbox reports where one outside would (CI's
// asan stage collects the reports there).
struct ContainerExtras {
  std::vector<std::string> env;
  std::vector<std::string> writable_dirs;
};
ContainerExtras SanitizerPassthrough(const std::map<std::string, std::string>& environment);
// The OCI config.json of the server agent's container: root "/" read-only,
// the agent run as `agent_path --control-fd 0`, the network namespace at
// `netns_path` joined, no cgroupsPath and no resources; `extras` added.
std::string GvisorBundleJson(const std::string& agent_path, const std::string& netns_path,
                             const ContainerExtras& extras = {});
// runsc's arguments with the private state root: {runsc, --root, ROOT, args...}.
std::vector<std::string> RunscArgv(const std::string& runsc, const std::vector<std::string>& args);
// `runsc run` of sandbox `id` from bundle directory `bundle` (netstack, no cgroups).
std::vector<std::string> RunscRunArgv(const std::string& runsc, const std::string& bundle,
                                      const std::string& id);
// The container ids in the output of `runsc list -quiet`.
std::vector<std::string> ParseRunscListQuiet(const std::string& output);

}  // namespace lingerlab

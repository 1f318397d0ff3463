// The pieces of a lab of two network namespaces joined by a veth pair that
// several targets share (netns, gvisor): capability check, the run lock,
// namespace names and their creation, and the sweep of dead runs.
//
// Names: ll-<run>-<case>-s / -c. A run holds an exclusive flock on
// /run/lingerlab/<run>.lock for its whole life; a sweep removes the
// leftovers of runs whose lock file exists and is free (runs that died
// without cleaning up), holding that lock while it does.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agents/base/clock.h"
#include "agents/base/result.h"
#include "agents/platform/unique_fd.h"
#include "suite/targets/target.h"

namespace lingerlab {

constexpr const char* kNetnsPrefix = "ll-";
constexpr const char* kRunLockDir = "/run/lingerlab";
constexpr const char* kNetnsDir = "/run/netns";
constexpr const char* kLabIfName = "eth0";

// The capabilities a namespace lab needs and this process lacks, as
// "CAP_X (to ...)"; empty if all are there.
std::vector<std::string> MissingLabCapabilities();
// kPermission naming what is missing, for `target` ("netns", "gvisor").
Status CheckLabCapabilities(const std::string& target);

// The run's lock, /run/lingerlab/<run>.lock, held for the run's life.
class RunLock {
 public:
  Status Acquire(const std::string& run_id);
  bool held() const { return fd_.valid(); }

 private:
  UniqueFd fd_;
};
std::string RunLockPath(const std::string& run);
// Locks a dead run's lock file; invalid for a live run or a run with no
// lock file (not ours). A run is dead when nobody holds its lock, or when
// the process that took the lock is gone and only descriptors its children
// inherited still hold it: then it waits up to kDeadRunChildrenWaitNs for
// them to exit or exec.
UniqueFd LockDeadRun(const std::string& run);
constexpr int64_t kDeadRunChildrenWaitNs = 5 * kNsPerSec;
// The pid that /proc/locks names as holding a flock() on `fd`'s file (the
// process that took it, alive or not), or -1.
pid_t FlockHolder(int fd);

// ll-<run>-<case>-<s|c> -> run id (1-12 of [a-z0-9], --run-id), else "".
std::string RunOfNamespace(const std::string& ns);
// ll-<run>-<case> (a case's base name, e.g. a gVisor sandbox id) -> run id.
std::string RunOfCaseName(const std::string& name);

std::vector<std::string> ListLabNamespaces();  // names in /run/netns starting ll-
bool NamespaceExists(const std::string& name);
// Kills the processes inside (found by their /proc/<pid>/ns/net, killed by
// pid through a pidfd), then unmounts and removes it. Ok if it is not there.
Status RemoveNamespace(const std::string& name);
// Removes every namespace of run `run` still there (best effort).
void RemoveRunNamespaces(const std::string& run);

// ll-<run>-<case>: the base of a case's names.
std::string CaseBaseName(const std::string& run, const std::string& case_id);
// The two hosts of case slot `index` (addresses from AddressesForIndex for
// IP version `ip`, 4 or 6; HostInfo::family says which).
struct LabHosts {
  HostInfo server, client;
  int prefix_len = 30;
};
Result<LabHosts> LabHostsFor(const std::string& run, const std::string& case_id, int index,
                             int ip = 4);
// Bound for the kernel to finish bringing a new link up (its link watcher
// runs about once a second).
constexpr int64_t kLinkUpTimeoutNs = int64_t{5} * 1'000'000'000;
// Creates both namespaces, the veth between them, addresses (IPv6 without
// duplicate address detection: usable at once), links up, (best effort)
// offloads off, and waits until both ends carry packets; all by direct
// kernel calls (netlink.h), no process forked. On failure whatever was made
// stays for the caller's teardown to remove.
Status CreateLinkedNamespaces(const LabHosts& hosts, const std::string& case_id);

// Removes leftovers of dead runs other than `own_run`: for each dead run,
// `extra(run, removed)` first (e.g. its gVisor sandboxes; may be empty),
// then its namespaces, then its lock file. `extra_runs` names runs that have
// leftovers the namespace listing does not show.
using SweepExtra = std::function<Status(const std::string& run, std::vector<std::string>* removed)>;
Result<std::vector<std::string>> SweepDeadRuns(const std::string& own_run,
                                               const std::vector<std::string>& extra_runs,
                                               const SweepExtra& extra);

}  // namespace lingerlab

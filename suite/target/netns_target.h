// NetnsTarget: each case gets two fresh network namespaces joined by a veth
// pair ("eth0" on both sides), with addresses from 198.18.0.0/15, and agents
// started inside them. Linux only; needs CAP_NET_ADMIN.
//
// Names: ll-<run>-<case>-s / -c. A run holds an exclusive flock on
// /run/lingerlab/<run>.lock for its whole life; SweepStale() removes the
// namespaces (and kills the processes inside them, by pid) of runs whose
// lock is free, i.e. runs that died without cleaning up.
#pragma once

#include <memory>
#include <string>

#include "suite/target/target.h"

namespace lingerlab {

constexpr const char* kNetnsPrefix = "ll-";
constexpr const char* kRunLockDir = "/run/lingerlab";

std::unique_ptr<Target> MakeNetnsTarget(const TargetConfig& config);

// The two addresses of case slot `index`: a /30 inside 198.18.0.0/15.
struct LinkAddresses {
  std::string server, client;
  int prefix_len = 30;
};
Result<LinkAddresses> AddressesForIndex(int index);

// The run lock (shared with other targets that name their namespaces
// ll-<run>-...: qemu): its path, and LockDeadRun(run), which returns the
// lock of a run that is dead (file present, nobody holds it) or an invalid
// descriptor for a live run or no lock file.
std::string LockPath(const std::string& run);
UniqueFd LockDeadRun(const std::string& run);

}  // namespace lingerlab

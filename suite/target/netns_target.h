// NetnsTarget: each case gets two fresh network namespaces joined by a veth
// pair ("eth0" on both sides), with addresses from 198.18.0.0/15, and agents
// started inside them. Linux only; needs CAP_NET_ADMIN.
//
// Names, run lock and sweep of dead runs: netns_lab.h (shared with the
// gvisor target).
#pragma once

#include <memory>
#include <string>

#include "suite/target/netns_lab.h"
#include "suite/target/target.h"

namespace lingerlab {

std::unique_ptr<Target> MakeNetnsTarget(const TargetConfig& config);

// The two addresses of case slot `index`: a /30 inside 198.18.0.0/15.
struct LinkAddresses {
  std::string server, client;
  int prefix_len = 30;
};
Result<LinkAddresses> AddressesForIndex(int index);

}  // namespace lingerlab

// NetnsTarget: each case gets two fresh network namespaces joined by a veth
// pair ("eth0" on both sides), with addresses from 198.18.0.0/15 (or, with
// --ip 6, from the ULA prefix fd00:198:18::/48), and agents started inside
// them. Linux only; needs CAP_NET_ADMIN.
//
// Names, run lock and sweep of dead runs: netns_lab.h (shared with the
// gvisor target).
#pragma once

#include <memory>
#include <string>

#include "suite/targets/netns_lab.h"
#include "suite/targets/target.h"

namespace lingerlab {

std::unique_ptr<Target> MakeNetnsTarget(const TargetConfig& config);

// The two addresses of case slot `index` (0..32767), server first:
//   ip 4: a /30 inside 198.18.0.0/15: 198.18.0.1 and .2 for slot 0, .5/.6 for 1;
//   ip 6: a /64 inside fd00:198:18::/48 (ULA), the slot number as the fourth
//     group: fd00:198:18::1 and ::2 for slot 0, fd00:198:18:1::1/::2 for 1.
// kInvalidInput for a slot out of range or an ip other than 4 or 6.
struct LinkAddresses {
  std::string server, client;
  int prefix_len = 30;
  std::string family = "inet";  // the sockets' family: "inet" or "inet6"
};
Result<LinkAddresses> AddressesForIndex(int index, int ip = 4);

}  // namespace lingerlab

// Packet impairment on a lab's test link (CaseLab::Impair), done once for
// every lab whose client is a network namespace on this machine: netns,
// lwip, gvisor (pair_lab.cc) and qemu (qemu_target.cc).
//
// Where: nftables in the *client's* namespace, on its end of the test link
// (eth0), table `netdev lingerlab`: an egress chain for segments to the
// server, an ingress chain for segments to the client. The client's
// namespace is on the host kernel on every such target and carries only the
// case's test traffic; the server's namespace holds the stack under test
// (or, for gvisor and lwip, its veth and the capture) and is never touched.
//   to_client drops happen before the client's IP stack: the client's kernel
//     sees them as lost on the wire; the capture (the server's end) shows the
//     segment sent.
//   to_server drops happen at the client's device after its TCP sent the
//     segment: the capture never sees it, and the client's kernel learns the
//     transmit failed (NET_XMIT_DROP), so its retransmissions of such a
//     segment are timed as after a local drop, not a lost one.
// A drop window (for_ms > 0) is timed by the kernel: the rule matches
// through a set whose one element (the destination address) has that
// timeout, so no thread of ours ends it. Delay needs tc netem; it is not
// implemented (kUnsupported): the kernel this was written on has no netem.
//
// Each Apply forks `ip netns exec <ns> nft <script>` once; only cases with
// lab steps pay it. Clear deletes the table; the namespace takes it along
// in any case, and nothing is ever put in the root namespace.
#pragma once

#include <mutex>
#include <string>

#include "agents/base/result.h"
#include "suite/matrix/impairment_spec.h"
#include "suite/targets/target.h"

namespace lingerlab {

constexpr const char* kImpairTable = "lingerlab";

// The client-side link of a case: the client's namespace and interface,
// the two test addresses, their family ("inet" or "inet6").
struct ImpairLink {
  std::string netns;      // the client's namespace name
  std::string interface;  // the client's end of the test link, e.g. eth0
  std::string client_address, server_address;
  std::string family = "inet";
};
ImpairLink ClientImpairLink(const HostInfo& client, const HostInfo& server);

// The nft script that creates the table and its two chains.
std::string ImpairTableScript(const ImpairLink& link);
// The nft script for impairment number `id` (1, 2, ...) of the lab: its
// timed set and rules. kUnsupported for what is not implemented (delay),
// kInvalidInput for addresses or names that cannot go into a script.
Result<std::string> ImpairRuleScript(const ImpairLink& link, const Impairment& imp, int id);

// One lab's impairments. Apply and Clear may be called from the scenario's
// two threads at once.
class LinkImpairer {
 public:
  explicit LinkImpairer(ImpairLink link) : link_(std::move(link)) {}
  Status Apply(const Impairment& imp);
  // Deletes the table if this lab made it and the namespace is still there.
  Status Clear();

 private:
  std::mutex mu_;
  ImpairLink link_;
  int applied_ = 0;  // impairments applied since the table was made
  bool table_ = false;
};

}  // namespace lingerlab

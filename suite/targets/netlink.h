// Network namespaces, veth links, addresses and offloads by direct kernel
// calls, for the labs' per-case set-up: no `ip` or `ethtool` process is
// forked. Namespaces are files and mounts (unshare, mount); links and
// addresses are rtnetlink requests on a NETLINK_ROUTE socket; offloads are
// the ethtool ioctl.
//
// Namespaces are made exactly as `ip netns add` makes them (a file in
// /run/netns with the namespace bind-mounted onto it), so `ip netns list`,
// `ip netns exec`, `lingerlab clean` and the sweep see them as before.
//
// Ownership: the caller owns every namespace it creates and deletes it;
// NetnsLinks owns its two sockets. A socket stays bound to the namespace it
// was created in, so NetnsLinks opens them on a short-lived thread that
// setns()es there; no other thread ever changes namespace.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agents/base/result.h"
#include "agents/platform/unique_fd.h"

struct nlmsghdr;

namespace lingerlab {

// /run/netns/<name>.
std::string NetnsPath(const std::string& name);

// Creates network namespace `name` as `ip netns add` does: /run/netns made
// a shared mount point (bound onto itself first if it is not one), the
// empty file /run/netns/<name>, and a new namespace bind-mounted onto it.
// Fails naming the step and errno; an existing name fails before anything
// changes, and a later failure removes the file again.
Status CreateNetns(const std::string& name);

// Unmounts and unlinks /run/netns/<name> as `ip netns delete` does.
// kNotFound if there is none. Processes still inside keep the namespace
// (not the name) alive: callers end them first (RemoveNamespace).
Status DeleteNetns(const std::string& name);

// What the lab turns off so the capture shows wire-sized segments.
struct Offloads {
  bool tso = false;  // any TCP segmentation offload (ethtool's "tso")
  bool gso = false;  // generic segmentation offload
  bool gro = false;  // generic receive offload
};

// Requests to one network namespace's kernel. Every rtnetlink request asks
// for the kernel's acknowledgement and fails with its errno (and the
// kernel's extended-ack text when it gives one); a reply is awaited at most
// kNetlinkTimeoutNs, so nothing hangs.
class NetnsLinks {
 public:
  static constexpr int64_t kNetlinkTimeoutNs = int64_t{5} * 1'000'000'000;

  // Opens the sockets inside the namespace at `netns_path` ("" = the
  // calling thread's). Fails if the namespace cannot be opened or entered.
  static Result<NetnsLinks> Open(const std::string& netns_path);

  // Creates a veth pair: `name` in this namespace, `peer_name` in the
  // namespace at `peer_netns_path`. Fails (EEXIST, ...) leaving none.
  Status AddVeth(const std::string& name, const std::string& peer_name,
                 const std::string& peer_netns_path);
  // Adds `address`/`prefix_len` (IPv4 or IPv6 text) to interface `ifname`.
  // IPv6 addresses skip duplicate address detection (IFA_F_NODAD): usable
  // at once rather than "tentative" for a second or two, and nothing else
  // is on a case's link.
  Status AddAddress(const std::string& ifname, const std::string& address, int prefix_len);
  // Sets interface `ifname` administratively up.
  Status SetUp(const std::string& ifname);
  // Waits until `ifname` carries packets: up, carrier on, and its queue
  // attached. The kernel finishes bringing a link up asynchronously (its
  // link watcher, which runs at most once a second for a veth), and until
  // then every packet sent is dropped: a case's first SYN would cost a 1 s
  // retransmission. kTimeout after `timeout_ns`.
  Status WaitUntilRunning(const std::string& ifname, int64_t timeout_ns);
  // Turns TSO (every tx-tcp*-segmentation feature), GSO and GRO off, the
  // features `ethtool -K IF tso off gso off gro off` turns off, by name
  // (ETHTOOL_SFEATURES; the legacy ETHTOOL_STSO misses newer TCP variants).
  // Fails naming the ioctl the kernel refused.
  Status DisableOffloads(const std::string& ifname);
  // The three offloads' current state (ETHTOOL_GFEATURES, active bits;
  // tso: any of its features on).
  Result<Offloads> GetOffloads(const std::string& ifname);
  // The interface's index in this namespace; kNotFound if there is none.
  Result<int> IfIndex(const std::string& ifname);

 private:
  NetnsLinks(UniqueFd route, UniqueFd ioctl, std::string where)
      : route_(std::move(route)), ioctl_(std::move(ioctl)), where_(std::move(where)) {}
  // Sends one request and waits for its acknowledgement; messages of the
  // request's sequence number before it go to `on_reply`.
  Status Request(std::vector<char> msg, const std::string& what,
                 const std::function<void(const nlmsghdr*)>& on_reply = nullptr);
  Result<bool> Running(const std::string& ifname);
  // One SIOCETHTOOL call with `request` (an ethtool_* command structure).
  Status Ethtool(const std::string& ifname, void* request, const std::string& what);
  // The device's feature bits behind ethtool's "tso", "gso" and "gro".
  struct OffloadBits {
    uint32_t words = 0;  // 32-bit blocks of the feature mask
    std::vector<uint32_t> tso, gso, gro;
  };
  Result<OffloadBits> OffloadFeatureBits(const std::string& ifname);

  UniqueFd route_;  // NETLINK_ROUTE, inside the namespace
  UniqueFd ioctl_;  // an AF_INET datagram socket inside it, for ioctls
  std::string where_;
  uint32_t seq_ = 0;
};

}  // namespace lingerlab

#include "suite/targets/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
// After net/if.h: linux/if.h then leaves out what net/if.h defined.
#include <linux/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "agents/base/clock.h"

namespace lingerlab {
namespace {

constexpr const char* kRunDir = "/run/netns";

// "File exists (EEXIST)": the text for people, the name for searching.
std::string Describe(int err) {
  const char* name = ::strerrorname_np(err);  // glibc 2.32
  return std::string(std::strerror(err)) + " (" + (name ? name : "E" + std::to_string(err)) + ")";
}

ErrorCode CodeFor(int err) {
  switch (err) {
    case ENOENT:
    case ENODEV:
      return ErrorCode::kNotFound;
    case EPERM:
    case EACCES:
      return ErrorCode::kPermission;
    case EOPNOTSUPP:
      return ErrorCode::kUnsupported;
    default:
      return ErrorCode::kFailed;
  }
}

Error ErrnoError(const std::string& what, int err) {
  return MakeError(CodeFor(err), what + ": " + Describe(err));
}

// Names `ip netns` would accept and that stay one file in /run/netns.
bool ValidNetnsName(const std::string& name) {
  return !name.empty() && name.size() < NAME_MAX && name != "." && name != ".." &&
         name.find('/') == std::string::npos;
}

bool ValidIfName(const std::string& name) {
  return !name.empty() && name.size() < IFNAMSIZ && name.find('/') == std::string::npos &&
         name.find_first_of(" \t\n:") == std::string::npos;
}

// Two callers binding /run/netns onto itself at once would stack two mounts.
std::mutex run_dir_mu;

Status MakeRunDirShared() {
  std::lock_guard<std::mutex> lock(run_dir_mu);
  if (::mkdir(kRunDir, 0755) != 0 && errno != EEXIST)
    return ErrnoError(std::string("create ") + kRunDir, errno);
  // Shared, so a namespace mounted here is seen by every mount namespace
  // that sees /run/netns (`ip netns exec` makes private copies). Changing
  // propagation needs a mount point: EINVAL says it is a plain directory.
  for (int attempt = 0;; ++attempt) {
    if (::mount("", kRunDir, "none", MS_SHARED | MS_REC, nullptr) == 0) return Status::Ok();
    if (errno != EINVAL || attempt > 0)
      return ErrnoError(std::string("make ") + kRunDir + " a shared mount point", errno);
    if (::mount(kRunDir, kRunDir, "none", MS_BIND | MS_REC, nullptr) != 0)
      return ErrnoError(std::string("bind ") + kRunDir + " onto itself", errno);
  }
}

// A netlink message under construction: header, fixed part, attributes
// (nested ones by Begin/End), each 4-byte aligned as the kernel expects.
class NlMsg {
 public:
  NlMsg(uint16_t type, uint16_t flags) {
    // Room for a typical request up front: besides saving reallocations, it
    // keeps GCC 12 from a false -Warray-bounds on the first Append once this
    // is inlined (seen in the unity build).
    buf_.reserve(kTypicalBytes);
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK);
    Append(&h, sizeof(h));
  }
  template <typename T>
  void Put(const T& fixed) {
    Append(&fixed, sizeof(fixed));
  }
  void Attr(uint16_t type, const void* data, size_t len) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    Append(&a, sizeof(a));
    Append(data, len);
  }
  void AttrString(uint16_t type, const std::string& s) { Attr(type, s.c_str(), s.size() + 1); }
  void AttrU32(uint16_t type, uint32_t v) { Attr(type, &v, sizeof(v)); }
  size_t Begin(uint16_t type) {
    const size_t at = buf_.size();
    Attr(type, nullptr, 0);
    return at;
  }
  void End(size_t at) {
    const auto len = static_cast<uint16_t>(buf_.size() - at);
    std::memcpy(buf_.data() + at + offsetof(rtattr, rta_len), &len, sizeof(len));
  }
  std::vector<char> Finish() {
    const auto len = static_cast<uint32_t>(buf_.size());
    std::memcpy(buf_.data() + offsetof(nlmsghdr, nlmsg_len), &len, sizeof(len));
    return std::move(buf_);
  }

 private:
  void Append(const void* data, size_t len) {
    const size_t at = buf_.size();
    buf_.resize(at + NLMSG_ALIGN(len), 0);
    if (len > 0) std::memcpy(buf_.data() + at, data, len);
  }
  static constexpr size_t kTypicalBytes = 256;
  std::vector<char> buf_;
};

// The kernel's extended-ack text after an error, if it sent one.
std::string ExtAckText(const nlmsghdr* h) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  // With NETLINK_CAP_ACK the echoed request is only its header.
  const size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nlmsgerr));
  if (h->nlmsg_len <= start) return "";
  const char* p = reinterpret_cast<const char*>(h) + start;
  size_t left = h->nlmsg_len - start;
  while (left >= sizeof(nlattr)) {
    nlattr a;
    std::memcpy(&a, p, sizeof(a));
    if (a.nla_len < sizeof(nlattr) || a.nla_len > left) break;
    if (a.nla_type == NLMSGERR_ATTR_MSG) {
      const size_t n = a.nla_len - NLA_HDRLEN;
      return std::string(p + NLA_HDRLEN, strnlen(p + NLA_HDRLEN, n));
    }
    const size_t step = NLA_ALIGN(a.nla_len);
    if (step > left) break;
    p += step;
    left -= step;
  }
  return "";
}

}  // namespace

std::string NetnsPath(const std::string& name) { return std::string(kRunDir) + "/" + name; }

Status CreateNetns(const std::string& name) {
  if (!ValidNetnsName(name))
    return MakeError(ErrorCode::kInvalidInput, "create namespace: bad name '" + name + "'");
  if (Status s = MakeRunDirShared(); !s.ok())
    return MakeError(s.code(), "create namespace " + name + ": " + s.message());
  const std::string path = NetnsPath(name);
  const int file = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (file < 0) return ErrnoError("create namespace " + name + ": create " + path, errno);
  ::close(file);
  // unshare() moves only the calling thread; this one ends right after, so
  // no other thread of ours ever runs in the new namespace. /proc/self
  // would name the main thread's namespace: the task's own entry is needed.
  Status made;
  std::thread t([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      made = ErrnoError("create namespace " + name + ": unshare(CLONE_NEWNET)", errno);
      return;
    }
    const std::string self = "/proc/self/task/" + std::to_string(::gettid()) + "/ns/net";
    if (::mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0)
      made = ErrnoError("create namespace " + name + ": bind-mount it onto " + path, errno);
  });
  t.join();
  if (!made.ok()) ::unlink(path.c_str());
  return made;
}

Status DeleteNetns(const std::string& name) {
  if (!ValidNetnsName(name))
    return MakeError(ErrorCode::kInvalidInput, "delete namespace: bad name '" + name + "'");
  const std::string path = NetnsPath(name);
  // EINVAL: not mounted (a half-made namespace); the file still goes.
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return ErrnoError("delete namespace " + name + ": unmount " + path, errno);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT)
      return MakeError(ErrorCode::kNotFound, "delete namespace " + name + ": no such namespace");
    return ErrnoError("delete namespace " + name + ": remove " + path, errno);
  }
  return Status::Ok();
}

Result<NetnsLinks> NetnsLinks::Open(const std::string& netns_path) {
  const std::string where = netns_path.empty() ? "this namespace" : "namespace " + netns_path;
  UniqueFd ns;
  if (!netns_path.empty()) {
    ns = UniqueFd(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) return ErrnoError("open " + where, errno);
  }
  UniqueFd route, ioctl_fd;
  Status opened;
  auto open_sockets = [&] {
    route = UniqueFd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!route.valid()) {
      opened = ErrnoError("open a NETLINK_ROUTE socket in " + where, errno);
      return;
    }
    ioctl_fd = UniqueFd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!ioctl_fd.valid()) opened = ErrnoError("open an ioctl socket in " + where, errno);
  };
  if (ns.valid()) {
    // setns() moves only this short-lived thread; the sockets it opens stay
    // bound to the namespace after it ends.
    std::thread t([&] {
      if (::setns(ns.get(), CLONE_NEWNET) != 0) {
        opened = ErrnoError("enter " + where, errno);
        return;
      }
      open_sockets();
    });
    t.join();
  } else {
    open_sockets();
  }
  if (!opened.ok()) return opened.error();
  const int one = 1;
  // Errors carry the kernel's own text; acks do not echo whole requests.
  (void)::setsockopt(route.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  (void)::setsockopt(route.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(route.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0)
    return ErrnoError("bind the NETLINK_ROUTE socket in " + where, errno);
  return NetnsLinks(std::move(route), std::move(ioctl_fd), where);
}

Status NetnsLinks::Request(std::vector<char> msg, const std::string& what,
                           const std::function<void(const nlmsghdr*)>& on_reply) {
  const std::string op = what + " in " + where_;
  const uint32_t seq = ++seq_;
  std::memcpy(msg.data() + offsetof(nlmsghdr, nlmsg_seq), &seq, sizeof(seq));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  const ssize_t sent = ::sendto(route_.get(), msg.data(), msg.size(), 0,
                                reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  if (sent < 0) return ErrnoError(op + ": send", errno);
  if (static_cast<size_t>(sent) != msg.size())
    return MakeError(ErrorCode::kFailed, op + ": short send");
  const int64_t deadline = MonotonicNs() + kNetlinkTimeoutNs;
  alignas(nlmsghdr) char buf[16384];
  for (;;) {
    const int64_t left = deadline - MonotonicNs();
    if (left <= 0)
      return MakeError(ErrorCode::kTimeout, op + ": no acknowledgement from the kernel within " +
                                                std::to_string(kNetlinkTimeoutNs / kNsPerMs) +
                                                " ms");
    pollfd p{route_.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>((left + kNsPerMs - 1) / kNsPerMs));
    if (ready < 0 && errno != EINTR) return ErrnoError(op + ": poll", errno);
    if (ready <= 0) continue;
    const ssize_t n = ::recv(route_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ErrnoError(op + ": receive", errno);
    }
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue;  // not our answer (a late one to an earlier request)
      if (h->nlmsg_type != NLMSG_ERROR) {
        if (on_reply) on_reply(h);
        continue;
      }
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr)))
        return MakeError(ErrorCode::kFailed, op + ": truncated acknowledgement");
      nlmsgerr e;
      std::memcpy(&e, NLMSG_DATA(h), sizeof(e));
      if (e.error == 0) return Status::Ok();
      const std::string text = ExtAckText(h);
      Error err = ErrnoError(op, -e.error);
      if (!text.empty()) err.message += ": kernel says \"" + text + "\"";
      return err;
    }
  }
}

Result<int> NetnsLinks::IfIndex(const std::string& ifname) {
  if (!ValidIfName(ifname))
    return MakeError(ErrorCode::kInvalidInput, "bad interface name '" + ifname + "'");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  if (::ioctl(ioctl_.get(), SIOCGIFINDEX, &ifr) != 0) {
    if (errno == ENODEV)
      return MakeError(ErrorCode::kNotFound, "no interface '" + ifname + "' in " + where_);
    return ErrnoError("look up interface '" + ifname + "' in " + where_, errno);
  }
  return ifr.ifr_ifindex;
}

Status NetnsLinks::AddVeth(const std::string& name, const std::string& peer_name,
                           const std::string& peer_netns_path) {
  const std::string what = "add veth " + name + " <-> " + peer_name + " (" + peer_netns_path + ")";
  if (!ValidIfName(name) || !ValidIfName(peer_name))
    return MakeError(ErrorCode::kInvalidInput, what + ": bad interface name");
  UniqueFd peer_ns(::open(peer_netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!peer_ns.valid()) return ErrnoError(what + ": open the peer's namespace", errno);
  NlMsg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  m.Put(ifinfomsg{});
  m.AttrString(IFLA_IFNAME, name);
  const size_t linkinfo = m.Begin(IFLA_LINKINFO);
  m.AttrString(IFLA_INFO_KIND, "veth");
  const size_t data = m.Begin(IFLA_INFO_DATA);
  const size_t peer = m.Begin(VETH_INFO_PEER);
  m.Put(ifinfomsg{});  // the peer's own link message: header, then attributes
  m.AttrString(IFLA_IFNAME, peer_name);
  m.AttrU32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_ns.get()));
  m.End(peer);
  m.End(data);
  m.End(linkinfo);
  return Request(m.Finish(), what);
}

Status NetnsLinks::AddAddress(const std::string& ifname, const std::string& address,
                              int prefix_len) {
  const std::string what =
      "add address " + address + "/" + std::to_string(prefix_len) + " to " + ifname;
  unsigned char bytes[16] = {};
  ifaddrmsg ifa{};
  size_t len = 0;
  if (::inet_pton(AF_INET, address.c_str(), bytes) == 1) {
    ifa.ifa_family = AF_INET;
    len = 4;
  } else if (::inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    ifa.ifa_family = AF_INET6;
    ifa.ifa_flags = IFA_F_NODAD;
    len = 16;
  } else {
    return MakeError(ErrorCode::kInvalidInput, what + ": not an IPv4 or IPv6 address");
  }
  if (prefix_len < 0 || prefix_len > static_cast<int>(len * 8))
    return MakeError(ErrorCode::kInvalidInput, what + ": bad prefix length");
  auto index = IfIndex(ifname);
  if (!index.ok()) return MakeError(index.error().code, what + ": " + index.error().message);
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix_len);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<uint32_t>(*index);
  NlMsg m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  m.Put(ifa);
  m.Attr(IFA_LOCAL, bytes, len);
  m.Attr(IFA_ADDRESS, bytes, len);
  m.AttrU32(IFA_FLAGS, ifa.ifa_flags);
  return Request(m.Finish(), what);
}

Status NetnsLinks::SetUp(const std::string& ifname) {
  const std::string what = "set " + ifname + " up";
  auto index = IfIndex(ifname);
  if (!index.ok()) return MakeError(index.error().code, what + ": " + index.error().message);
  ifinfomsg ifi{};
  ifi.ifi_index = *index;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  NlMsg m(RTM_NEWLINK, 0);
  m.Put(ifi);
  return Request(m.Finish(), what);
}

Result<bool> NetnsLinks::Running(const std::string& ifname) {
  const std::string what = "read the state of " + ifname;
  auto index = IfIndex(ifname);
  if (!index.ok()) return MakeError(index.error().code, what + ": " + index.error().message);
  ifinfomsg ifi{};
  ifi.ifi_index = *index;
  NlMsg m(RTM_GETLINK, 0);
  m.Put(ifi);
  int operstate = -1;
  std::string qdisc;
  Status s = Request(m.Finish(), what, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(ifinfomsg))) return;
    int len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(ifinfomsg)));
    const auto* info = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
    for (const auto* a = IFLA_RTA(info); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
      const size_t n = RTA_PAYLOAD(a);
      if (a->rta_type == IFLA_OPERSTATE && n >= 1)
        operstate = *static_cast<const unsigned char*>(RTA_DATA(a));
      if (a->rta_type == IFLA_QDISC && n >= 1)
        qdisc.assign(static_cast<const char*>(RTA_DATA(a)),
                     strnlen(static_cast<const char*>(RTA_DATA(a)), n));
    }
  });
  if (!s.ok()) return s.error();
  // The kernel's link watcher marks the link up and replaces the "noop"
  // qdisc (which drops everything) in one step.
  return operstate == IF_OPER_UP && !qdisc.empty() && qdisc != "noop";
}

Status NetnsLinks::WaitUntilRunning(const std::string& ifname, int64_t timeout_ns) {
  const int64_t deadline = MonotonicNs() + timeout_ns;
  for (;;) {
    auto running = Running(ifname);
    if (!running.ok()) return running.error();
    if (*running) return Status::Ok();
    if (MonotonicNs() >= deadline)
      return MakeError(ErrorCode::kTimeout, "wait for " + ifname + " in " + where_ +
                                                " to carry packets: not up after " +
                                                std::to_string(timeout_ns / kNsPerMs) + " ms");
    SleepNs(2 * kNsPerMs);
  }
}

Status NetnsLinks::Ethtool(const std::string& ifname, void* request, const std::string& what) {
  if (!ValidIfName(ifname))
    return MakeError(ErrorCode::kInvalidInput, what + ": bad interface name '" + ifname + "'");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  ifr.ifr_data = static_cast<char*>(request);
  if (::ioctl(ioctl_.get(), SIOCETHTOOL, &ifr) < 0)
    return ErrnoError(what + " on " + ifname + " in " + where_, errno);
  return Status::Ok();
}

Result<NetnsLinks::OffloadBits> NetnsLinks::OffloadFeatureBits(const std::string& ifname) {
  // The kernel's feature names, by bit: their number first, then the names.
  std::vector<uint32_t> sset((sizeof(ethtool_sset_info) + sizeof(uint32_t)) / 4, 0);
  auto* info = reinterpret_cast<ethtool_sset_info*>(sset.data());
  info->cmd = ETHTOOL_GSSET_INFO;
  info->sset_mask = uint64_t{1} << ETH_SS_FEATURES;
  if (Status s = Ethtool(ifname, info, "count the offload features"); !s.ok()) return s.error();
  const uint32_t count = (info->sset_mask & (uint64_t{1} << ETH_SS_FEATURES)) ? info->data[0] : 0;
  if (count == 0 || count > 4096)
    return MakeError(ErrorCode::kUnsupported, "offload features of " + ifname + " in " + where_ +
                                                  ": the kernel names " + std::to_string(count));
  std::vector<uint32_t> buf((sizeof(ethtool_gstrings) + count * ETH_GSTRING_LEN + 3) / 4, 0);
  auto* strings = reinterpret_cast<ethtool_gstrings*>(buf.data());
  strings->cmd = ETHTOOL_GSTRINGS;
  strings->string_set = ETH_SS_FEATURES;
  strings->len = count;
  if (Status s = Ethtool(ifname, strings, "read the offload feature names"); !s.ok())
    return s.error();
  // ethtool -K's flags, by the names it matches: "tso" is every
  // tx-tcp*-segmentation (their number grows with the kernel), "gso" and
  // "gro" one feature each.
  OffloadBits bits;
  bits.words = (count + 31) / 32;
  for (uint32_t i = 0; i < count && i < strings->len; ++i) {
    const char* raw = reinterpret_cast<const char*>(strings->data) + size_t{i} * ETH_GSTRING_LEN;
    const std::string name(raw, strnlen(raw, ETH_GSTRING_LEN));
    const std::string_view prefix = "tx-tcp", suffix = "-segmentation";
    if (name.size() >= prefix.size() + suffix.size() && name.rfind(prefix, 0) == 0 &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      bits.tso.push_back(i);
    else if (name == "tx-generic-segmentation")
      bits.gso.push_back(i);
    else if (name == "rx-gro")
      bits.gro.push_back(i);
  }
  return bits;
}

Status NetnsLinks::DisableOffloads(const std::string& ifname) {
  auto bits = OffloadFeatureBits(ifname);
  if (!bits.ok()) return bits.error();
  std::vector<uint32_t> buf(
      (sizeof(ethtool_sfeatures) + bits->words * sizeof(ethtool_set_features_block) + 3) / 4, 0);
  auto* set = reinterpret_cast<ethtool_sfeatures*>(buf.data());
  set->cmd = ETHTOOL_SFEATURES;
  set->size = bits->words;
  for (const std::vector<uint32_t>* group : {&bits->tso, &bits->gso, &bits->gro})
    for (uint32_t bit : *group) set->features[bit / 32].valid |= 1u << (bit % 32);
  // requested stays 0: off. A feature the device cannot change is left as
  // it is (the kernel says so with a positive return, not an error).
  return Ethtool(ifname, set, "turn tso, gso and gro off");
}

Result<Offloads> NetnsLinks::GetOffloads(const std::string& ifname) {
  auto bits = OffloadFeatureBits(ifname);
  if (!bits.ok()) return bits.error();
  std::vector<uint32_t> buf(
      (sizeof(ethtool_gfeatures) + bits->words * sizeof(ethtool_get_features_block) + 3) / 4, 0);
  auto* get = reinterpret_cast<ethtool_gfeatures*>(buf.data());
  get->cmd = ETHTOOL_GFEATURES;
  get->size = bits->words;
  if (Status s = Ethtool(ifname, get, "read the offload features"); !s.ok()) return s.error();
  auto any_active = [get](const std::vector<uint32_t>& group) {
    for (uint32_t bit : group)
      if (get->features[bit / 32].active & (1u << (bit % 32))) return true;
    return false;
  };
  return Offloads{any_active(bits->tso), any_active(bits->gso), any_active(bits->gro)};
}

}  // namespace lingerlab

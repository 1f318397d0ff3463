#include "suite/targets/impairment.h"

#include <arpa/inet.h>

#include <cctype>

#include "suite/targets/netns_lab.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

// Only an address that parses as one may enter a script.
bool IsAddress(const std::string& family, const std::string& a) {
  unsigned char buf[16];
  return ::inet_pton(family == "inet6" ? AF_INET6 : AF_INET, a.c_str(), buf) == 1;
}

bool IsInterfaceName(const std::string& s) {
  if (s.empty() || s.size() > 15) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

// The flags test of `m` (the payload tests of ack and data are rules of their own).
std::string FlagsTest(ImpairMatch m) {
  switch (m) {
    case ImpairMatch::kSyn:
      return " tcp flags & (syn|ack) == syn";
    case ImpairMatch::kSynAck:
      return " tcp flags & (syn|ack) == syn|ack";
    case ImpairMatch::kAck:
      return " tcp flags & (syn|fin|rst|ack) == ack";
    case ImpairMatch::kFin:
      return " tcp flags & fin == fin";
    case ImpairMatch::kRst:
      return " tcp flags & rst == rst";
    case ImpairMatch::kData:
    case ImpairMatch::kAny:
      return "";
  }
  return "";
}

}  // namespace

ImpairLink ClientImpairLink(const HostInfo& client, const HostInfo& server) {
  ImpairLink l;
  l.netns = client.netns;
  l.interface = client.interface.empty() ? kLabIfName : client.interface;
  l.client_address = client.address;
  l.server_address = server.address;
  l.family = server.family;
  return l;
}

std::string ImpairTableScript(const ImpairLink& link) {
  const std::string t = std::string("netdev ") + kImpairTable;
  const std::string dev = "device \"" + link.interface + "\" priority 0; policy accept; }\n";
  return "add table " + t + "\n" +                                           //
         "add chain " + t + " to_server { type filter hook egress " + dev +  //
         "add chain " + t + " to_client { type filter hook ingress " + dev;
}

Result<std::string> ImpairRuleScript(const ImpairLink& link, const Impairment& imp, int id) {
  if (imp.action == ImpairAction::kDelay)
    return MakeError(ErrorCode::kUnsupported,
                     "delaying packets is not implemented (it needs tc netem, which the kernel "
                     "lingerlab was developed on lacks); only \"drop\" is");
  if (!IsInterfaceName(link.interface) || !IsAddress(link.family, link.client_address) ||
      !IsAddress(link.family, link.server_address))
    return MakeError(ErrorCode::kInvalidInput,
                     "impairment: bad link (interface '" + link.interface + "', addresses '" +
                         link.client_address + "', '" + link.server_address + "')");
  const bool v6 = link.family == "inet6";
  const bool to_server = imp.direction == ImpairDirection::kToServer;
  const std::string& src = to_server ? link.client_address : link.server_address;
  const std::string& dst = to_server ? link.server_address : link.client_address;
  const std::string t = std::string("netdev ") + kImpairTable;
  const std::string set = "w" + std::to_string(id);
  std::string out = "add set " + t + " " + set + " { type " + (v6 ? "ipv6_addr" : "ipv4_addr") +
                    (imp.for_ms > 0 ? "; flags timeout" : "") + "; }\n";
  out += "add element " + t + " " + set + " { " + dst +
         (imp.for_ms > 0 ? " timeout " + std::to_string(imp.for_ms) + "ms" : "") + " }\n";
  const std::string head = "add rule " + t + " " + ImpairDirectionName(imp.direction) +
                           (v6 ? " ip6 saddr " : " ip saddr ") + src +
                           (v6 ? " ip6 daddr @" : " ip daddr @") + set +
                           (v6 ? " ip6 nexthdr tcp" : " ip protocol tcp");
  const std::string tail = " counter drop comment \"i" + std::to_string(id) + "\"\n";
  if (imp.match != ImpairMatch::kAck && imp.match != ImpairMatch::kData)
    return out + head + FlagsTest(imp.match) + tail;
  // Payload or none: nft cannot subtract header lengths, so one rule per
  // TCP header length (doff 5..15) compares the packet's length with that
  // of an empty segment (an IPv4 header without options; IPv6 without
  // extension headers: other packets match neither ack nor data).
  const char* op = imp.match == ImpairMatch::kAck ? " == " : " != ";
  for (int doff = 5; doff <= 15; ++doff) {
    const int empty = (v6 ? 0 : 20) + 4 * doff;
    out += head + FlagsTest(imp.match) + (v6 ? "" : " ip hdrlength 5") + " tcp doff " +
           std::to_string(doff) + (v6 ? " ip6 length" : " ip length") + op + std::to_string(empty) +
           tail;
  }
  return out;
}

Status LinkImpairer::Apply(const Impairment& imp) {
  std::lock_guard<std::mutex> lock(mu_);
  auto rules = ImpairRuleScript(link_, imp, applied_ + 1);
  if (!rules.ok()) return rules.status();
  if (FindExecutable("nft").empty())
    return MakeError(ErrorCode::kNotFound,
                     "impairing packets needs nftables' 'nft' command: apt-get install nftables "
                     "(or tools/install-deps.sh)");
  // The table, its chains, the set and the rules in one transaction: a drop
  // window starts when the whole script is in.
  const std::string script = (table_ ? "" : ImpairTableScript(link_)) + *rules;
  CommandResult r = RunCommand({"ip", "netns", "exec", link_.netns, "nft", script});
  if (r.exit_code != 0)
    return MakeError(ErrorCode::kFailed,
                     "nft in namespace " + link_.netns + " failed: " + r.output);
  table_ = true;
  ++applied_;
  return Status::Ok();
}

Status LinkImpairer::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!table_) return Status::Ok();
  table_ = false;
  applied_ = 0;
  if (!NamespaceExists(link_.netns)) return Status::Ok();  // the table went with it
  CommandResult r = RunCommand(
      {"ip", "netns", "exec", link_.netns, "nft", "delete", "table", "netdev", kImpairTable});
  if (r.exit_code != 0)
    return MakeError(ErrorCode::kFailed, "removing the impairments in namespace " + link_.netns +
                                             " failed: " + r.output);
  return Status::Ok();
}

}  // namespace lingerlab

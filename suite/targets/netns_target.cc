#include "suite/targets/netns_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <cstring>

#include "suite/targets/pair_lab.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

// The server's agent, like the client's, on the namespace's kernel.
class NetnsServer final : public PairServer {
 public:
  NetnsServer(std::string agent_path, std::string netns_path)
      : agent_path_(std::move(agent_path)), netns_path_(std::move(netns_path)) {}
  Result<pid_t> Spawn(int control_fd) override {
    return SpawnAgent(agent_path_, netns_path_, control_fd);
  }
  // The namespace's kernel stack keeps orphaned connections whatever
  // happens to the agent process: the namespace lives until Teardown().
  bool OrphansOutliveAgent() const override { return true; }

 private:
  std::string agent_path_, netns_path_;
};

class NetnsStack final : public PairStack {
 public:
  explicit NetnsStack(std::string agent_path) : agent_path_(std::move(agent_path)) {}
  std::string Name() const override { return "netns"; }
  std::string Stack() const override { return "host-kernel"; }
  bool Ipv6() const override { return true; }
  std::unique_ptr<PairServer> NewServer(const LabHosts& hosts, const std::string&) override {
    return std::make_unique<NetnsServer>(agent_path_, hosts.server.netns_path);
  }

 private:
  std::string agent_path_;
};

}  // namespace

Result<LinkAddresses> AddressesForIndex(int index, int ip) {
  // 198.18.0.0/15 holds 2^17 addresses: 32768 /30 links; the IPv6 scheme
  // keeps the same slots.
  if (index < 0 || index >= (1 << 15))
    return MakeError(ErrorCode::kInvalidInput, "case slot out of range: " + std::to_string(index));
  if (ip == 6) {
    // fd00:198:18:<slot>::/64; inet_ntop gives the canonical text.
    in6_addr a{};
    const uint8_t prefix[] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18};
    std::memcpy(a.s6_addr, prefix, sizeof(prefix));
    a.s6_addr[6] = static_cast<uint8_t>(index >> 8);
    a.s6_addr[7] = static_cast<uint8_t>(index & 0xff);
    auto text = [&a](uint8_t last) {
      a.s6_addr[15] = last;
      char buf[INET6_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET6, &a, buf, sizeof(buf));
      return std::string(buf);
    };
    const std::string server = text(1);
    return LinkAddresses{server, text(2), 64, "inet6"};
  }
  if (ip != 4)
    return MakeError(ErrorCode::kInvalidInput,
                     "IP version must be 4 or 6, got " + std::to_string(ip));
  const uint32_t base = (198u << 24) | (18u << 16) | (static_cast<uint32_t>(index) << 2);
  auto text = [](uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
           std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
  };
  return LinkAddresses{text(base + 1), text(base + 2), 30, "inet"};
}

std::unique_ptr<Target> MakeNetnsTarget(const TargetConfig& config) {
  return MakePairTarget(config, std::make_unique<NetnsStack>(config.agent_path));
}

}  // namespace lingerlab

#include "suite/targets/lwip_target.h"

#include <unistd.h>

#include "suite/targets/pair_lab.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

// lwIP inside the server's agent, on a tap bridged with the server
// namespace's veth.
class LwipServer final : public PairServer {
 public:
  LwipServer(std::string lwip_agent, LabHosts hosts)
      : lwip_agent_(std::move(lwip_agent)), hosts_(std::move(hosts)) {}

  // The tap and the bridge are devices of the server's namespace: deleting
  // the namespace deletes them.
  Status Prepare() override {
    for (const auto& argv :
         LwipServerLinkSteps(hosts_.server.netns, hosts_.server.address, hosts_.prefix_len))
      if (Status s = RunChecked(argv); !s.ok()) return s;
    return Status::Ok();
  }
  Result<pid_t> Spawn(int control_fd) override {
    return SpawnAgent(lwip_agent_, hosts_.server.netns_path, control_fd,
                      LwipAgentArgs(hosts_.server.address, hosts_.prefix_len));
  }
  // lwIP runs inside the server agent: its connections die with it.
  bool OrphansOutliveAgent() const override { return false; }
  // lwIP is the stack under test and runs in this agent's process: an
  // abort or a hang inside its socket call is lwIP's outcome (target.h).
  bool AgentIsStack() const override { return true; }

 private:
  std::string lwip_agent_;
  LabHosts hosts_;
};

class LwipStack final : public PairStack {
 public:
  explicit LwipStack(const std::string& agent_path) : lwip_agent_(LwipAgentBeside(agent_path)) {}
  std::string Name() const override { return "lwip"; }
  std::string Stack() const override { return "lwip"; }

  Status CheckUsable() override {
    if (::access(lwip_agent_.c_str(), X_OK) != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the lwip target needs " + lwip_agent_ +
                           ", which is built only where liblwip-dev is installed: apt-get "
                           "install liblwip-dev (or tools/install-deps.sh lwip), then rebuild");
    if (::access("/dev/net/tun", R_OK | W_OK) != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the lwip target needs /dev/net/tun (modprobe tun) for its tap devices");
    return Status::Ok();
  }

  std::unique_ptr<PairServer> NewServer(const LabHosts& hosts, const std::string&) override {
    return std::make_unique<LwipServer>(lwip_agent_, hosts);
  }

 private:
  std::string lwip_agent_;
};

}  // namespace

std::string LwipAgentBeside(const std::string& agent_path) {
  const auto slash = agent_path.rfind('/');
  return (slash == std::string::npos ? std::string() : agent_path.substr(0, slash + 1)) +
         kLwipAgentName;
}

std::vector<std::vector<std::string>> LwipServerLinkSteps(const std::string& netns,
                                                          const std::string& address,
                                                          int prefix_len) {
  const std::string cidr = address + "/" + std::to_string(prefix_len);
  return {
      // The kernel gives the address up; lwIP takes it on the tap.
      {"ip", "-n", netns, "addr", "del", cidr, "dev", kLabIfName},
      {"ip", "-n", netns, "tuntap", "add", "dev", kLwipTapName, "mode", "tap"},
      {"ip", "-n", netns, "link", "add", kLwipBridgeName, "type", "bridge"},
      {"ip", "-n", netns, "link", "set", kLabIfName, "master", kLwipBridgeName},
      {"ip", "-n", netns, "link", "set", kLwipTapName, "master", kLwipBridgeName},
      {"ip", "-n", netns, "link", "set", kLwipTapName, "up"},
      {"ip", "-n", netns, "link", "set", kLwipBridgeName, "up"},
  };
}

std::vector<std::string> LwipAgentArgs(const std::string& address, int prefix_len) {
  return {"--tap", kLwipTapName, "--address", address + "/" + std::to_string(prefix_len)};
}

std::unique_ptr<Target> MakeLwipTarget(const TargetConfig& config) {
  return MakePairTarget(config, std::make_unique<LwipStack>(config.agent_path));
}

}  // namespace lingerlab

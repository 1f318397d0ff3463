#include "suite/targets/lwip_target.h"

#include <signal.h>
#include <unistd.h>

#include <mutex>

#include "agents/platform/stream_io.h"
#include "suite/targets/netns_lab.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

class LwipLab final : public CaseLab {
 public:
  LwipLab(std::string agent_path, std::string lwip_agent_path, LabHosts hosts)
      : agent_path_(std::move(agent_path)),
        lwip_agent_path_(std::move(lwip_agent_path)),
        hosts_(std::move(hosts)) {}
  ~LwipLab() override { (void)Teardown(0); }

  const HostInfo& host(Role role) const override {
    return role == Role::kServer ? hosts_.server : hosts_.client;
  }

  Result<AgentProcess> StartAgent(Role role) override {
    int fds[2];
    Status s = MakeStreamPair(fds);
    if (!s.ok()) return s.error();
    UniqueFd ours(fds[0]), theirs(fds[1]);
    std::lock_guard<std::mutex> lock(mu_);
    if (torn_down_) return MakeError(ErrorCode::kCancelled, "lab already torn down");
    auto pid = role == Role::kServer
                   ? SpawnAgent(lwip_agent_path_, hosts_.server.netns_path, theirs.get(),
                                LwipAgentArgs(hosts_.server.address, hosts_.prefix_len))
                   : SpawnAgent(agent_path_, hosts_.client.netns_path, theirs.get());
    if (!pid.ok()) return pid.error();
    agents_.push_back(*pid);
    return AgentProcess{Channel(std::move(ours)), *pid};
  }

  // lwIP runs inside the server agent: its connections die with it.
  bool OrphansOutliveAgent() const override { return false; }

  void KillAgents() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (pid_t p : agents_) ::kill(p, SIGKILL);  // reaped in Teardown()
  }

  Status Teardown(int64_t grace_ns) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (torn_down_) return Status::Ok();
    torn_down_ = true;
    for (pid_t p : agents_) StopProcess(p, grace_ns);
    agents_.clear();
    // The tap and the bridge are devices of the server's namespace: deleting
    // the namespace deletes them.
    Status first;
    for (const HostInfo* h : {&hosts_.server, &hosts_.client}) {
      if (!NamespaceExists(h->netns)) continue;
      Status s = RemoveNamespace(h->netns);
      if (!s.ok() && first.ok()) first = s;
    }
    return first;
  }

 private:
  std::string agent_path_, lwip_agent_path_;
  LabHosts hosts_;
  std::mutex mu_;
  std::vector<pid_t> agents_;
  bool torn_down_ = false;
};

class LwipTarget final : public Target {
 public:
  explicit LwipTarget(TargetConfig config)
      : config_(std::move(config)), lwip_agent_(LwipAgentBeside(config_.agent_path)) {}
  ~LwipTarget() override {
    if (!lock_.held()) return;
    RemoveRunNamespaces(config_.run_id);  // backstop, as for netns
    ::unlink(RunLockPath(config_.run_id).c_str());
  }

  std::string Name() const override { return "lwip"; }
  std::string Stack() const override { return "lwip"; }

  Status CheckUsable() override {
    if (Status caps = CheckLabCapabilities("lwip"); !caps.ok()) return caps;
    if (RunCommand({"ip", "-V"}).exit_code != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the lwip target needs iproute2's 'ip' command: apt-get install iproute2 "
                       "(or run tools/install-deps.sh)");
    if (::access(config_.agent_path.c_str(), X_OK) != 0)
      return MakeError(ErrorCode::kNotFound, "agent binary not found at " + config_.agent_path +
                                                 " (build it, or pass --agent PATH)");
    if (::access(lwip_agent_.c_str(), X_OK) != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the lwip target needs " + lwip_agent_ +
                           ", which is built only where liblwip-dev is installed: apt-get "
                           "install liblwip-dev (or run tools/install-deps.sh), then rebuild");
    if (::access("/dev/net/tun", R_OK | W_OK) != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the lwip target needs /dev/net/tun (modprobe tun) for its tap devices");
    return lock_.Acquire(config_.run_id);
  }

  Result<std::unique_ptr<CaseLab>> Provision(const std::string& case_id, int index) override {
    if (Status s = lock_.Acquire(config_.run_id); !s.ok()) return s.error();
    auto hosts = LabHostsFor(config_.run_id, case_id, index);
    if (!hosts.ok()) return hosts.error();
    // The lab owns the namespaces from the first command on.
    auto lab = std::make_unique<LwipLab>(config_.agent_path, lwip_agent_, *hosts);
    if (Status s = CreateLinkedNamespaces(*hosts, case_id); !s.ok()) return s.error();
    for (const auto& argv :
         LwipServerLinkSteps(hosts->server.netns, hosts->server.address, hosts->prefix_len)) {
      Status s = RunChecked(argv);
      if (!s.ok())
        return MakeError(s.code(), "provisioning case " + case_id + " (lwip): " + s.message());
    }
    return std::unique_ptr<CaseLab>(std::move(lab));
  }

  Result<std::vector<std::string>> SweepStale() override {
    return SweepDeadRuns(config_.run_id, {}, nullptr);
  }

 private:
  TargetConfig config_;
  std::string lwip_agent_;
  RunLock lock_;
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
  return std::make_unique<LwipTarget>(config);
}

}  // namespace lingerlab

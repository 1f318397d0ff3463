#include "suite/targets/netns_target.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

#include "agents/platform/stream_io.h"
#include "suite/targets/netns_lab.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

class NetnsLab final : public CaseLab {
 public:
  NetnsLab(std::string agent_path, HostInfo server, HostInfo client)
      : agent_path_(std::move(agent_path)),
        server_(std::move(server)),
        client_(std::move(client)) {}
  ~NetnsLab() override { (void)Teardown(0); }

  const HostInfo& host(Role role) const override {
    return role == Role::kServer ? server_ : client_;
  }

  Result<AgentProcess> StartAgent(Role role) override {
    int fds[2];
    Status s = MakeStreamPair(fds);
    if (!s.ok()) return s.error();
    UniqueFd ours(fds[0]), theirs(fds[1]);
    std::lock_guard<std::mutex> lock(mu_);
    if (torn_down_) return MakeError(ErrorCode::kCancelled, "lab already torn down");
    auto pid = SpawnAgent(agent_path_, host(role).netns_path, theirs.get());
    if (!pid.ok()) return pid.error();
    agents_.push_back(*pid);
    return AgentProcess{Channel(std::move(ours)), *pid};
  }

  // The namespace's kernel stack keeps orphaned connections whatever
  // happens to the agent process: the namespace lives until Teardown().
  bool OrphansOutliveAgent() const override { return true; }

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
    Status first;
    for (const HostInfo* h : {&server_, &client_}) {
      if (!NamespaceExists(h->netns)) continue;
      Status s = RemoveNamespace(h->netns);
      if (!s.ok() && first.ok()) first = s;
    }
    return first;
  }

 private:
  std::string agent_path_;
  HostInfo server_, client_;
  std::mutex mu_;
  std::vector<pid_t> agents_;
  bool torn_down_ = false;
};

class NetnsTarget final : public Target {
 public:
  explicit NetnsTarget(TargetConfig config) : config_(std::move(config)) {}
  ~NetnsTarget() override {
    if (!lock_.held()) return;
    // Backstop: every lab removes its own hosts, but whatever of this run is
    // still here (a lab that failed to tear down) goes before the lock does.
    RemoveRunNamespaces(config_.run_id);
    ::unlink(RunLockPath(config_.run_id).c_str());
  }

  std::string Name() const override { return "netns"; }
  std::string Stack() const override { return "host-kernel"; }
  int IpVersion() const override { return config_.ip; }

  Status CheckUsable() override {
    if (Status caps = CheckLabCapabilities("netns"); !caps.ok()) return caps;
    CommandResult ip = RunCommand({"ip", "-V"});
    if (ip.exit_code != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the netns target needs iproute2's 'ip' command: apt-get install iproute2 "
                       "(or run tools/install-deps.sh)");
    if (::access(config_.agent_path.c_str(), X_OK) != 0)
      return MakeError(ErrorCode::kNotFound, "agent binary not found at " + config_.agent_path +
                                                 " (build it, or pass --agent PATH)");
    return lock_.Acquire(config_.run_id);
  }

  Result<std::unique_ptr<CaseLab>> Provision(const std::string& case_id, int index) override {
    if (Status s = lock_.Acquire(config_.run_id); !s.ok()) return s.error();
    auto hosts = LabHostsFor(config_.run_id, case_id, index, config_.ip);
    if (!hosts.ok()) return hosts.error();
    // The lab owns the namespaces from the first command on, so a failure
    // half-way is cleaned up by its destructor.
    auto lab = std::make_unique<NetnsLab>(config_.agent_path, hosts->server, hosts->client);
    if (Status s = CreateLinkedNamespaces(*hosts, case_id); !s.ok()) return s.error();
    return std::unique_ptr<CaseLab>(std::move(lab));
  }

  Result<std::vector<std::string>> SweepStale() override {
    return SweepDeadRuns(config_.run_id, {}, nullptr);
  }

 private:
  TargetConfig config_;
  RunLock lock_;
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
  return std::make_unique<NetnsTarget>(config);
}

}  // namespace lingerlab

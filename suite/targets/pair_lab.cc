#include "suite/targets/pair_lab.h"

#include <unistd.h>

#include "suite/targets/agent_processes.h"
#include "suite/targets/impairment.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

class PairLab final : public CaseLab {
 public:
  PairLab(std::string agent_path, LabHosts hosts, std::unique_ptr<PairServer> server)
      : agent_path_(std::move(agent_path)),
        hosts_(std::move(hosts)),
        server_(std::move(server)),
        impairer_(ClientImpairLink(hosts_.client, hosts_.server)) {}
  ~PairLab() override { (void)Teardown(0); }

  const HostInfo& host(Role role) const override {
    return role == Role::kServer ? hosts_.server : hosts_.client;
  }

  Result<AgentProcess> StartAgent(Role role) override {
    if (role == Role::kServer) return agents_.Spawn([this](int fd) { return server_->Spawn(fd); });
    return agents_.Spawn(
        [this](int fd) { return SpawnAgent(agent_path_, hosts_.client.netns_path, fd); });
  }

  bool OrphansOutliveAgent() const override { return server_->OrphansOutliveAgent(); }
  bool AgentIsStack(Role role) const override {
    return role == Role::kServer && server_->AgentIsStack();
  }
  std::string AgentExitStatus(pid_t pid, int64_t wait_ns) override {
    auto status = agents_.Reap(pid, wait_ns);
    return status ? DescribeWaitStatus(*status) : "";
  }

  void KillAgents() override {
    agents_.KillAll([this] { server_->Kill(); });
  }

  // On the client's end of the veth, the host kernel's on every pair target.
  Status Impair(const Impairment& imp) override { return impairer_.Apply(imp); }
  Status ClearImpairments() override { return impairer_.Clear(); }

  Status Teardown(int64_t grace_ns) override {
    return agents_.Stop(grace_ns, [this] {
      Status first = impairer_.Clear();
      if (Status s = server_->Remove(); !s.ok() && first.ok()) first = s;
      for (const HostInfo* h : {&hosts_.server, &hosts_.client}) {
        if (!NamespaceExists(h->netns)) continue;
        Status s = RemoveNamespace(h->netns);
        if (!s.ok() && first.ok()) first = s;
      }
      return first;
    });
  }

 private:
  std::string agent_path_;
  LabHosts hosts_;
  std::unique_ptr<PairServer> server_;
  LinkImpairer impairer_;
  AgentProcesses agents_;
};

class PairTarget final : public Target {
 public:
  PairTarget(TargetConfig config, std::unique_ptr<PairStack> stack)
      : config_(std::move(config)), stack_(std::move(stack)) {}
  ~PairTarget() override {
    if (!lock_.held()) return;
    // Backstop: every lab removes its own hosts, but whatever of this run is
    // still here (a lab that failed to tear down) goes before the lock does.
    stack_->RemoveRunLeftovers(config_.run_id);
    RemoveRunNamespaces(config_.run_id);
    ::unlink(RunLockPath(config_.run_id).c_str());
  }

  std::string Name() const override { return stack_->Name(); }
  std::string Stack() const override { return stack_->Stack(); }
  int IpVersion() const override { return stack_->Ipv6() ? config_.ip : 4; }

  Status CheckUsable() override {
    if (Status s = stack_->CheckUsable(); !s.ok()) return s;
    const std::string name = Name();
    if (Status caps = CheckLabCapabilities(name); !caps.ok()) return caps;
    if (RunCommand({"ip", "-V"}).exit_code != 0)
      return MakeError(ErrorCode::kNotFound, "the " + name +
                                                 " target needs iproute2's 'ip' command: apt-get "
                                                 "install iproute2 (or tools/install-deps.sh)");
    if (::access(config_.agent_path.c_str(), X_OK) != 0)
      return MakeError(ErrorCode::kNotFound, "agent binary not found at " + config_.agent_path +
                                                 " (build it, or pass --agent PATH)");
    return lock_.Acquire(config_.run_id);
  }

  Result<std::unique_ptr<CaseLab>> Provision(const std::string& case_id, int index) override {
    if (Status s = lock_.Acquire(config_.run_id); !s.ok()) return s.error();
    auto hosts = LabHostsFor(config_.run_id, case_id, index, IpVersion());
    if (!hosts.ok()) return hosts.error();
    auto server = stack_->NewServer(*hosts, CaseBaseName(config_.run_id, case_id));
    PairServer& prepare = *server;
    // The lab owns the namespaces from the first step on, so a failure
    // half-way is cleaned up by its destructor.
    auto lab = std::make_unique<PairLab>(config_.agent_path, *hosts, std::move(server));
    if (Status s = CreateLinkedNamespaces(*hosts, case_id); !s.ok()) return s.error();
    if (Status s = prepare.Prepare(); !s.ok())
      return MakeError(s.code(),
                       "provisioning case " + case_id + " (" + Name() + "): " + s.message());
    return std::unique_ptr<CaseLab>(std::move(lab));
  }

  Result<std::vector<std::string>> SweepStale() override {
    return stack_->SweepStale(config_.run_id);
  }

 private:
  TargetConfig config_;
  std::unique_ptr<PairStack> stack_;
  RunLock lock_;
};

}  // namespace

Result<std::vector<std::string>> PairStack::SweepStale(const std::string& own_run) {
  return SweepDeadRuns(own_run, {}, nullptr);
}

std::unique_ptr<Target> MakePairTarget(const TargetConfig& config,
                                       std::unique_ptr<PairStack> stack) {
  return std::make_unique<PairTarget>(config, std::move(stack));
}

}  // namespace lingerlab

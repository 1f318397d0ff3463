#include "suite/targets/remote_target.h"

#include <vector>

#include "agents/platform/sockaddr_posix.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/auth.h"
#include "suite/targets/agent_processes.h"

namespace lingerlab {
namespace {

// What every lab of the run shares: the parsed configuration and the key.
struct RemoteSetup {
  Endpoint server, client;
  std::string server_test_address;
  std::string family = "inet";  // server_test_address's: "inet" or "inet6"
  int port_base = kDefaultRemotePortBase;
  AuthKey key;
  std::string lease;
};

class RemoteLab : public CaseLab {
 public:
  RemoteLab(std::shared_ptr<const RemoteSetup> setup, int slot)
      : setup_(std::move(setup)), slot_(slot) {
    server_.address = setup_->server_test_address;
    server_.family = client_.family = setup_->family;
    server_.agent_endpoint = EndpointText(setup_->server);
    client_.agent_endpoint = EndpointText(setup_->client);
  }
  ~RemoteLab() override { (void)Teardown(0); }

  const HostInfo& host(Role role) const override {
    return role == Role::kServer ? server_ : client_;
  }

  Result<AgentProcess> StartAgent(Role role) override {
    const Endpoint& ep = role == Role::kServer ? setup_->server : setup_->client;
    auto ch = ConnectToAgent(ep.address, ep.port, setup_->key, setup_->lease,
                             std::string(RoleName(role)) + " agent " + EndpointText(ep));
    if (!ch.ok()) return ch.error();
    return agents_.Watch(std::move(*ch));
  }

  // The remote host's kernel keeps an orphaned connection whatever happens
  // to the agent's session.
  bool OrphansOutliveAgent() const override { return true; }
  CaptureSite capture_site() const override { return CaptureSite::kServerAgent; }
  int TestPort(int /*matrix_port*/) const override { return setup_->port_base + slot_; }

  // The test link lies between two machines the coordinator does not run:
  // nothing of ours sits on it to drop or delay a segment.
  Status Impair(const Impairment& /*imp*/) override {
    return MakeError(ErrorCode::kUnsupported,
                     "the remote target cannot impair packets: the test link runs between the "
                     "remote agents' hosts, where lingerlab has no hook");
  }

  // Ends the sessions: the agent sees the channel end and closes the case's
  // sockets (doc/protocol.md §3.2); the coordinator's pending request fails.
  void KillAgents() override { agents_.KillAll(); }

  // The AgentClients own the channels and close them.
  Status Teardown(int64_t grace_ns) override { return agents_.Stop(grace_ns); }

 private:
  std::shared_ptr<const RemoteSetup> setup_;
  int slot_;
  HostInfo server_, client_;
  AgentProcesses agents_;  // sessions only: nothing runs on this machine
};

class RemoteTarget : public Target {
 public:
  explicit RemoteTarget(const TargetConfig& config) : config_(config) {}

  std::string Name() const override { return "remote"; }
  std::string Stack() const override { return "remote"; }
  int IpVersion() const override { return setup_ && setup_->family == "inet6" ? 6 : 4; }

  Status CheckUsable() override {
    const RemoteAgentsConfig& rc = config_.remote;
    if (rc.server_agent.empty() || rc.client_agent.empty() || rc.key_file.empty())
      return MakeError(ErrorCode::kInvalidInput,
                       "--target remote needs --server-agent HOST:PORT, --client-agent "
                       "HOST:PORT and --key FILE (doc/remote.md)");
    auto setup = std::make_shared<RemoteSetup>();
    auto server = ParseEndpoint(rc.server_agent, "--server-agent");
    if (!server.ok()) return server.error();
    auto client = ParseEndpoint(rc.client_agent, "--client-agent");
    if (!client.ok()) return client.error();
    setup->server = *server;
    setup->client = *client;
    setup->server_test_address =
        rc.server_test_address.empty() ? server->address : rc.server_test_address;
    sockaddr_storage ss;
    socklen_t len;
    if (!ParseSockaddr(setup->server_test_address, 0, &ss, &len))
      return MakeError(
          ErrorCode::kInvalidInput,
          "--server-test-address must be an IP address, got '" + setup->server_test_address + "'");
    setup->family = ss.ss_family == AF_INET6 ? "inet6" : "inet";
    setup->port_base = rc.port_base > 0 ? rc.port_base : kDefaultRemotePortBase;
    if (setup->port_base > 65535 - 255)
      return MakeError(ErrorCode::kInvalidInput,
                       "--port-base must be 1..65280, got " + std::to_string(setup->port_base));
    auto key = LoadKeyFile(rc.key_file);
    if (!key.ok()) return MakeError(key.error().code, "--key: " + key.error().message);
    setup->key = std::move(*key);
    if (!IsValidLease(config_.run_id))
      return MakeError(ErrorCode::kInvalidInput,
                       "run id '" + config_.run_id + "' cannot be a lease ([A-Za-z0-9_.-], 1..64)");
    setup->lease = config_.run_id;
    setup_ = std::move(setup);
    return Status::Ok();
  }

  Result<std::unique_ptr<CaseLab>> Provision(const std::string& /*case_id*/, int index) override {
    if (!setup_) return MakeError(ErrorCode::kFailed, "remote target used before CheckUsable()");
    if (index < 0 || setup_->port_base + index > 65535)
      return MakeError(ErrorCode::kInvalidInput, "case slot " + std::to_string(index) +
                                                     " has no port above --port-base " +
                                                     std::to_string(setup_->port_base));
    return std::unique_ptr<CaseLab>(new RemoteLab(setup_, index));
  }

  Result<std::vector<std::string>> SweepStale() override { return std::vector<std::string>{}; }
  bool ProbeAgentsBeforeRun() const override { return true; }
  int MaxParallelCases() const override { return static_cast<int>(protocol::kMaxListenSessions); }

 private:
  TargetConfig config_;
  std::shared_ptr<const RemoteSetup> setup_;
};

}  // namespace

Result<Channel> ConnectToAgent(const std::string& address, int port, const AuthKey& key,
                               const std::string& lease, const std::string& who) {
  auto fd = ConnectTcp(address, port, kAgentConnectTimeout);
  if (!fd.ok()) return MakeError(fd.error().code, who + ": " + fd.error().message);
  Channel ch{std::move(*fd)};
  if (Status s = AuthenticateToAgent(ch, key, lease, protocol::kHandshakeTimeout); !s.ok())
    return MakeError(s.error().code, who + ": " + s.message());
  return ch;
}

std::unique_ptr<Target> MakeRemoteTarget(const TargetConfig& config) {
  return std::make_unique<RemoteTarget>(config);
}

}  // namespace lingerlab

#include "suite/target/netns_target.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"
#include "suite/target/process.h"

namespace lingerlab {
namespace {

constexpr const char* kNetnsDir = "/run/netns";
constexpr const char* kIfName = "eth0";

bool HasNetAdmin() {
  if (::geteuid() == 0) return true;
  std::ifstream st("/proc/self/status");
  std::string line;
  while (std::getline(st, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
      return (caps >> 12) & 1;  // CAP_NET_ADMIN
    }
  }
  return false;
}

std::string LockPath(const std::string& run) {
  return std::string(kRunLockDir) + "/" + run + ".lock";
}

// True if the run that owns `run` is alive (holds its lock).
bool RunAlive(const std::string& run) {
  int fd = ::open(LockPath(run).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;  // no lock file: nobody can be holding it
  bool alive = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return alive;
}

std::vector<std::string> ListNamespaces() {
  std::vector<std::string> out;
  DIR* d = ::opendir(kNetnsDir);
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.rfind(kNetnsPrefix, 0) == 0) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

bool NamespaceExists(const std::string& name) {
  struct stat st {};
  return ::stat((std::string(kNetnsDir) + "/" + name).c_str(), &st) == 0;
}

// Kills every process inside namespace `name` by its pid (ip netns pids),
// then deletes the namespace. Used for leftovers of dead runs.
Status RemoveNamespace(const std::string& name) {
  CommandResult pids = RunCommand({"ip", "netns", "pids", name});
  std::istringstream in(pids.output);
  pid_t pid;
  while (in >> pid)
    if (pid > 1 && pid != ::getpid()) ::kill(pid, SIGKILL);
  // Give the kernel a moment to reap them so the namespace really goes.
  for (int i = 0; i < 100; ++i) {
    CommandResult left = RunCommand({"ip", "netns", "pids", name});
    if (left.output.find_first_not_of(" \n") == std::string::npos) break;
    SleepNs(10 * kNsPerMs);
  }
  if (!NamespaceExists(name)) return Status::Ok();
  return RunChecked({"ip", "netns", "delete", name});
}

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
    return AgentProcess{std::move(ours), *pid};
  }

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
      Status s = RunChecked({"ip", "netns", "delete", h->netns});
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
    if (!lock_.valid()) return;
    // Backstop: every lab removes its own hosts, but whatever of this run is
    // still here (a lab that failed to tear down) goes before the lock does.
    const std::string mine = std::string(kNetnsPrefix) + config_.run_id + "-";
    for (const std::string& ns : ListNamespaces())
      if (ns.rfind(mine, 0) == 0) (void)RemoveNamespace(ns);
    ::unlink(LockPath(config_.run_id).c_str());
  }

  std::string Name() const override { return "netns"; }

  Status CheckUsable() override {
    if (!HasNetAdmin())
      return MakeError(ErrorCode::kPermission,
                       "the netns target needs root (CAP_NET_ADMIN) to create network "
                       "namespaces: run it with sudo, or as root");
    CommandResult ip = RunCommand({"ip", "-V"});
    if (ip.exit_code != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the netns target needs iproute2's 'ip' command: apt-get install iproute2 "
                       "(or run tools/install-deps.sh)");
    if (::access(config_.agent_path.c_str(), X_OK) != 0)
      return MakeError(ErrorCode::kNotFound, "agent binary not found at " + config_.agent_path +
                                                 " (build it, or pass --agent PATH)");
    return AcquireRunLock();
  }

  Result<std::unique_ptr<CaseLab>> Provision(const std::string& case_id, int index) override {
    if (!lock_.valid()) {
      Status s = AcquireRunLock();
      if (!s.ok()) return s.error();
    }
    auto addrs = AddressesForIndex(index);
    if (!addrs.ok()) return addrs.error();
    const std::string base = std::string(kNetnsPrefix) + config_.run_id + "-" + case_id;
    HostInfo server{addrs->server, base + "-s", std::string(kNetnsDir) + "/" + base + "-s",
                    kIfName};
    HostInfo client{addrs->client, base + "-c", std::string(kNetnsDir) + "/" + base + "-c",
                    kIfName};
    // The lab owns the namespaces from the first command on, so a failure
    // half-way is cleaned up by its destructor.
    auto lab = std::make_unique<NetnsLab>(config_.agent_path, server, client);
    const std::string prefix = "/" + std::to_string(addrs->prefix_len);
    const std::vector<std::vector<std::string>> steps = {
        {"ip", "netns", "add", server.netns},
        {"ip", "netns", "add", client.netns},
        {"ip", "-n", server.netns, "link", "add", kIfName, "type", "veth", "peer", "name", kIfName,
         "netns", client.netns},
        {"ip", "-n", server.netns, "addr", "add", server.address + prefix, "dev", kIfName},
        {"ip", "-n", client.netns, "addr", "add", client.address + prefix, "dev", kIfName},
        {"ip", "-n", server.netns, "link", "set", kIfName, "up"},
        {"ip", "-n", client.netns, "link", "set", kIfName, "up"},
    };
    for (const auto& argv : steps) {
      Status s = RunChecked(argv);
      if (!s.ok()) return MakeError(s.code(), "provisioning case " + case_id + ": " + s.message());
    }
    // Wire-sized segments in the capture: veth would otherwise pass TCP's
    // 64 KiB GSO buffers through unsegmented. Best effort: without ethtool
    // the run still works, with larger "packets" in the capture.
    for (const HostInfo* h : {&server, &client})
      (void)RunCommand({"ip", "netns", "exec", h->netns, "ethtool", "-K", kIfName, "tso", "off",
                        "gso", "off", "gro", "off"});
    return std::unique_ptr<CaseLab>(std::move(lab));
  }

  Result<std::vector<std::string>> SweepStale() override {
    std::vector<std::string> removed;
    std::set<std::string> stale_runs;
    for (const std::string& ns : ListNamespaces()) {
      std::string rest = ns.substr(std::strlen(kNetnsPrefix));
      std::string run = rest.substr(0, rest.find('-'));
      if (run.empty() || RunAlive(run)) continue;
      Status s = RemoveNamespace(ns);
      if (!s.ok()) return s.error();
      removed.push_back("namespace " + ns + " (run " + run + ")");
      stale_runs.insert(run);
    }
    // Lock files of dead runs.
    if (DIR* d = ::opendir(kRunLockDir)) {
      std::vector<std::string> locks;
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 5 && n.substr(n.size() - 5) == ".lock")
          locks.push_back(n.substr(0, n.size() - 5));
      }
      ::closedir(d);
      for (const std::string& run : locks)
        if (!RunAlive(run) && ::unlink(LockPath(run).c_str()) == 0 && !stale_runs.count(run))
          removed.push_back("lock file of run " + run);
    }
    return removed;
  }

 private:
  Status AcquireRunLock() {
    if (lock_.valid()) return Status::Ok();
    ::mkdir(kRunLockDir, 0755);
    UniqueFd fd(::open(LockPath(config_.run_id).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd.valid())
      return MakeError(ErrorCode::kFailed,
                       "cannot create " + LockPath(config_.run_id) + ": " + std::strerror(errno));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
      return MakeError(ErrorCode::kFailed, "run id " + config_.run_id + " is in use by a live run");
    lock_ = std::move(fd);
    return Status::Ok();
  }

  TargetConfig config_;
  UniqueFd lock_;
};

}  // namespace

Result<LinkAddresses> AddressesForIndex(int index) {
  // 198.18.0.0/15 holds 2^17 addresses: 32768 /30 links.
  if (index < 0 || index >= (1 << 15))
    return MakeError(ErrorCode::kInvalidInput, "case slot out of range: " + std::to_string(index));
  const uint32_t base = (198u << 24) | (18u << 16) | (static_cast<uint32_t>(index) << 2);
  auto text = [](uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
           std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
  };
  return LinkAddresses{text(base + 1), text(base + 2), 30};
}

std::unique_ptr<Target> MakeNetnsTarget(const TargetConfig& config) {
  return std::make_unique<NetnsTarget>(config);
}

}  // namespace lingerlab

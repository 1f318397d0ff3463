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
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"
#include "suite/target/process.h"

namespace lingerlab {
namespace {

constexpr const char* kNetnsDir = "/run/netns";
constexpr const char* kIfName = "eth0";

// What the lab needs, checked once before any case starts: being root is not
// enough (a container or `capsh --drop` can take capabilities from root).
struct NeededCap {
  int bit;
  const char* name;
  const char* why;
};
constexpr NeededCap kNeededCaps[] = {
    {12, "CAP_NET_ADMIN", "create veth links and configure addresses"},
    {21, "CAP_SYS_ADMIN", "create network namespaces (ip netns add mounts them) and enter them"},
    {13, "CAP_NET_RAW", "capture packets"},
};

// The capabilities of kNeededCaps missing from our effective set, as
// "CAP_X (to ...)", in order; empty if all are there.
std::vector<std::string> MissingCapabilities() {
  std::ifstream st("/proc/self/status");
  std::string line;
  unsigned long long caps = 0;
  while (std::getline(st, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      try {
        caps = std::stoull(line.substr(7), nullptr, 16);
      } catch (const std::exception&) {
        caps = 0;
      }
      break;
    }
  }
  std::vector<std::string> missing;
  for (const NeededCap& c : kNeededCaps)
    if (!((caps >> c.bit) & 1)) missing.push_back(std::string(c.name) + " (to " + c.why + ")");
  return missing;
}

}  // namespace

// Declared in netns_target.h: the qemu target shares the run lock.
std::string LockPath(const std::string& run) {
  return std::string(kRunLockDir) + "/" + run + ".lock";
}

// Takes the lock of a dead run: the run's lock file exists and nobody holds
// it. Returns the locked descriptor (keep it while removing that run's
// leftovers), or an invalid one for a live run, or for namespaces with no
// lock file at all, which lingerlab did not create (a run creates its lock
// file before its first namespace) and so never touches.
UniqueFd LockDeadRun(const std::string& run) {
  UniqueFd fd(::open(LockPath(run).c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return UniqueFd();
  return fd;
}

namespace {

// Our namespaces are named ll-<run>-<case>-<s|c>; the run id is 1-12 of
// [a-z0-9] (commands.cc, --run-id). Returns the run id, or "".
std::string RunOfNamespace(const std::string& ns) {
  static const std::regex pattern("ll-([a-z0-9]{1,12})-[A-Za-z0-9]+-[sc]");
  std::smatch m;
  return std::regex_match(ns, m, pattern) ? m[1].str() : std::string();
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

// Kills every process inside namespace `name` (listed by `ip netns pids`,
// each checked to be in that namespace and signalled through a pidfd), then
// deletes the namespace. Used for leftovers of dead runs.
Status RemoveNamespace(const std::string& name) {
  struct stat ns {};
  if (::stat((std::string(kNetnsDir) + "/" + name).c_str(), &ns) != 0) return Status::Ok();
  CommandResult pids = RunCommand({"ip", "netns", "pids", name});
  std::istringstream in(pids.output);
  pid_t pid;
  while (in >> pid) KillIfInNetns(pid, static_cast<unsigned long>(ns.st_ino));
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
  std::string Stack() const override { return "host-kernel"; }

  Status CheckUsable() override {
    if (std::vector<std::string> missing = MissingCapabilities(); !missing.empty()) {
      std::string list;
      for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
      return MakeError(
          ErrorCode::kPermission,
          ::geteuid() == 0
              ? "the netns target needs capabilities this root process lacks: " + list +
                    ". Run as root with its full capability set (not under capsh "
                    "--drop, setpriv or a restricted container)"
              : "the netns target needs root: missing " + list + ". Run it with sudo, or as root");
    }
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
                    kIfName, ""};
    HostInfo client{addrs->client, base + "-c", std::string(kNetnsDir) + "/" + base + "-c",
                    kIfName, ""};
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
    std::map<std::string, std::vector<std::string>> by_run;
    for (const std::string& ns : ListNamespaces()) {
      std::string run = RunOfNamespace(ns);
      if (!run.empty() && run != config_.run_id) by_run[run].push_back(ns);
    }
    // Lock files of dead runs, with or without namespaces left.
    if (DIR* d = ::opendir(kRunLockDir)) {
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 5 && n.substr(n.size() - 5) == ".lock") by_run[n.substr(0, n.size() - 5)];
      }
      ::closedir(d);
    }
    for (auto& [run, namespaces] : by_run) {
      if (run == config_.run_id) continue;
      UniqueFd lock = LockDeadRun(run);
      if (!lock.valid()) continue;  // alive, or not ours
      for (const std::string& ns : namespaces) {
        Status s = RemoveNamespace(ns);
        if (!s.ok()) return s.error();
        removed.push_back("namespace " + ns + " (run " + run + ")");
      }
      // Unlinked while we hold it, so no live run can have locked this file.
      ::unlink(LockPath(run).c_str());
      if (namespaces.empty()) removed.push_back("lock file of run " + run);
    }
    return removed;
  }

 private:
  Status AcquireRunLock() {
    if (lock_.valid()) return Status::Ok();
    ::mkdir(kRunLockDir, 0755);
    const std::string path = LockPath(config_.run_id);
    // A sweeper may unlink the file between our open and our flock; then we
    // hold a lock on a file no one else can find. Retry until the file we
    // locked is the one at the path.
    for (int attempt = 0; attempt < 10; ++attempt) {
      UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
      if (!fd.valid())
        return MakeError(ErrorCode::kFailed, "cannot create " + path + ": " + std::strerror(errno));
      if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
        return MakeError(ErrorCode::kFailed,
                         "run id " + config_.run_id + " is in use by a live run");
      struct stat by_fd {
      }, by_path{};
      if (::fstat(fd.get(), &by_fd) == 0 && ::stat(path.c_str(), &by_path) == 0 &&
          by_fd.st_ino == by_path.st_ino && by_fd.st_dev == by_path.st_dev) {
        lock_ = std::move(fd);
        return Status::Ok();
      }
    }
    return MakeError(ErrorCode::kFailed, "cannot take the run lock " + path);
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

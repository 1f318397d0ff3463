#include "suite/targets/netns_lab.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>

#include "agents/base/clock.h"
#include "suite/targets/netlink.h"
#include "suite/targets/netns_target.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

// What the lab needs, checked once before any case starts: being root is not
// enough (a container or `capsh --drop` can take capabilities from root).
struct NeededCap {
  int bit;
  const char* name;
  const char* why;
};
constexpr NeededCap kNeededCaps[] = {
    {12, "CAP_NET_ADMIN", "create veth links and configure addresses"},
    {21, "CAP_SYS_ADMIN", "create network namespaces (mounted in /run/netns) and enter them"},
    {13, "CAP_NET_RAW", "capture packets"},
};

}  // namespace

std::vector<std::string> MissingLabCapabilities() {
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

Status CheckLabCapabilities(const std::string& target) {
  std::vector<std::string> missing = MissingLabCapabilities();
  if (missing.empty()) return Status::Ok();
  std::string list;
  for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
  return MakeError(ErrorCode::kPermission,
                   ::geteuid() == 0
                       ? "the " + target +
                             " target needs capabilities this root process lacks: " + list +
                             ". Run as root with its full capability set (not under capsh "
                             "--drop, setpriv or a restricted container)"
                       : "the " + target + " target needs root: missing " + list +
                             ". Run it with sudo, or as root");
}

std::string RunLockPath(const std::string& run) {
  return std::string(kRunLockDir) + "/" + run + ".lock";
}

pid_t FlockHolder(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return -1;
  // "1: FLOCK  ADVISORY  WRITE 1234 00:19:5678 0 EOF": the pid, then the
  // file as major:minor (hex) and inode (fs/locks.c, lock_get_status).
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    char kind[16] = "", mode[16] = "", rw[16] = "";
    int pid = -1;
    unsigned major = 0, minor = 0;
    unsigned long inode = 0;
    if (std::sscanf(line.c_str(), "%*[^:]: %15s %15s %15s %d %x:%x:%lu", kind, mode, rw, &pid,
                    &major, &minor, &inode) == 7 &&
        std::strcmp(kind, "FLOCK") == 0 && inode == st.st_ino && major == ::major(st.st_dev) &&
        minor == ::minor(st.st_dev))
      return pid;
  }
  return -1;
}

UniqueFd LockDeadRun(const std::string& run) {
  UniqueFd fd(::open(RunLockPath(run).c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) return UniqueFd();
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
  // Held. By the run, if the process that took the lock lives. If it is
  // dead, the holders are its children caught between fork() and exec(),
  // which inherited the descriptor and end within moments (they check
  // their parent after PR_SET_PDEATHSIG, or get its SIGKILL): wait for them
  // rather than call a killed run alive (seen: `clean` right after SIGKILL
  // of a 340-case run left all its namespaces).
  const pid_t holder = FlockHolder(fd.get());
  if (holder <= 0 || ProcessAlive(holder)) return UniqueFd();
  const int64_t deadline = MonotonicNs() + kDeadRunChildrenWaitNs;
  while (MonotonicNs() < deadline) {
    SleepNs(10 * kNsPerMs);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd;
  }
  return UniqueFd();
}

Status RunLock::Acquire(const std::string& run_id) {
  if (fd_.valid()) return Status::Ok();
  ::mkdir(kRunLockDir, 0755);
  const std::string path = RunLockPath(run_id);
  // A sweeper may unlink the file between our open and our flock; then we
  // hold a lock on a file no one else can find. Retry until the file we
  // locked is the one at the path.
  for (int attempt = 0; attempt < 10; ++attempt) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd.valid())
      return MakeError(ErrorCode::kFailed, "cannot create " + path + ": " + std::strerror(errno));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
      return MakeError(ErrorCode::kFailed, "run id " + run_id + " is in use by a live run");
    struct stat by_fd {
    }, by_path{};
    if (::fstat(fd.get(), &by_fd) == 0 && ::stat(path.c_str(), &by_path) == 0 &&
        by_fd.st_ino == by_path.st_ino && by_fd.st_dev == by_path.st_dev) {
      fd_ = std::move(fd);
      return Status::Ok();
    }
  }
  return MakeError(ErrorCode::kFailed, "cannot take the run lock " + path);
}

std::string RunOfNamespace(const std::string& ns) {
  static const std::regex pattern("ll-([a-z0-9]{1,12})-[A-Za-z0-9]+-[sc]");
  std::smatch m;
  return std::regex_match(ns, m, pattern) ? m[1].str() : std::string();
}

std::string RunOfCaseName(const std::string& name) {
  static const std::regex pattern("ll-([a-z0-9]{1,12})-[A-Za-z0-9]+");
  std::smatch m;
  return std::regex_match(name, m, pattern) ? m[1].str() : std::string();
}

std::vector<std::string> ListLabNamespaces() {
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

Status RemoveNamespace(const std::string& name) {
  const std::string path = std::string(kNetnsDir) + "/" + name;
  struct stat ns {};
  if (::stat(path.c_str(), &ns) != 0) return Status::Ok();
  // Kill what is inside, then give the kernel a moment to reap it so the
  // namespace really goes.
  for (int i = 0; i < 100; ++i) {
    const std::vector<pid_t> inside = PidsInNetns(ns.st_dev, ns.st_ino);
    if (inside.empty()) break;
    for (pid_t pid : inside) KillIfInNetns(pid, static_cast<unsigned long>(ns.st_ino));
    SleepNs(10 * kNsPerMs);
  }
  Status s = DeleteNetns(name);
  if (!s.ok() && s.code() == ErrorCode::kNotFound) return Status::Ok();  // removed meanwhile
  return s;
}

void RemoveRunNamespaces(const std::string& run) {
  const std::string mine = std::string(kNetnsPrefix) + run + "-";
  for (const std::string& ns : ListLabNamespaces())
    if (ns.rfind(mine, 0) == 0) (void)RemoveNamespace(ns);
}

std::string CaseBaseName(const std::string& run, const std::string& case_id) {
  return std::string(kNetnsPrefix) + run + "-" + case_id;
}

Result<LabHosts> LabHostsFor(const std::string& run, const std::string& case_id, int index,
                             int ip) {
  auto addrs = AddressesForIndex(index, ip);
  if (!addrs.ok()) return addrs.error();
  const std::string base = CaseBaseName(run, case_id);
  LabHosts h;
  h.server = HostInfo{addrs->server, base + "-s", std::string(kNetnsDir) + "/" + base + "-s",
                      kLabIfName,    "",          addrs->family};
  h.client = HostInfo{addrs->client, base + "-c", std::string(kNetnsDir) + "/" + base + "-c",
                      kLabIfName,    "",          addrs->family};
  h.prefix_len = addrs->prefix_len;
  return h;
}

Status CreateLinkedNamespaces(const LabHosts& hosts, const std::string& case_id) {
  const HostInfo& server = hosts.server;
  const HostInfo& client = hosts.client;
  auto failed = [&case_id](const Status& s) {
    return MakeError(s.code(), "provisioning case " + case_id + ": " + s.message());
  };
  for (const HostInfo* h : {&server, &client})
    if (Status s = CreateNetns(h->netns); !s.ok()) return failed(s);
  auto server_links = NetnsLinks::Open(server.netns_path);
  if (!server_links.ok()) return failed(server_links.error());
  auto client_links = NetnsLinks::Open(client.netns_path);
  if (!client_links.ok()) return failed(client_links.error());
  if (Status s = server_links->AddVeth(kLabIfName, kLabIfName, client.netns_path); !s.ok())
    return failed(s);
  const std::pair<NetnsLinks*, const HostInfo*> ends[] = {{&*server_links, &server},
                                                          {&*client_links, &client}};
  for (const auto& [links, host] : ends) {
    if (Status s = links->AddAddress(host->interface, host->address, hosts.prefix_len); !s.ok())
      return failed(s);
    if (Status s = links->SetUp(host->interface); !s.ok()) return failed(s);
  }
  // Wire-sized segments in the capture: veth would otherwise pass TCP's
  // 64 KiB GSO buffers through unsegmented. Best effort: without them the
  // run still works, with larger "packets" in the capture.
  for (const auto& [links, host] : ends) (void)links->DisableOffloads(host->interface);
  // A case's first packet must not meet a link the kernel has not finished
  // bringing up (it would be dropped, and the SYN retransmitted after 1 s).
  for (const auto& [links, host] : ends)
    if (Status s = links->WaitUntilRunning(host->interface, kLinkUpTimeoutNs); !s.ok())
      return failed(s);
  return Status::Ok();
}

Result<std::vector<std::string>> SweepDeadRuns(const std::string& own_run,
                                               const std::vector<std::string>& extra_runs,
                                               const SweepExtra& extra) {
  std::vector<std::string> removed;
  std::map<std::string, std::vector<std::string>> by_run;
  for (const std::string& ns : ListLabNamespaces()) {
    std::string run = RunOfNamespace(ns);
    if (!run.empty() && run != own_run) by_run[run].push_back(ns);
  }
  for (const std::string& run : extra_runs) by_run[run];
  // Lock files of dead runs, with or without namespaces left.
  if (DIR* d = ::opendir(kRunLockDir)) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.substr(n.size() - 5) == ".lock") by_run[n.substr(0, n.size() - 5)];
    }
    ::closedir(d);
  }
  for (auto& [run, namespaces] : by_run) {
    if (run == own_run || run.empty()) continue;
    UniqueFd lock = LockDeadRun(run);
    if (!lock.valid()) continue;  // alive, or not ours
    const size_t before = removed.size();
    if (extra) {
      Status s = extra(run, &removed);
      if (!s.ok()) return s.error();
    }
    for (const std::string& ns : namespaces) {
      Status s = RemoveNamespace(ns);
      if (!s.ok()) return s.error();
      removed.push_back("namespace " + ns + " (run " + run + ")");
    }
    // Unlinked while we hold it, so no live run can have locked this file.
    ::unlink(RunLockPath(run).c_str());
    if (removed.size() == before) removed.push_back("lock file of run " + run);
  }
  return removed;
}

}  // namespace lingerlab

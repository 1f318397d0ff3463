#include "suite/targets/gvisor_target.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "suite/targets/pair_lab.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

using nlohmann::json;

constexpr const char* kInstallHint = "tools/install-deps.sh gvisor (or apt-get install runsc)";

// This process's sanitizer settings (see SanitizerPassthrough).
std::map<std::string, std::string> SanitizerEnvironment() {
  std::map<std::string, std::string> env;
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* v = ::getenv(name)) env[name] = v;
  return env;
}

std::string BundlePath(const std::string& id) { return std::string(kGvisorBundleDir) + "/" + id; }

// Removes sandbox `id` from the private state root (kills what is left of
// it) and its bundle directory. Fails if the sandbox is still listed.
Status RemoveSandbox(const std::string& runsc, const std::string& id) {
  CommandResult del = RunCommand(RunscArgv(runsc, {"delete", "-force", id}));
  std::error_code ec;
  std::filesystem::remove_all(BundlePath(id), ec);
  CommandResult list = RunCommand(RunscArgv(runsc, {"list", "-quiet"}));
  for (const std::string& left : ParseRunscListQuiet(list.output))
    if (left == id)
      return MakeError(ErrorCode::kFailed, "runsc delete -force " + id + " left it: " + del.output);
  return Status::Ok();
}

std::vector<std::string> ListSandboxes(const std::string& runsc) {
  CommandResult list = RunCommand(RunscArgv(runsc, {"list", "-quiet"}));
  if (list.exit_code != 0) return {};
  return ParseRunscListQuiet(list.output);
}

// The server's agent in a runsc sandbox on gVisor's netstack, in the
// server's namespace.
class GvisorServer final : public PairServer {
 public:
  GvisorServer(std::string agent_path, std::string runsc, LabHosts hosts, std::string sandbox_id)
      : agent_path_(std::move(agent_path)),
        runsc_(std::move(runsc)),
        hosts_(std::move(hosts)),
        sandbox_id_(std::move(sandbox_id)) {}

  Result<pid_t> Spawn(int control_fd) override {
    if (sandbox_started_)
      return MakeError(ErrorCode::kFailed, "the server's sandbox " + sandbox_id_ +
                                               " was started already (one per case)");
    // netstack takes the interface's addresses when it starts (they move
    // from the namespace's kernel into the sandbox): put the server's back
    // so this sandbox's netstack picks it up.
    const std::string prefix = "/" + std::to_string(hosts_.prefix_len);
    if (Status a = RunChecked({"ip", "-n", hosts_.server.netns, "addr", "replace",
                               hosts_.server.address + prefix, "dev", kLabIfName});
        !a.ok())
      return a.error();
    const std::string bundle = BundlePath(sandbox_id_);
    std::error_code ec;
    std::filesystem::create_directories(bundle, ec);
    if (ec) return MakeError(ErrorCode::kFailed, "cannot create " + bundle + ": " + ec.message());
    {
      std::ofstream out(bundle + "/config.json", std::ios::trunc);
      out << GvisorBundleJson(agent_path_, hosts_.server.netns_path,
                              SanitizerPassthrough(SanitizerEnvironment()));
      if (!out) return MakeError(ErrorCode::kFailed, "cannot write " + bundle + "/config.json");
    }
    sandbox_started_ = true;  // from here on, Remove() deletes the sandbox
    return SpawnSandboxRuntime(RunscRunArgv(runsc_, bundle, sandbox_id_), hosts_.server.netns_path,
                               control_fd);
  }

  // The sandbox holds the control channel's other end, not runsc: end it
  // too, so a case waiting on the server agent sees it gone now.
  void Kill() override {
    if (sandbox_started_) (void)RunCommand(RunscArgv(runsc_, {"kill", sandbox_id_, "KILL"}));
  }

  Status Remove() override {
    return sandbox_started_ ? RemoveSandbox(runsc_, sandbox_id_) : Status::Ok();
  }

  // netstack lives in the sandbox: a connection the agent left behind dies
  // with the sandbox, which ends when the agent does.
  bool OrphansOutliveAgent() const override { return false; }

 private:
  std::string agent_path_, runsc_;
  LabHosts hosts_;
  std::string sandbox_id_;
  bool sandbox_started_ = false;  // guarded by the lab's lock (pair_lab.h)
};

class GvisorStack final : public PairStack {
 public:
  explicit GvisorStack(std::string agent_path)
      : agent_path_(std::move(agent_path)), runsc_(FindExecutable("runsc")) {}

  std::string Name() const override { return "gvisor"; }
  std::string Stack() const override { return "gvisor"; }

  Status CheckUsable() override {
    if (runsc_.empty())
      return MakeError(ErrorCode::kNotFound,
                       std::string("the gvisor target needs gVisor's runsc: ") + kInstallHint);
    if (CommandResult v = RunCommand({runsc_, "--version"}); v.exit_code != 0)
      return MakeError(ErrorCode::kNotFound,
                       "runsc at " + runsc_ + " does not run (" + v.output + "): " + kInstallHint);
    std::error_code ec;
    std::filesystem::create_directories(kGvisorStateRoot, ec);
    std::filesystem::create_directories(kGvisorBundleDir, ec);
    return Status::Ok();
  }

  std::unique_ptr<PairServer> NewServer(const LabHosts& hosts,
                                        const std::string& case_name) override {
    return std::make_unique<GvisorServer>(agent_path_, runsc_, hosts, case_name);
  }

  void RemoveRunLeftovers(const std::string& run) override {
    if (runsc_.empty()) return;
    for (const std::string& id : ListSandboxes(runsc_))
      if (RunOfCaseName(id) == run) (void)RemoveSandbox(runsc_, id);
  }

  Result<std::vector<std::string>> SweepStale(const std::string& own_run) override {
    std::vector<std::string> sandboxes =
        runsc_.empty() ? std::vector<std::string>{} : ListSandboxes(runsc_);
    std::vector<std::string> runs;
    for (const std::string& id : sandboxes)
      if (std::string run = RunOfCaseName(id); !run.empty()) runs.push_back(run);
    const std::string runsc = runsc_;
    // A sandbox in our private state root whose run has no lock file is
    // dead: a run takes its lock before its first sandbox, and only a
    // sweeper holding a dead run's lock unlinks it (e.g. `lingerlab clean`
    // for netns took the namespaces and the lock and left the sandbox).
    std::vector<std::string> orphans;
    for (const std::string& id : sandboxes) {
      const std::string run = RunOfCaseName(id);
      struct stat st {};
      if (!run.empty() && run != own_run && ::stat(RunLockPath(run).c_str(), &st) != 0)
        orphans.push_back(id);
    }
    std::vector<std::string> removed;
    for (const std::string& id : orphans) {
      if (Status s = RemoveSandbox(runsc, id); !s.ok()) return s.error();
      removed.push_back("gVisor sandbox " + id + " (run " + RunOfCaseName(id) + ", no lock file)");
    }
    auto swept =
        SweepDeadRuns(own_run, runs,
                      [&sandboxes, runsc](const std::string& run, std::vector<std::string>* lines) {
                        for (const std::string& id : sandboxes) {
                          if (RunOfCaseName(id) != run) continue;
                          if (Status s = RemoveSandbox(runsc, id); !s.ok()) return s;
                          lines->push_back("gVisor sandbox " + id + " (run " + run + ")");
                        }
                        return Status::Ok();
                      });
    if (!swept.ok()) return swept.error();
    removed.insert(removed.end(), swept->begin(), swept->end());
    return removed;
  }

 private:
  std::string agent_path_, runsc_;
};

}  // namespace

ContainerExtras SanitizerPassthrough(const std::map<std::string, std::string>& environment) {
  ContainerExtras out;
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    auto it = environment.find(name);
    if (it == environment.end()) continue;
    out.env.push_back(std::string(name) + "=" + it->second);
    // Options are NAME=VALUE separated by ':'; log_path is a file prefix.
    std::istringstream opts(it->second);
    std::string opt;
    while (std::getline(opts, opt, ':')) {
      if (opt.rfind("log_path=", 0) != 0) continue;
      const std::string prefix = opt.substr(9);
      if (prefix.empty() || prefix[0] != '/') continue;  // stderr, stdout, relative
      const std::string dir = std::filesystem::path(prefix).parent_path().string();
      if (dir.empty() || dir == "/") continue;
      if (std::find(out.writable_dirs.begin(), out.writable_dirs.end(), dir) ==
          out.writable_dirs.end())
        out.writable_dirs.push_back(dir);
    }
  }
  return out;
}

std::string GvisorBundleJson(const std::string& agent_path, const std::string& netns_path,
                             const ContainerExtras& extras) {
  const json caps = json::array({"CAP_NET_BIND_SERVICE"});
  json config = {
      {"ociVersion", "1.0.0"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {agent_path, "--control-fd", "0"}},
        {"env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}}}},
      {"root", {{"path", "/"}, {"readonly", true}}},
      {"hostname", "lingerlab-gvisor"},
      // Only /proc: a tmpfs over /tmp (or any other directory) would hide
      // an agent built there. The agent writes nothing in this mode (its
      // own capture, the only file it makes, is for remote cases).
      {"mounts", {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}}},
      {"linux",
       {{"namespaces",
         {{{"type", "pid"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}},
          {{"type", "network"}, {"path", netns_path}}}}}}};
  for (const std::string& e : extras.env) config["process"]["env"].push_back(e);
  for (const std::string& dir : extras.writable_dirs)
    config["mounts"].push_back(
        {{"destination", dir}, {"type", "bind"}, {"source", dir}, {"options", {"rbind", "rw"}}});
  return config.dump(2) + "\n";
}

std::vector<std::string> RunscArgv(const std::string& runsc, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {runsc, "--root", kGvisorStateRoot};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> RunscRunArgv(const std::string& runsc, const std::string& bundle,
                                      const std::string& id) {
  return RunscArgv(runsc, {"--ignore-cgroups", "--network=sandbox", "run", "--bundle", bundle, id});
}

std::vector<std::string> ParseRunscListQuiet(const std::string& output) {
  std::vector<std::string> ids;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty() || line.find(' ') != std::string::npos || line == "ID") continue;
    ids.push_back(line);
  }
  return ids;
}

std::unique_ptr<Target> MakeGvisorTarget(const TargetConfig& config) {
  // The agent runs inside the sandbox, whose root is this machine's "/":
  // its path must be absolute.
  TargetConfig c = config;
  char abs[PATH_MAX];
  if (::realpath(c.agent_path.c_str(), abs)) c.agent_path = abs;
  return MakePairTarget(c, std::make_unique<GvisorStack>(c.agent_path));
}

}  // namespace lingerlab

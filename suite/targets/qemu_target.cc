#include "suite/targets/qemu_target.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/auth.h"
#include "suite/targets/agent_processes.h"
#include "suite/targets/impairment.h"
#include "suite/targets/netns_target.h"
#include "suite/targets/process.h"
#include "suite/targets/qemu_image.h"
#include "suite/targets/remote_target.h"

namespace lingerlab {
namespace {
namespace fs = std::filesystem;

constexpr const char* kQemuBinary = "qemu-system-x86_64";
constexpr const char* kBusybox = "/bin/busybox";
constexpr const char* kBridge = "br0";
constexpr const char* kTap = "tap0";
// Under TCG on a loaded 2-core machine the guest needs ~3 s, sometimes far more.
constexpr int64_t kBootTimeoutNs = 60 * kNsPerSec;
constexpr size_t kConsoleTail = 3000;

std::string ReadFile(const std::string& path, size_t max = 64 * 1024 * 1024) {
  std::ifstream in(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.size() > max) s.resize(max);
  return s;
}

// The end of a log, without the serial console's carriage returns.
std::string Tail(const std::string& path) {
  std::string s = ReadFile(path);
  std::erase(s, '\r');
  if (s.size() > kConsoleTail) s = "..." + s.substr(s.size() - kConsoleTail);
  return s;
}

// The newest /boot/vmlinuz-*, or "".
std::string NewestKernel() {
  std::string best, best_release;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/boot", ec)) {
    const std::string r = KernelReleaseFromFileName(e.path().filename().string());
    if (!r.empty() && (best.empty() || ReleaseLess(best_release, r))) {
      best = e.path().string();
      best_release = r;
    }
  }
  return best;
}

// A module's file under `dir` (name.ko, or compressed), searched recursively.
std::string FindModule(const std::string& dir, const std::string& name) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string f = it->path().filename().string();
    for (const char* ext : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"})
      if (f == name + ext) return it->path().string();
  }
  return "";
}

// Runs `fn` on a thread inside the network namespace at `netns_path`: the
// sockets it creates belong to that namespace (setns changes only that
// thread, which ends right after).
template <typename T, typename Fn>
Result<T> InNetns(const std::string& netns_path, Fn fn) {
  Result<T> out = MakeError(ErrorCode::kFailed, "not run");
  std::thread t([&] {
    UniqueFd ns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid() || ::setns(ns.get(), CLONE_NEWNET) != 0) {
      out = MakeError(ErrorCode::kFailed,
                      "cannot enter namespace " + netns_path + ": " + std::strerror(errno));
      return;
    }
    out = fn();
  });
  t.join();
  return out;
}

// The VM and everything it needs, shared by the run's labs.
struct Vm {
  std::string netns, netns_path, temp_dir;
  AuthKey key;
  std::string lease;
  QemuNet net;
  int64_t boot_ns = 0;
};

class QemuLab final : public CaseLab {
 public:
  QemuLab(std::shared_ptr<const Vm> vm, std::string client_agent, int slot, HostInfo server,
          HostInfo client)
      : vm_(std::move(vm)),
        client_agent_(std::move(client_agent)),
        slot_(slot),
        server_(std::move(server)),
        client_(std::move(client)),
        impairer_(ClientImpairLink(client_, server_)) {}
  ~QemuLab() override { (void)Teardown(0); }

  const HostInfo& host(Role role) const override {
    return role == Role::kServer ? server_ : client_;
  }

  Result<AgentProcess> StartAgent(Role role) override {
    if (role == Role::kClient)
      return agents_.Spawn(
          [this](int fd) { return SpawnAgent(client_agent_, client_.netns_path, fd); });
    // The guest's agent, from the bridge's side of the run namespace.
    const Vm& vm = *vm_;
    auto ch = InNetns<Channel>(vm.netns_path, [&] {
      return ConnectToAgent(vm.net.guest, vm.net.control_port, vm.key, vm.lease,
                            "guest agent " + server_.agent_endpoint);
    });
    if (!ch.ok()) return ch.error();
    return agents_.Watch(std::move(*ch));
  }

  // The guest kernel keeps an orphaned connection after the agent's session
  // ends: the VM lives until the run ends, not with the session.
  bool OrphansOutliveAgent() const override { return true; }
  CaptureSite capture_site() const override { return CaptureSite::kLocal; }
  int TestPort(int /*matrix_port*/) const override { return kDefaultRemotePortBase + slot_; }

  void KillAgents() override { agents_.KillAll(); }

  // The client's namespace is the host kernel's, bridged to the guest's tap:
  // its eth0 carries every packet between the two.
  Status Impair(const Impairment& imp) override { return impairer_.Apply(imp); }
  Status ClearImpairments() override { return impairer_.Clear(); }

  Status Teardown(int64_t grace_ns) override {
    return agents_.Stop(grace_ns, [this] {
      Status first = impairer_.Clear();
      if (Status s = RemoveNamespace(client_.netns); !s.ok() && first.ok()) first = s;
      // The bridge port's veth went with its peer; this is for a half-made lab.
      (void)RunCommand({"ip", "-n", vm_->netns, "link", "delete", server_.interface});
      return first;
    });
  }

 private:
  std::shared_ptr<const Vm> vm_;
  std::string client_agent_;
  int slot_;
  HostInfo server_, client_;
  LinkImpairer impairer_;
  AgentProcesses agents_;  // the client's process and the guest agent's session
};

class QemuTarget final : public Target {
 public:
  explicit QemuTarget(TargetConfig config) : config_(std::move(config)) {
    netns_ = MakeNetnsTarget(config_);  // run lock, capabilities, sweep of namespaces
  }
  ~QemuTarget() override { StopVm(); }

  std::string Name() const override { return "qemu"; }
  std::string Stack() const override { return "qemu"; }

  Status CheckUsable() override {
    // The run lock, root's capabilities, `ip` and the client agent: the
    // netns target's own checks (its messages say "netns target").
    if (Status s = netns_->CheckUsable(); !s.ok())
      return MakeError(s.code(),
                       "--target qemu puts its clients in network namespaces: " + s.message());
    if (RunCommand({kQemuBinary, "--version"}).exit_code != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the qemu target needs qemu-system-x86_64: tools/install-deps.sh qemu "
                       "(or apt-get install qemu-system-x86)");
    const QemuConfig& q = config_.qemu;
    kernel_ = q.kernel.empty() ? NewestKernel() : q.kernel;
    if (kernel_.empty())
      return MakeError(ErrorCode::kNotFound,
                       "the qemu target needs a Linux kernel image: none in /boot "
                       "(tools/install-deps.sh qemu installs Debian's 6.1), or pass --kernel");
    if (::access(kernel_.c_str(), R_OK) != 0)
      return MakeError(ErrorCode::kNotFound, "--kernel " + kernel_ + ": " + std::strerror(errno));
    guest_agent_ = q.guest_agent.empty() ? config_.agent_path + "-static" : q.guest_agent;
    if (::access(guest_agent_.c_str(), X_OK) != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the qemu target needs the statically linked agent " + guest_agent_ +
                           " (tools/build.sh builds it, or cmake --build build --target "
                           "lingerlab-agent-static; it needs libssl-dev's libcrypto.a)");
    if (!q.initramfs.empty()) {
      if (::access(q.initramfs.c_str(), R_OK) != 0)
        return MakeError(ErrorCode::kNotFound,
                         "--initramfs " + q.initramfs + ": " + std::strerror(errno));
      return Status::Ok();
    }
    if (::access(kBusybox, X_OK) != 0)
      return MakeError(ErrorCode::kNotFound,
                       "the qemu target needs a static busybox at /bin/busybox: apt-get install "
                       "busybox-static");
    modules_ = q.modules;
    if (modules_.empty()) {
      auto release = KernelRelease(kernel_);
      if (!release.ok()) return release.error();
      modules_ = "/lib/modules/" + *release;
    }
    if (std::error_code ec; !fs::is_directory(modules_, ec))
      return MakeError(ErrorCode::kNotFound, "no module directory " + modules_ +
                                                 " for the kernel " + kernel_ +
                                                 ": install its modules, or pass --modules DIR");
    return Status::Ok();
  }

  Result<std::unique_ptr<CaseLab>> Provision(const std::string& case_id, int index) override {
    auto vm = EnsureVm();
    if (!vm.ok()) return vm.error();
    auto client_addr = QemuClientAddress(index);
    if (!client_addr.ok()) return client_addr.error();
    const QemuNet& net = (*vm)->net;
    const std::string port = "vc" + std::to_string(index);
    const std::string client_ns = std::string(kNetnsPrefix) + config_.run_id + "-" + case_id + "-c";
    HostInfo server{net.guest, (*vm)->netns, (*vm)->netns_path, port,
                    net.guest + ":" + std::to_string(net.control_port)};
    HostInfo client{*client_addr, client_ns, std::string(kNetnsDir) + "/" + client_ns, "eth0", ""};
    auto lab = std::make_unique<QemuLab>(*vm, config_.agent_path, index, server, client);
    const std::string& rns = (*vm)->netns;
    const std::string prefix = "/" + std::to_string(net.prefix_len);
    const std::vector<std::vector<std::string>> steps = {
        {"ip", "netns", "add", client_ns},
        {"ip", "-n", rns, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
         client_ns},
        {"ip", "-n", rns, "link", "set", port, "master", kBridge},
        {"ip", "-n", client_ns, "addr", "add", *client_addr + prefix, "dev", "eth0"},
        {"ip", "-n", rns, "link", "set", port, "up"},
        {"ip", "-n", client_ns, "link", "set", "eth0", "up"},
        {"ip", "-n", client_ns, "link", "set", "lo", "up"},
    };
    for (const auto& argv : steps) {
      Status s = RunChecked(argv);
      if (!s.ok()) return MakeError(s.code(), "provisioning case " + case_id + ": " + s.message());
    }
    // Wire-sized segments on the capture link (as the netns target does).
    (void)RunCommand({"ip", "netns", "exec", rns, "ethtool", "-K", port, "tso", "off", "gso", "off",
                      "gro", "off"});
    (void)RunCommand({"ip", "netns", "exec", client_ns, "ethtool", "-K", "eth0", "tso", "off",
                      "gso", "off", "gro", "off"});
    return std::unique_ptr<CaseLab>(std::move(lab));
  }

  Result<std::vector<std::string>> SweepStale() override {
    std::vector<std::string> removed;
    // Temp dirs (and the VM named by their pid file) before the namespace
    // sweep, which unlinks the lock files that say whose they are.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::temp_directory_path(ec), ec)) {
      const std::string name = e.path().filename().string();
      const std::string run = RunOfQemuTempDir(name);
      if (run.empty() || run == config_.run_id) continue;
      UniqueFd lock = LockDeadRun(run);
      struct stat st {};
      const bool lock_file = ::stat(RunLockPath(run).c_str(), &st) == 0;
      if (!lock.valid() && lock_file) continue;  // a live run's
      if (KillVmOf(e.path().string())) removed.push_back("qemu of run " + run);
      std::error_code rm;
      fs::remove_all(e.path(), rm);
      if (!rm) removed.push_back("temp dir " + e.path().string() + " (run " + run + ")");
    }
    auto more = netns_->SweepStale();
    if (!more.ok()) return more.error();
    removed.insert(removed.end(), more->begin(), more->end());
    return removed;
  }

  int MaxParallelCases() const override { return static_cast<int>(protocol::kMaxListenSessions); }

 private:
  // Kills the qemu whose -pidfile is in `temp_dir`, if that process is still
  // the qemu started with that pid file (its command line names it).
  static bool KillVmOf(const std::string& temp_dir) {
    const std::string pid_file = temp_dir + "/qemu.pid";
    std::string text = ReadFile(pid_file, 64);
    pid_t pid = 0;
    try {
      pid = static_cast<pid_t>(std::stol(text));
    } catch (const std::exception&) {
      return false;
    }
    if (pid <= 1) return false;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) return false;
    std::string cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline", 1 << 20);
    bool sent = false;
    if (cmdline.find(pid_file) != std::string::npos)
      sent = ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0;
    ::close(pidfd);
    return sent;
  }

  Result<std::shared_ptr<const Vm>> EnsureVm() {
    std::lock_guard<std::mutex> lock(vm_mu_);
    if (vm_) return std::shared_ptr<const Vm>(vm_);
    if (!vm_error_.empty()) return MakeError(ErrorCode::kFailed, vm_error_);
    auto vm = BootVm();
    if (!vm.ok()) {
      vm_error_ = vm.error().message;
      return vm.error();
    }
    vm_ = *vm;
    return std::shared_ptr<const Vm>(vm_);
  }

  // Builds the image, the run namespace, starts qemu and waits for the guest
  // agent's readiness line on the console.
  Result<std::shared_ptr<Vm>> BootVm() {
    const int64_t started = MonotonicNs();
    auto vm = std::make_shared<Vm>();
    vm->lease = config_.run_id;
    std::string tmpl =
        (fs::temp_directory_path() / (std::string(kQemuTempPrefix) + config_.run_id + "-XXXXXX"))
            .string();
    if (!::mkdtemp(tmpl.data()))
      return MakeError(ErrorCode::kFailed,
                       "cannot create a temp dir: " + std::string(std::strerror(errno)));
    vm->temp_dir = tmpl;
    temp_dir_ = tmpl;  // removed by StopVm() whatever happens next
    vm->netns = std::string(kNetnsPrefix) + config_.run_id + "-vm-s";
    vm->netns_path = std::string(kNetnsDir) + "/" + vm->netns;
    netns_name_ = vm->netns;

    const std::string key_path = vm->temp_dir + "/key";
    if (Status s = WriteNewKeyFile(key_path); !s.ok()) return s.error();
    auto key = LoadKeyFile(key_path);
    if (!key.ok()) return key.error();
    vm->key = std::move(*key);

    auto image = BuildInitramfs(*vm, key_path);
    if (!image.ok()) return image.error();

    const QemuNet& net = vm->net;
    const std::string& ns = vm->netns;
    const std::vector<std::vector<std::string>> steps = {
        {"ip", "netns", "add", ns},
        {"ip", "-n", ns, "link", "set", "lo", "up"},
        {"ip", "-n", ns, "link", "add", kBridge, "type", "bridge", "forward_delay", "0"},
        {"ip", "-n", ns, "addr", "add", net.bridge + "/" + std::to_string(net.prefix_len), "dev",
         kBridge},
        {"ip", "-n", ns, "link", "set", kBridge, "up"},
        {"ip", "-n", ns, "tuntap", "add", "dev", kTap, "mode", "tap"},
        {"ip", "-n", ns, "link", "set", kTap, "master", kBridge},
        {"ip", "-n", ns, "link", "set", kTap, "up"},
    };
    for (const auto& argv : steps)
      if (Status s = RunChecked(argv); !s.ok())
        return MakeError(s.code(), "setting up the VM's network: " + s.message());

    QemuArgvOptions qo;
    qo.kernel = kernel_;
    qo.initramfs = *image;
    qo.console_log = vm->temp_dir + "/console.log";
    qo.pid_file = vm->temp_dir + "/qemu.pid";
    qo.tap = kTap;
    const std::string qemu_log = vm->temp_dir + "/qemu.log";
    if (Status s = StartKeeper(QemuArgv(qo), vm->netns_path, qemu_log); !s.ok()) return s.error();

    auto failure = [&](const std::string& why) {
      std::string msg = "the qemu guest did not come up: " + why + " (kernel " + kernel_ + ")";
      const std::string q = Tail(qemu_log);
      if (!q.empty()) msg += "\n--- qemu says:\n" + q;
      msg += "\n--- the end of its serial console:\n" + Tail(qo.console_log);
      return MakeError(ErrorCode::kFailed, msg);
    };
    const int64_t deadline = started + kBootTimeoutNs;
    for (;;) {
      if (ReadFile(qo.console_log).find(kAgentReadyLine) != std::string::npos) break;
      if (vm_exited_.load())
        return failure("qemu exited (status " + std::to_string(vm_status_.load()) + ")");
      if (MonotonicNs() > deadline)
        return failure("no '" + std::string(kAgentReadyLine) + "' within " +
                       std::to_string(kBootTimeoutNs / kNsPerSec) + " s");
      SleepNs(100 * kNsPerMs);
    }
    vm->boot_ns = MonotonicNs() - started;
    boot_ns_ = vm->boot_ns;
    std::fprintf(stderr, "lingerlab: qemu guest up in %.1f s (kernel %s, console %s)\n",
                 static_cast<double>(vm->boot_ns) / 1e9, kernel_.c_str(), qo.console_log.c_str());
    return vm;
  }

  Result<std::string> BuildInitramfs(const Vm& vm, const std::string& key_path) {
    const std::string out_path = vm.temp_dir + "/initramfs.cpio";
    CpioWriter w;
    for (const char* d : {"bin", "dev", "proc", "sys", "tmp", "lib", "lib/modules"})
      w.AddDirectory(d);
    w.AddFile("key", ReadFile(key_path), 0600);
    std::string agent = ReadFile(guest_agent_);
    if (agent.empty()) return MakeError(ErrorCode::kNotFound, "cannot read " + guest_agent_);
    w.AddFile("lingerlab-agent", agent, 0755);
    std::string prefix;
    if (!config_.qemu.initramfs.empty()) {
      // The user's image, then ours with the key and the agent on top: the
      // kernel unpacks concatenated archives in order (4-byte aligned).
      prefix = ReadFile(config_.qemu.initramfs, 1u << 30);
      prefix.append((4 - prefix.size() % 4) % 4, '\0');
    } else {
      w.AddFile("bin/busybox", ReadFile(kBusybox), 0755);
      InitScriptOptions io;
      io.net = vm.net;
      for (const std::string& m : QemuGuestModules()) {
        std::string path = FindModule(modules_, m);
        if (path.empty()) continue;  // built in, or missing: the console will tell
        std::string file = fs::path(path).filename().string();
        if (file.size() > 3 && file.substr(file.size() - 3) != ".ko") {
          // Compressed: decompress on the host (busybox insmod may not).
          const std::string copy = vm.temp_dir + "/" + file;
          fs::copy_file(path, copy, fs::copy_options::overwrite_existing);
          const std::string ext = file.substr(file.rfind('.') + 1);
          const std::vector<std::string> argv =
              ext == "xz"    ? std::vector<std::string>{"xz", "-d", "-f", copy}
              : ext == "zst" ? std::vector<std::string>{"zstd", "-d", "-q", "-f", "--rm", copy}
                             : std::vector<std::string>{"gzip", "-d", "-f", copy};
          if (Status s = RunChecked(argv); !s.ok())
            return MakeError(ErrorCode::kFailed, "decompressing " + path + ": " + s.message());
          file = m + ".ko";
          path = vm.temp_dir + "/" + file;
        }
        w.AddFile("lib/modules/" + file, ReadFile(path), 0644);
        io.modules.push_back(file);
      }
      w.AddFile("init", InitScript(io), 0755);
    }
    std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
    out << prefix << w.Finish();
    out.close();
    if (!out) return MakeError(ErrorCode::kFailed, "cannot write " + out_path);
    return out_path;
  }

  // qemu is started by a thread that lives exactly as long as qemu: its
  // PR_SET_PDEATHSIG then ends qemu if we die, and no case's worker thread
  // (which ends when its cases do) is qemu's parent thread.
  Status StartKeeper(std::vector<std::string> argv, const std::string& netns_path,
                     const std::string& log) {
    std::mutex m;
    std::condition_variable cv;
    bool ready = false;
    Status started;
    keeper_ = std::thread([&, argv = std::move(argv), netns_path, log] {
      auto pid = SpawnBackground(argv, netns_path, log);
      pid_t p = -1;
      {
        std::lock_guard<std::mutex> g(m);
        if (pid.ok()) {
          p = *pid;
          vm_pid_ = p;
          vm_pidfd_ = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, p, 0)));
        } else {
          started = pid.error();
        }
        ready = true;
      }
      cv.notify_one();
      if (p < 0) return;
      int status = 0;
      while (::waitpid(p, &status, 0) < 0 && errno == EINTR) {
      }
      vm_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      vm_exited_ = true;
    });
    std::unique_lock<std::mutex> g(m);
    cv.wait(g, [&] { return ready; });
    return started;
  }

  // Kills qemu (through its pidfd: never another process), removes the run
  // namespace and the temp dir. The netns target's destructor then removes
  // any client namespace of this run left and releases the run lock.
  void StopVm() {
    if (vm_pidfd_.valid()) ::syscall(SYS_pidfd_send_signal, vm_pidfd_.get(), SIGKILL, nullptr, 0);
    if (keeper_.joinable()) keeper_.join();
    vm_pidfd_.reset();
    if (!netns_name_.empty()) {
      struct stat st {};
      if (::stat((std::string(kNetnsDir) + "/" + netns_name_).c_str(), &st) == 0)
        (void)RunCommand({"ip", "netns", "delete", netns_name_});
    }
    if (!temp_dir_.empty()) {
      std::error_code ec;
      fs::remove_all(temp_dir_, ec);
    }
    vm_.reset();
    netns_.reset();
  }

  TargetConfig config_;
  std::unique_ptr<Target> netns_;
  std::string kernel_, modules_, guest_agent_;
  std::mutex vm_mu_;
  std::shared_ptr<Vm> vm_;
  std::string vm_error_;
  std::string temp_dir_, netns_name_;
  std::thread keeper_;
  pid_t vm_pid_ = -1;
  UniqueFd vm_pidfd_;
  std::atomic<bool> vm_exited_{false};
  std::atomic<int> vm_status_{0};
  int64_t boot_ns_ = 0;
};

}  // namespace

std::unique_ptr<Target> MakeQemuTarget(const TargetConfig& config) {
  return std::make_unique<QemuTarget>(config);
}

}  // namespace lingerlab

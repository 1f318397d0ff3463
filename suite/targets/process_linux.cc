#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "agents/base/clock.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> v;
  for (auto& a : args) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
}

// Closes every descriptor from `first` up, in the child before exec.
// libpcap opens its packet socket and eventfd without close-on-exec, so this
// is what keeps them out of agents. `fd_limit` is computed before fork: the
// fallback loop (kernels before 5.9, seccomp) must not call getrlimit there.
void CloseFrom(int first, int fd_limit) {
  if (::syscall(SYS_close_range, first, ~0U, 0) == 0) return;
  for (int fd = first; fd < fd_limit; ++fd) ::close(fd);
}

int FdLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 65536;
  return static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 1 << 20));
}

// In the child before exec: the coordinator blocks SIGINT/SIGTERM/SIGHUP in
// all its threads (commands.cc) and the mask survives exec; children must
// get the default, or `kill <agent>` would do nothing. A process group of
// their own keeps a terminal's Ctrl-C away from them: the coordinator ends
// them itself, by pid, after recording what they were doing.
void ResetChildSignals() {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::setpgid(0, 0);
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, int64_t timeout_ns) {
  CommandResult res;
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    res.output = std::string("pipe: ") + std::strerror(errno);
    return res;
  }
  auto args = Argv(argv);
  const int fd_limit = FdLimit();
  pid_t pid = ::fork();
  if (pid == 0) {
    ResetChildSignals();
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    CloseFrom(3, fd_limit);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(out[1]);
  if (pid < 0) {
    ::close(out[0]);
    res.output = std::string("fork: ") + std::strerror(errno);
    return res;
  }
  // Read until the command closes its output, or kill it (our own child, by
  // its pid) when it overruns: a wedged `ip` must not hang a run.
  const int64_t deadline = MonotonicNs() + timeout_ns;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    const int64_t left = deadline - MonotonicNs();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>((left + kNsPerMs - 1) / kNsPerMs)) <= 0) continue;
    const ssize_t n = ::read(out[0], buf, sizeof(buf));
    if (n > 0)
      res.output.append(buf, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  res.exit_code = WIFEXITED(status) && !timed_out ? WEXITSTATUS(status) : -1;
  if (timed_out)
    res.output +=
        "(killed after " + std::to_string(timeout_ns / kNsPerMs) + " ms without finishing)";
  if (res.exit_code == 127 && res.output.empty()) res.output = argv[0] + ": not found";
  return res;
}

Status RunChecked(const std::vector<std::string>& argv) {
  CommandResult r = RunCommand(argv);
  if (r.exit_code == 0) return Status::Ok();
  std::string cmd;
  for (auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  return MakeError(ErrorCode::kFailed, "'" + cmd + "' failed: " + r.output);
}

Result<pid_t> SpawnAgent(const std::string& agent_path, const std::string& netns_path,
                         int control_fd, const std::vector<std::string>& extra_args) {
  if (::access(agent_path.c_str(), X_OK) != 0)
    return MakeError(ErrorCode::kNotFound, "agent binary not executable: " + agent_path);
  int ns_fd = -1;
  if (!netns_path.empty()) {
    ns_fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0)
      return MakeError(ErrorCode::kNotFound,
                       "cannot open network namespace " + netns_path + ": " + std::strerror(errno));
  }
  std::vector<std::string> argv_s = {agent_path, "--control-fd", "3"};
  argv_s.insert(argv_s.end(), extra_args.begin(), extra_args.end());
  auto args = Argv(argv_s);
  const pid_t parent = ::getpid();
  const int fd_limit = FdLimit();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(125);  // parent already gone
    if (ns_fd >= 0 && ::setns(ns_fd, CLONE_NEWNET) != 0) _exit(126);
    ResetChildSignals();
    // dup2 onto itself would keep close-on-exec; clear it explicitly then.
    if (control_fd == 3 ? ::fcntl(3, F_SETFD, 0) < 0 : ::dup2(control_fd, 3) < 0) _exit(126);
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
    }
    CloseFrom(4, fd_limit);  // no pcap handle or other case's channel leaks into an agent
    ::execv(args[0], args.data());
    _exit(127);
  }
  int saved = errno;
  if (ns_fd >= 0) ::close(ns_fd);
  if (pid < 0) return MakeError(ErrorCode::kFailed, std::string("fork: ") + std::strerror(saved));
  return pid;
}

Result<pid_t> SpawnSandboxRuntime(const std::vector<std::string>& argv,
                                  const std::string& netns_path, int stdio_fd) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/' || ::access(argv[0].c_str(), X_OK) != 0)
    return MakeError(ErrorCode::kNotFound,
                     "sandbox runtime not executable: " + (argv.empty() ? "" : argv[0]));
  const int ns_fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0)
    return MakeError(ErrorCode::kNotFound,
                     "cannot open network namespace " + netns_path + ": " + std::strerror(errno));
  auto args = Argv(argv);
  const pid_t parent = ::getpid();
  const int fd_limit = FdLimit();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(125);  // parent already gone
    if (::setns(ns_fd, CLONE_NEWNET) != 0) _exit(126);
    if (::unshare(CLONE_NEWNS) != 0) _exit(126);
    // Nothing mounted below leaks back into the coordinator's namespace.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(126);
    if (::umount2("/sys", MNT_DETACH) == 0) (void)::mount("sysfs", "/sys", "sysfs", 0, nullptr);
    if (::mount("none", "/proc/sys/net/core", "tmpfs", 0, nullptr) != 0) _exit(126);
    ResetChildSignals();
    if (::dup2(stdio_fd, 0) < 0 || ::dup2(stdio_fd, 1) < 0) _exit(126);
    CloseFrom(3, fd_limit);
    ::execv(args[0], args.data());
    _exit(127);
  }
  const int saved = errno;
  ::close(ns_fd);
  if (pid < 0) return MakeError(ErrorCode::kFailed, std::string("fork: ") + std::strerror(saved));
  return pid;
}

std::string FindExecutable(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos)
    return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
  const char* path = ::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty() && dir[0] == '/') {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

Result<pid_t> SpawnBackground(const std::vector<std::string>& argv, const std::string& netns_path,
                              const std::string& log_path) {
  if (argv.empty()) return MakeError(ErrorCode::kInvalidInput, "empty command");
  UniqueFd ns_fd;
  if (!netns_path.empty()) {
    ns_fd = UniqueFd(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns_fd.valid())
      return MakeError(ErrorCode::kNotFound,
                       "cannot open network namespace " + netns_path + ": " + std::strerror(errno));
  }
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log.valid())
    return MakeError(ErrorCode::kFailed, "cannot open " + log_path + ": " + std::strerror(errno));
  auto args = Argv(argv);
  const pid_t parent = ::getpid();
  const int fd_limit = FdLimit();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(125);
    if (ns_fd.valid() && ::setns(ns_fd.get(), CLONE_NEWNET) != 0) _exit(126);
    ResetChildSignals();
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(log.get(), 1);
    ::dup2(log.get(), 2);
    CloseFrom(3, fd_limit);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  if (pid < 0) return MakeError(ErrorCode::kFailed, std::string("fork: ") + std::strerror(errno));
  return pid;
}

bool StopProcess(pid_t pid, int64_t grace_ns) {
  const int64_t deadline = MonotonicNs() + grace_ns;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return true;
    if (MonotonicNs() >= deadline) break;
    SleepNs(5 * kNsPerMs);
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  return false;
}

std::vector<pid_t> PidsInNetns(dev_t dev, ino_t ino) {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (!proc) return out;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    struct stat st {};
    const std::string path = std::string("/proc/") + e->d_name + "/ns/net";
    if (::stat(path.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino)
      out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return out;
}

bool KillIfInNetns(pid_t pid, unsigned long netns_inode) {
  if (pid <= 1 || pid == ::getpid()) return false;
  // Pin the process first; then the /proc check below is about this very
  // process, and the signal goes to it even if its pid were reused.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  char link[64] = {};
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  const ssize_t n = ::readlink(path.c_str(), link, sizeof(link) - 1);
  const bool inside = n > 0 && std::string(link, static_cast<size_t>(n)) ==
                                   "net:[" + std::to_string(netns_inode) + "]";
  bool sent = false;
  if (inside) {
    sent = pidfd >= 0 ? ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0
                      : ::kill(pid, SIGKILL) == 0;  // kernels before 5.3: no pidfd
  }
  if (pidfd >= 0) ::close(pidfd);
  return sent;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    return std::string("killed by ") +
           (abbrev ? "SIG" + std::string(abbrev) : "signal " + std::to_string(sig)) +
           (WCOREDUMP(status) ? " (core dumped)" : "");
  }
  return "wait status " + std::to_string(status);
}

bool ProcessAlive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace lingerlab

#include "suite/testing/e2e_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace lingerlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The names in `dir` but "." and ".." (none if it cannot be read).
std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    ::closedir(d);
  }
  return out;
}

// The pids in /proc but our own.
std::vector<pid_t> OtherPids() {
  std::vector<pid_t> out;
  for (const std::string& name : DirEntries("/proc")) {
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.c_str()));
    if (pid > 0 && pid != ::getpid()) out.push_back(pid);
  }
  return out;
}

}  // namespace

CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         int64_t timeout_ns) {
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, timeout_ns);
}

pid_t StartProgram(const std::vector<std::string>& argv, const fs::path& log, const fs::path& cwd) {
  if (argv.empty()) return -1;
  // Everything the child needs is built before fork: a test process has
  // threads, and only async-signal-safe calls are safe in the child.
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (std::string& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const std::string log_path = log.string(), dir = cwd.string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) _exit(126);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    if (!dir.empty() && ::chdir(dir.c_str()) != 0) _exit(126);
    ::execvp(cargv[0], cargv.data());
    _exit(127);
  }
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  pid_t r;
  while ((r = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (r != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

std::optional<int> WaitWithin(pid_t pid, int64_t timeout_ns) {
  int status = 0;
  std::optional<int> ended;
  WaitUntil(
      [&] {
        if (::waitpid(pid, &status, WNOHANG) != pid) return false;
        ended = status;
        return true;
      },
      timeout_ns);
  return ended;
}

std::optional<int> InterruptAndWait(pid_t pid, int64_t timeout_ns) {
  ::kill(pid, SIGINT);
  std::optional<int> status = WaitWithin(pid, timeout_ns);
  if (!status) StopProcess(pid, 0);  // SIGKILL by its pid, then reaped
  return status;
}

bool WaitUntil(const std::function<bool()>& done, int64_t timeout_ns, int64_t poll_ns) {
  const int64_t deadline = MonotonicNs() + timeout_ns;
  while (MonotonicNs() < deadline) {
    if (done()) return true;
    SleepNs(poll_ns);
  }
  return done();
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string RunId(const std::string& tag) { return tag + std::to_string(::getpid() % 100000); }

const json* FindCase(const json& results, const std::string& id) {
  if (!results.is_object() || !results.contains("cases") || !results["cases"].is_array())
    return nullptr;
  for (const json& c : results["cases"])
    if (c.is_object() && c.contains("id") && c["id"] == id) return &c;
  return nullptr;
}

bool HasPacket(const json& packets, const std::string& dir, char flag) {
  if (!packets.is_array()) return false;
  for (const json& p : packets) {
    if (!p.is_object() || !p.contains("flags") || !p["flags"].is_string()) continue;
    if (p.value("dir", "") == dir && p["flags"].get<std::string>().find(flag) != std::string::npos)
      return true;
  }
  return false;
}

std::vector<std::string> DirEntriesWithPrefix(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& name : DirEntries(dir))
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  return out;
}

std::vector<std::string> Namespaces(const std::string& prefix) {
  return DirEntriesWithPrefix("/run/netns", prefix);
}

std::vector<pid_t> PidsWhoseCmdline(const std::function<bool(const std::string&)>& match) {
  std::vector<pid_t> out;
  for (pid_t pid : OtherPids()) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    if (!in) continue;
    const std::string cmdline(std::istreambuf_iterator<char>(in), {});
    if (match(cmdline)) out.push_back(pid);
  }
  return out;
}

std::vector<pid_t> PidsRunning(const fs::path& path) {
  std::vector<pid_t> out;
  std::error_code ec;
  const fs::path wanted = fs::weakly_canonical(path, ec);
  if (ec) return out;
  for (pid_t pid : OtherPids()) {
    const fs::path exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
    if (!ec && exe == wanted) out.push_back(pid);
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string s;
  for (const std::string& x : items) s += x + separator;
  return s;
}

bool IsRoot() { return ::geteuid() == 0; }

bool StacksRequired() {
  const char* require = std::getenv("LINGERLAB_REQUIRE_STACKS");
  return require && std::string(require) == "1";
}

bool SkipOrFailWithout(const std::string& missing, bool required) {
  if (missing.empty()) return false;
  // GTEST_SKIP and FAIL return from the function they stand in: a lambda,
  // so that this one can say what it did. Both are recorded on the running
  // test, and gtest runs no test body after a SetUp that skipped or failed.
  if (required)
    [&] { FAIL() << "LINGERLAB_REQUIRE_STACKS=1 but this test needs " << missing; }();
  else
    [&] { GTEST_SKIP() << "needs " << missing; }();
  return true;
}

bool SkipUnlessRoot(const std::string& why, bool required) {
  return SkipOrFailWithout(IsRoot() ? "" : "root (" + why + ")", required);
}

}  // namespace lingerlab

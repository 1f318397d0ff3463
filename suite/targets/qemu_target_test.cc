// The qemu target's sweep of dead runs, without booting anything: a temp dir
// of a dead run goes, with the process its pid file names if that process
// is the one started with that pid file; a live run's temp dir stays, and a
// process whose command line does not name the pid file is never signalled.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "agents/base/clock.h"
#include "suite/targets/netns_target.h"
#include "suite/targets/process.h"
#include "suite/targets/sweep_test_lock.h"
#include "suite/targets/qemu_image.h"
#include "suite/targets/target.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;

std::string RunId(const char* tag) {
  std::random_device rd;
  return std::string(tag) + std::to_string(rd() % 1000000);
}

// A temp dir as the target names it, a lock file for its run, and a process
// standing for its qemu: bash whose command line names `named_file`.
struct FakeRun {
  explicit FakeRun(const std::string& id, bool name_pid_file = true) : run(id) {
    dir = fs::temp_directory_path() / (std::string(kQemuTempPrefix) + run + "-Ab12Cd");
    fs::create_directories(dir);
    ::mkdir(kRunLockDir, 0755);
    lock = UniqueFd(::open(RunLockPath(run).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    const std::string pid_file = (dir / "qemu.pid").string();
    auto p = SpawnBackground(
        {"bash", "-c", "sleep 60; :", name_pid_file ? pid_file : std::string("something-else")},
        "", (dir / "log").string());
    if (p.ok()) pid = *p;
    std::ofstream(pid_file) << pid << "\n";
  }
  ~FakeRun() {
    if (pid > 0) StopProcess(pid, 0);
    std::error_code ec;
    fs::remove_all(dir, ec);
    ::unlink(RunLockPath(run).c_str());
  }
  // Waits (up to 10 s: a loaded machine) until the fake qemu's command line
  // is bash's, naming the pid file: the sweep recognises it by that.
  bool CommandLineReady() const {
    const std::string path = "/proc/" + std::to_string(pid) + "/cmdline";
    for (int i = 0; i < 1000; ++i) {
      std::ifstream in(path, std::ios::binary);
      const std::string cmdline((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
      if (cmdline.rfind("bash", 0) == 0) return true;
      SleepNs(10 * kNsPerMs);
    }
    return false;
  }
  // Whether the fake qemu ended (reaps it if so).
  bool Ended() {
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) {
        pid = -1;
        return true;
      }
      SleepNs(10 * kNsPerMs);
    }
    return false;
  }
  std::string run;
  fs::path dir;
  UniqueFd lock;
  pid_t pid = -1;
};

class QemuSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (/run/lingerlab)";
  }
  std::vector<std::string> Sweep() {
    auto t = MakeTarget("qemu", TargetConfig::For("lingerlab-agent", RunId("me")));
    EXPECT_TRUE(t.ok());
    auto removed = (*t)->SweepStale();
    EXPECT_TRUE(removed.ok()) << removed.error().message;
    return removed.ok() ? *removed : std::vector<std::string>{};
  }
  SweepTestLock one_sweeping_test_at_a_time_;
};

TEST_F(QemuSweepTest, DeadRunsTempDirAndItsQemuGo) {
  FakeRun dead(RunId("qd"));
  ASSERT_GT(dead.pid, 0);
  ASSERT_TRUE(dead.CommandLineReady());  // bash has started: its command line is there
  dead.lock.reset();                     // the run died: nobody holds its lock
  const auto removed = Sweep();
  EXPECT_TRUE(dead.Ended());
  EXPECT_FALSE(fs::exists(dead.dir));
  EXPECT_FALSE(fs::exists(RunLockPath(dead.run)));
  bool said = false;
  for (const auto& line : removed) said |= line.find("qemu of run " + dead.run) != std::string::npos;
  EXPECT_TRUE(said);
}

TEST_F(QemuSweepTest, LiveRunIsLeftAlone) {
  FakeRun live(RunId("ql"));
  ASSERT_GT(live.pid, 0);
  ASSERT_EQ(::flock(live.lock.get(), LOCK_EX | LOCK_NB), 0);  // the run is alive
  Sweep();
  EXPECT_FALSE(live.Ended());
  EXPECT_TRUE(fs::exists(live.dir / "qemu.pid"));
  EXPECT_TRUE(fs::exists(RunLockPath(live.run)));
}

TEST_F(QemuSweepTest, AProcessNotStartedWithThePidFileIsNeverSignalled) {
  // The pid file names a process whose command line does not name the file
  // (a pid reused since the run died): the dir goes, the process stays.
  FakeRun dead(RunId("qp"), /*name_pid_file=*/false);
  ASSERT_GT(dead.pid, 0);
  ASSERT_TRUE(dead.CommandLineReady());
  dead.lock.reset();
  Sweep();
  EXPECT_FALSE(fs::exists(dead.dir));
  EXPECT_FALSE(dead.Ended());
}

// What is missing is named with the package to install, as kNotFound (exit 3).
class QemuUsableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (the run lock, capabilities)";
    if (::access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "no busybox";
  }
  Status Check(const QemuConfig& q) {
    TargetConfig config = TargetConfig::For(LINGERLAB_AGENT_PATH, RunId("qu"));
    config.qemu = q;
    auto t = MakeTarget("qemu", config);
    EXPECT_TRUE(t.ok());
    return (*t)->CheckUsable();
  }
};

TEST_F(QemuUsableTest, MissingKernelIsNotFoundNamingIt) {
  QemuConfig q;
  q.kernel = "/nonexistent/vmlinuz-9.9.9";
  Status s = Check(q);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_NE(s.message().find("/nonexistent/vmlinuz-9.9.9"), std::string::npos) << s.message();
}

TEST_F(QemuUsableTest, MissingStaticAgentNamesLibsslDev) {
  QemuConfig q;
  q.kernel = "/proc/self/exe";  // readable; never booted here
  q.guest_agent = "/nonexistent/lingerlab-agent-static";
  Status s = Check(q);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_NE(s.message().find("libssl-dev"), std::string::npos) << s.message();
}

TEST_F(QemuUsableTest, MissingQemuNamesItsPackage) {
  // A PATH with `ip` only: the netns checks pass, qemu-system-x86_64 is not found.
  const fs::path bin = fs::temp_directory_path() / ("ll-qemu-path-" + std::to_string(::getpid()));
  fs::create_directories(bin);
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"})
    if (fs::exists(std::string(dir) + "/ip")) {
      fs::create_symlink(std::string(dir) + "/ip", bin / "ip");
      break;
    }
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  ::setenv("PATH", bin.c_str(), 1);
  Status s = Check(QemuConfig{});
  ::setenv("PATH", saved.c_str(), 1);
  fs::remove_all(bin);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_NE(s.message().find("apt-get install qemu-system-x86"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("tools/install-deps.sh qemu"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace lingerlab

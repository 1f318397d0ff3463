// The qemu target end to end: `lingerlab run --target qemu` boots the
// newest /boot kernel under QEMU (TCG) once, runs a few cases with their
// server on the guest, and leaves nothing behind: not after a normal run,
// not after a guest that cannot boot (a clear error with its console's
// tail), not after SIGINT in the middle of the run. Needs root, qemu, a
// static busybox and a kernel with its modules; without them the tests are
// skipped, unless LINGERLAB_REQUIRE_STACKS=1 (CI) makes that a failure.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "agents/base/clock.h"
#include "suite/targets/process.h"
#include "suite/targets/qemu_image.h"
#include "suite/testing/e2e_support.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The newest /boot/vmlinuz-* and its release, as the target picks them.
std::pair<std::string, std::string> NewestKernel() {
  std::string best, release;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/boot", ec)) {
    std::string r = KernelReleaseFromFileName(e.path().filename().string());
    if (!r.empty() && (best.empty() || ReleaseLess(release, r))) {
      best = e.path().string();
      release = r;
    }
  }
  return {best, release};
}

// Everything a run `run` of the qemu target may create, still present.
std::vector<std::string> Leftovers(const std::string& run) {
  std::vector<std::string> left;
  for (const std::string& ns : Namespaces("ll-" + run + "-"))
    left.push_back("namespace /run/netns/" + ns);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::temp_directory_path(), ec))
    if (RunOfQemuTempDir(e.path().filename().string()) == run)
      left.push_back("temp dir " + e.path().string());
  if (fs::exists("/run/lingerlab/" + run + ".lock")) left.push_back("lock file of " + run);
  for (pid_t pid : PidsWhoseCmdline([&](const std::string& cmd) {
         return cmd.find("lingerlab-qemu-" + run + "-") != std::string::npos;
       }))
    left.push_back("process " + std::to_string(pid) + " (qemu of the run)");
  return left;
}

class QemuE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string missing;
    if (::geteuid() != 0) missing = "root";
    if (RunCommand({"qemu-system-x86_64", "--version"}).exit_code != 0)
      missing = "qemu-system-x86_64 (apt-get install qemu-system-x86)";
    if (::access("/bin/busybox", X_OK) != 0) missing = "/bin/busybox (apt-get install busybox-static)";
    kernel_ = NewestKernel();
    if (kernel_.first.empty() || !fs::is_directory("/lib/modules/" + kernel_.second))
      missing = "a kernel in /boot with its modules (apt-get install linux-image-amd64)";
    if (!fs::exists(std::string(LINGERLAB_AGENT_PATH) + "-static"))
      missing = "lingerlab-agent-static (apt-get install libssl-dev, rebuild)";
    if (SkipOrFailWithout(missing, StacksRequired())) return;
    dir_ = FreshDir("ll-qemu-e2e");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::pair<std::string, std::string> kernel_;
  fs::path dir_;
};

TEST_F(QemuE2e, CasesRunOnTheGuestKernelAndNothingIsLeft) {
  const std::string run = RunId("qeok");
  const fs::path out = dir_ / "out";
  std::string log;
  const int rc = RunBinary({"run", "--target", "qemu", "--cases", "02,04,07", "--time-scale", "0.05",
                            "--out", out.string(), "--run-id", run},
                           &log);
  EXPECT_EQ(rc, 0) << log;
  EXPECT_NE(log.find("qemu guest up"), std::string::npos) << log;
  EXPECT_EQ(Join(Leftovers(run)), "");
  const json r = json::parse(ReadAll(out / "results.json"));
  EXPECT_EQ(r["environment"]["target"], "qemu");
  EXPECT_EQ(r["environment"]["stack"], "qemu");
  utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  ASSERT_EQ(r["cases"].size(), 3u);
  std::set<std::string> interfaces;
  for (const json& c : r["cases"]) {
    SCOPED_TRACE(c["id"].get<std::string>());
    EXPECT_EQ(c["status"], "completed");
    const json& server = c["agents"]["server"]["platform"];
    EXPECT_EQ(server["release"], kernel_.second);  // the guest's kernel ...
    if (kernel_.second != u.release) {  // ... not this machine's
      EXPECT_NE(server["release"], std::string(u.release));
    }
    EXPECT_EQ(c["agents"]["client"]["platform"]["release"], std::string(u.release));
    EXPECT_EQ(c["capture"]["site"], "local");
    const int port = c["hosts"]["server"]["port"];
    EXPECT_GE(port, 20000);
    // The case's pcap holds its own connection (the capture filter is its
    // hosts and port, on its own bridge port): the SYN first, then more.
    EXPECT_GT(c["capture"]["packets"].get<int>(), 3);
    ASSERT_FALSE(c["packets"].empty());
    EXPECT_EQ(c["packets"][0]["flags"], "S");
    EXPECT_EQ(c["packets"][0]["dir"], "c2s");
    interfaces.insert(c["capture"]["interface"].get<std::string>());
  }
  EXPECT_EQ(interfaces.size(), 3u);  // one capture link per case
  // Case 04 ({on,0} on the client socket): RST at close(), the table's pass.
  EXPECT_EQ(r["cases"][1]["verdict"]["status"], "pass");
  EXPECT_EQ(r["cases"][1]["outcome"]["claims"]["abort_on_close"], true);
  for (const auto& e : fs::directory_iterator(out / "pcaps"))
    EXPECT_GT(fs::file_size(e.path()), 24u + 3 * 54u) << e.path();
}

TEST_F(QemuE2e, MissingKernelIsExit3) {
  const std::string run = RunId("qenk");
  std::string log;
  EXPECT_EQ(RunBinary({"run", "--target", "qemu", "--cases", "02", "--kernel", "/nonexistent",
                       "--out", (dir_ / "nk").string(), "--run-id", run},
                      &log),
            3)
      << log;
  EXPECT_NE(log.find("/nonexistent"), std::string::npos) << log;
  EXPECT_EQ(Join(Leftovers(run)), "");
}

TEST_F(QemuE2e, GuestThatCannotBootIsAClearErrorWithItsConsoleAndNothingIsLeft) {
  // The real kernel with an initramfs of junk: it cannot find an init, panics,
  // and qemu exits (-no-reboot, panic=-1).
  const std::string run = RunId("qebad");
  const fs::path junk = dir_ / "junk.img";
  std::ofstream(junk) << std::string(4096, 'x');
  std::string log;
  const int rc = RunBinary({"run", "--target", "qemu", "--cases", "02,04", "--time-scale", "0.05",
                            "--initramfs", junk.string(), "--out", (dir_ / "bad").string(),
                            "--run-id", run},
                           &log);
  EXPECT_NE(rc, 0) << log;
  EXPECT_NE(log.find("the qemu guest did not come up"), std::string::npos) << log;
  EXPECT_NE(log.find("the end of its serial console"), std::string::npos) << log;
  EXPECT_NE(log.find("Kernel panic"), std::string::npos) << log;
  EXPECT_EQ(Join(Leftovers(run)), "");
}

TEST_F(QemuE2e, UsersOwnInitramfsGetsTheAgentAndKeyAppended) {
  // The user's image holds busybox, the modules and an /init that starts
  // /lingerlab-agent with /key (doc/qemu.md), but neither file: the target
  // appends them, so a case that passes proves they arrived.
  CpioWriter w;
  for (const char* d : {"bin", "lib", "lib/modules"}) w.AddDirectory(d);
  w.AddFile("bin/busybox", ReadAll("/bin/busybox"), 0755);
  InitScriptOptions io;
  for (const std::string& m : QemuGuestModules()) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator("/lib/modules/" + kernel_.second, ec);
         !ec && it != fs::end(it); it.increment(ec))
      if (it->path().filename() == m + ".ko") {
        w.AddFile("lib/modules/" + m + ".ko", ReadAll(it->path()), 0644);
        io.modules.push_back(m + ".ko");
        break;
      }
  }
  w.AddFile("init", InitScript(io), 0755);
  const fs::path image = dir_ / "user.img";
  {
    std::ofstream out(image, std::ios::binary);
    out << w.Finish();
  }
  const std::string run = RunId("qeusr");
  const fs::path out = dir_ / "usr";
  std::string log;
  const int rc = RunBinary({"run", "--target", "qemu", "--cases", "04", "--time-scale", "0.05",
                            "--initramfs", image.string(), "--kernel", kernel_.first, "--out",
                            out.string(), "--run-id", run},
                           &log);
  EXPECT_EQ(rc, 0) << log;
  const json r = json::parse(ReadAll(out / "results.json"));
  EXPECT_EQ(r["cases"][0]["verdict"]["status"], "pass") << log;
  EXPECT_EQ(r["cases"][0]["agents"]["server"]["platform"]["release"], kernel_.second);
  EXPECT_EQ(Join(Leftovers(run)), "");
}

TEST_F(QemuE2e, InterruptedRunLeavesNothing) {
  const std::string run = RunId("qeint");
  const fs::path log = dir_ / "int.log";
  auto pid = SpawnBackground({LINGERLAB_BIN, "run", "--target", "qemu", "--cases", "01,05,16",
                              "--time-scale", "0.05", "--out", (dir_ / "int").string(),
                              "--run-id", run},
                             "", log.string());
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  // Mid-run: the guest is up and the cases (15 s idle each) are under way.
  WaitUntil([&] { return ReadAll(log).find("qemu guest up") != std::string::npos; }, 90 * kNsPerSec,
            200 * kNsPerMs);
  ASSERT_NE(ReadAll(log).find("qemu guest up"), std::string::npos) << ReadAll(log);
  SleepNs(2 * kNsPerSec);
  const std::optional<int> status = InterruptAndWait(*pid, 60 * kNsPerSec);
  ASSERT_TRUE(status) << "lingerlab did not end within 60 s of SIGINT\n" << ReadAll(log);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 130) << ReadAll(log);
  EXPECT_EQ(Join(Leftovers(run)), "") << ReadAll(log);
}

}  // namespace
}  // namespace lingerlab

// The end-to-end tests' support: programs run and started by pid, results
// documents read, leftovers found, and a missing tool skipped or failed.
// Runs /bin/sh snippets; the namespace check needs root (skipped without).
#include "suite/testing/e2e_support.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool Contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

TEST(RunProgramTest, CapturesStdoutStderrAndTheExitCode) {
  CommandResult r = RunProgram("/bin/sh", {"-c", "echo to-out; echo to-err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("to-out\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("to-err\n"), std::string::npos) << r.output;
  EXPECT_EQ(RunProgram("/bin/sh", {"-c", "exit 0"}).exit_code, 0);
  // Arguments reach the program as they are: no shell in between.
  r = RunProgram("/bin/sh", {"-c", "printf '%s|' \"$@\"", "sh", "a b", "$HOME", "*"});
  EXPECT_EQ(r.output, "a b|$HOME|*|");
}

TEST(RunProgramTest, ASignalOrAMissingProgramIsMinusOne) {
  EXPECT_EQ(RunProgram("/bin/sh", {"-c", "kill -TERM $$"}).exit_code, -1);
  CommandResult r = RunProgram("/nonexistent/program", {});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent/program"), std::string::npos) << r.output;
}

TEST(RunProgramTest, OverrunningTheTimeoutKillsItByPid) {
  const int64_t t0 = MonotonicNs();
  // exec: the shell becomes the sleep, so the pid it prints is the one killed.
  CommandResult r = RunProgram("/bin/sh", {"-c", "echo $$; exec sleep 30"}, 300 * kNsPerMs);
  const int64_t took = MonotonicNs() - t0;
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_LT(took, 10 * kNsPerSec);
  EXPECT_NE(r.output.find("killed after 300 ms"), std::string::npos) << r.output;
  const pid_t pid = static_cast<pid_t>(std::atol(r.output.c_str()));
  ASSERT_GT(pid, 0) << r.output;
  EXPECT_FALSE(ProcessAlive(pid));
}

class StartProgramTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshDir("ll-e2e-support"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(StartProgramTest, WritesItsOutputToTheLogInItsDirectory) {
  fs::create_directories(dir_ / "cwd");
  const fs::path log = dir_ / "log";
  std::ofstream(log) << "old text, truncated\n";
  const pid_t pid = StartProgram({"sh", "-c", "pwd; echo err >&2; exit 5"}, log, dir_ / "cwd");
  ASSERT_GT(pid, 0);
  EXPECT_EQ(WaitExit(pid), 5);
  EXPECT_EQ(ReadAll(log), (dir_ / "cwd").string() + "\nerr\n");
  // A directory it cannot enter, and a program that is not there.
  EXPECT_EQ(WaitExit(StartProgram({"true"}, "/dev/null", dir_ / "missing")), 126);
  EXPECT_EQ(WaitExit(StartProgram({"/nonexistent/program"})), 127);
  EXPECT_EQ(StartProgram({}), -1);
}

TEST_F(StartProgramTest, InterruptEndsAProgramThatHandlesCtrlC) {
  // The loop's sleeps are short: a SIGINT to the shell alone (by its pid)
  // leaves no sleep running long after it.
  const pid_t pid = StartProgram(
      {"sh", "-c", "trap 'exit 7' INT; echo up; while :; do sleep 0.05; done"}, dir_ / "log");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitUntil([&] { return ReadAll(dir_ / "log") == "up\n"; }, 10 * kNsPerSec));
  std::optional<int> status = InterruptAndWait(pid, 10 * kNsPerSec);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 7) << *status;
}

TEST_F(StartProgramTest, InterruptKillsAProgramThatIgnoresCtrlCWhenItsTimeIsUp) {
  const pid_t pid = StartProgram({"sh", "-c", "trap '' INT; echo up; while :; do sleep 0.05; done"},
                                 dir_ / "log");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitUntil([&] { return ReadAll(dir_ / "log") == "up\n"; }, 10 * kNsPerSec));
  const int64_t t0 = MonotonicNs();
  EXPECT_FALSE(InterruptAndWait(pid, 300 * kNsPerMs).has_value());
  EXPECT_GE(MonotonicNs() - t0, 300 * kNsPerMs);
  // Killed and reaped: gone, and no longer our child.
  EXPECT_FALSE(ProcessAlive(pid));
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
}

TEST(WaitTest, WaitWithinSeesAnExitAndTimesOutOnARunningProgram) {
  const pid_t quick = StartProgram({"sh", "-c", "exit 4"});
  std::optional<int> status = WaitWithin(quick, 10 * kNsPerSec);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(WEXITSTATUS(*status), 4);
  const pid_t slow = StartProgram({"sleep", "30"});
  EXPECT_FALSE(WaitWithin(slow, 200 * kNsPerMs).has_value());
  StopProcess(slow, 0);
  EXPECT_FALSE(ProcessAlive(slow));
}

TEST(WaitTest, WaitUntilPollsUntilTrueOrTheDeadline) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil([&] { return ++calls == 3; }, 10 * kNsPerSec, kNsPerMs));
  EXPECT_EQ(calls, 3);
  calls = 0;
  const int64_t t0 = MonotonicNs();
  EXPECT_FALSE(WaitUntil([&] { return ++calls < 0; }, 100 * kNsPerMs, 10 * kNsPerMs));
  EXPECT_GE(MonotonicNs() - t0, 100 * kNsPerMs);
  EXPECT_GE(calls, 2);
}

TEST(ResultsTest, FindCaseFindsByIdAndToleratesOddDocuments) {
  const json doc = {{"cases", {{{"id", "02"}, {"n", 1}}, 5, {{"x", 1}}, {{"id", "04"}, {"n", 2}}}}};
  ASSERT_NE(FindCase(doc, "04"), nullptr);
  EXPECT_EQ((*FindCase(doc, "04"))["n"], 2);
  EXPECT_EQ((*FindCase(doc, "02"))["n"], 1);
  EXPECT_EQ(FindCase(doc, "99"), nullptr);
  EXPECT_EQ(FindCase(doc, "0"), nullptr);
  EXPECT_EQ(FindCase(json::object(), "02"), nullptr);
  EXPECT_EQ(FindCase(json{{"cases", "none"}}, "02"), nullptr);
  EXPECT_EQ(FindCase(json::array(), "02"), nullptr);
}

TEST(ResultsTest, HasPacketMatchesDirectionAndFlag) {
  const json packets = json::array({{{"dir", "c2s"}, {"flags", "S"}},
                                    {{"dir", "s2c"}, {"flags", "SA"}},
                                    {{"dir", "s2c"}, {"flags", "FA"}},
                                    {{"dir", "c2s"}},
                                    7});
  EXPECT_TRUE(HasPacket(packets, "c2s", 'S'));
  EXPECT_TRUE(HasPacket(packets, "s2c", 'F'));
  EXPECT_TRUE(HasPacket(packets, "s2c", 'A'));
  EXPECT_FALSE(HasPacket(packets, "c2s", 'F'));
  EXPECT_FALSE(HasPacket(packets, "s2c", 'R'));
  EXPECT_FALSE(HasPacket(json::object(), "s2c", 'S'));
}

TEST(ResultsTest, ReadAllJoinAndRunId) {
  const fs::path dir = FreshDir("ll-e2e-support-read");
  std::ofstream(dir / "f", std::ios::binary) << std::string("a\0b\n", 4);
  EXPECT_EQ(ReadAll(dir / "f"), std::string("a\0b\n", 4));
  EXPECT_EQ(ReadAll(dir / "missing"), "");
  std::ofstream(dir / "ll-a1");
  fs::create_directories(dir / "ll-a2");
  std::vector<std::string> found = DirEntriesWithPrefix(dir.string(), "ll-a");
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, (std::vector<std::string>{"ll-a1", "ll-a2"}));
  EXPECT_EQ(DirEntriesWithPrefix(dir.string(), "ll-b"), std::vector<std::string>{});
  EXPECT_EQ(DirEntriesWithPrefix((dir / "missing").string(), ""), std::vector<std::string>{});
  fs::remove_all(dir);
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(Join({"a", "b"}), "a; b; ");
  EXPECT_EQ(Join({"a", "b"}, "\n"), "a\nb\n");
  EXPECT_EQ(Join({}), "");
  EXPECT_EQ(RunId("gvn"), "gvn" + std::to_string(::getpid() % 100000));
  EXPECT_LE(RunId("gvn").size(), 8u);
}

// Leftovers: a namespace made as `ip netns add` makes it is found by its
// prefix until it is deleted.
TEST(LeftoversTest, ANamespaceIsFoundUntilItIsRemoved) {
  if (SkipUnlessRoot("ip netns add")) return;
  const std::string prefix = "ll-" + RunId("sup") + "-";
  const std::string name = prefix + "x";
  ASSERT_EQ(Namespaces(prefix), std::vector<std::string>{});
  CommandResult add = RunCommand({"ip", "netns", "add", name});
  ASSERT_EQ(add.exit_code, 0) << add.output;
  EXPECT_EQ(Namespaces(prefix), std::vector<std::string>{name});
  EXPECT_EQ(Namespaces(prefix + "y"), std::vector<std::string>{});
  CommandResult del = RunCommand({"ip", "netns", "delete", name});
  EXPECT_EQ(del.exit_code, 0) << del.output;
  EXPECT_EQ(Namespaces(prefix), std::vector<std::string>{});
}

TEST(LeftoversTest, AProcessIsFoundByCommandLineAndExecutableUntilItEnds) {
  const std::string marker = "ll-e2e-support-" + std::to_string(::getpid());
  auto by_marker = [&](const std::string& cmdline) {
    return cmdline.find(marker) != std::string::npos;
  };
  EXPECT_EQ(PidsWhoseCmdline(by_marker), std::vector<pid_t>{});
  // sh -c SCRIPT NAME: NAME ($0) is the marker on the shell's command line.
  const pid_t pid = StartProgram({"sh", "-c", "while :; do sleep 0.05; done", marker});
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(WaitUntil([&] { return PidsWhoseCmdline(by_marker) == std::vector<pid_t>{pid}; },
                        10 * kNsPerSec));
  // The NUL bytes between arguments are there to match.
  EXPECT_TRUE(Contains(PidsWhoseCmdline([&](const std::string& c) {
                         return c.find(std::string("-c\0", 3)) != std::string::npos && by_marker(c);
                       }),
                       pid));
  const fs::path shell = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe");
  EXPECT_TRUE(Contains(PidsRunning(shell), pid)) << shell;
  EXPECT_FALSE(Contains(PidsRunning("/nonexistent/program"), pid));
  StopProcess(pid, 0);
  EXPECT_FALSE(Contains(PidsWhoseCmdline(by_marker), pid));
  EXPECT_FALSE(Contains(PidsRunning(shell), pid));
  // A child the shell forked for `sleep` carries the shell's command line
  // until it execs; one caught between fork and exec outlives the shell by
  // at most its sleep.
  EXPECT_TRUE(WaitUntil([&] { return PidsWhoseCmdline(by_marker).empty(); }, 5 * kNsPerSec));
}

// A missing tool: a skip with what is missing, a failure under
// LINGERLAB_REQUIRE_STACKS=1, nothing when nothing is missing.
TEST(PreconditionTest, SkipOrFailWithoutSkipsFailsOrDoesNothing) {
  ::testing::TestPartResultArray results;
  bool did_skip = false, did_fail = false, did_nothing = true;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    did_nothing = SkipOrFailWithout("", true);
    did_skip = SkipOrFailWithout("runsc (apt-get install runsc)", false);
    did_fail = SkipOrFailWithout("qemu", true);
  }
  EXPECT_FALSE(did_nothing);
  EXPECT_TRUE(did_skip);
  EXPECT_TRUE(did_fail);
  ASSERT_EQ(results.size(), 2);
  EXPECT_TRUE(results.GetTestPartResult(0).skipped());
  EXPECT_STREQ(results.GetTestPartResult(0).message(), "needs runsc (apt-get install runsc)");
  EXPECT_TRUE(results.GetTestPartResult(1).fatally_failed());
  const std::string failure = results.GetTestPartResult(1).message();
  EXPECT_NE(failure.find("LINGERLAB_REQUIRE_STACKS=1 but this test needs qemu"), std::string::npos)
      << failure;
}

TEST(PreconditionTest, StacksRequiredReadsTheEnvironment) {
  const char* was = std::getenv("LINGERLAB_REQUIRE_STACKS");
  const std::string saved = was ? was : "";
  ::setenv("LINGERLAB_REQUIRE_STACKS", "1", 1);
  EXPECT_TRUE(StacksRequired());
  ::setenv("LINGERLAB_REQUIRE_STACKS", "0", 1);
  EXPECT_FALSE(StacksRequired());
  ::unsetenv("LINGERLAB_REQUIRE_STACKS");
  EXPECT_FALSE(StacksRequired());
  if (was) ::setenv("LINGERLAB_REQUIRE_STACKS", saved.c_str(), 1);
}

}  // namespace
}  // namespace lingerlab

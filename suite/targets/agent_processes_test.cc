// AgentProcesses: what a lab records of its agents, and that nothing it
// started outlives Stop() or its destructor; that a stopped record starts
// nothing; that KillAll() reaches processes and sessions alike.
#include "suite/targets/agent_processes.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"
#include "suite/targets/process.h"

namespace lingerlab {
namespace {

// A process that never exits by itself (the control descriptor unused).
AgentProcesses::Spawner Sleeper() {
  return [](int) { return SpawnBackground({"sleep", "60"}, "", "/dev/null"); };
}

// True once `pid` was reaped (by someone else): no child of ours by that pid.
bool Reaped(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD; }

TEST(TargetAgentProcessesTest, StopKillsAndReapsAProcessThatDoesNotExit) {
  AgentProcesses agents;
  auto a = agents.Spawn(Sleeper());
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_GT(a->pid, 0);
  EXPECT_EQ(agents.pids(), std::vector<pid_t>{a->pid});
  EXPECT_TRUE(a->control.fd() >= 0);
  const int64_t t0 = MonotonicNs();
  EXPECT_TRUE(agents.Stop(50 * kNsPerMs).ok());
  EXPECT_LT(MonotonicNs() - t0, 5 * kNsPerSec);
  EXPECT_TRUE(agents.stopped());
  EXPECT_TRUE(agents.pids().empty());
  EXPECT_TRUE(Reaped(a->pid));
}

TEST(TargetAgentProcessesTest, AProcessThatExitsIsReapedWithoutWaitingTheGrace) {
  AgentProcesses agents;
  auto a = agents.Spawn([](int) { return SpawnBackground({"true"}, "", "/dev/null"); });
  ASSERT_TRUE(a.ok()) << a.error().message;
  const int64_t t0 = MonotonicNs();
  EXPECT_TRUE(agents.Stop(20 * kNsPerSec).ok());
  EXPECT_LT(MonotonicNs() - t0, 10 * kNsPerSec);
  EXPECT_TRUE(Reaped(a->pid));
}

// How an agent ended, for a stack fault (case_runner.cc): its wait status,
// reaped once and forgotten; nothing for a process still running.
TEST(TargetAgentProcessesTest, ReapGivesTheWaitStatusOfAnAgentThatDied) {
  AgentProcesses agents;
  auto sleeper = agents.Spawn(Sleeper());
  ASSERT_TRUE(sleeper.ok()) << sleeper.error().message;
  EXPECT_EQ(agents.Reap(sleeper->pid, 20 * kNsPerMs), std::nullopt);
  ::kill(sleeper->pid, SIGTERM);  // by pid: the process this test started
  auto status = agents.Reap(sleeper->pid, 5 * kNsPerSec);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(DescribeWaitStatus(*status), "killed by SIGTERM") << DescribeWaitStatus(*status);
  EXPECT_EQ(agents.pids(), std::vector<pid_t>{});
  EXPECT_EQ(agents.Reap(sleeper->pid, 0), std::nullopt);  // already reaped
  auto done = agents.Spawn([](int) { return SpawnBackground({"false"}, "", "/dev/null"); });
  ASSERT_TRUE(done.ok()) << done.error().message;
  status = agents.Reap(done->pid, 5 * kNsPerSec);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(DescribeWaitStatus(*status), "exited with status 1");
  EXPECT_TRUE(agents.Stop(0).ok());
}

TEST(TargetAgentProcessesTest, AfterStopNothingStartsAndNothingIsRecorded) {
  AgentProcesses agents;
  ASSERT_TRUE(agents.Stop(0).ok());
  bool called = false;
  auto a = agents.Spawn([&called](int) -> Result<pid_t> {
    called = true;
    return pid_t{1};
  });
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kCancelled);
  EXPECT_FALSE(called);
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  UniqueFd peer(fds[1]);
  auto w = agents.Watch(Channel(UniqueFd(fds[0])));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::kCancelled);
  // The refused channel was closed: its peer reads end of stream.
  char c;
  EXPECT_EQ(::recv(peer.get(), &c, 1, 0), 0);
}

TEST(TargetAgentProcessesTest, ASpawnersFailureIsReturnedAndRecordsNothing) {
  AgentProcesses agents;
  auto a = agents.Spawn(
      [](int) -> Result<pid_t> { return MakeError(ErrorCode::kNotFound, "no such agent"); });
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(a.error().message, "no such agent");
  EXPECT_TRUE(agents.pids().empty());
}

TEST(TargetAgentProcessesTest, StopRunsItsStepOnceAndReturnsItsStatus) {
  AgentProcesses agents;
  int runs = 0;
  auto then = [&runs] {
    ++runs;
    return Status(MakeError(ErrorCode::kFailed, "namespace busy"));
  };
  Status first = agents.Stop(0, then);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.message(), "namespace busy");
  EXPECT_TRUE(agents.Stop(0, then).ok());  // idempotent: nothing runs again
  EXPECT_EQ(runs, 1);
}

TEST(TargetAgentProcessesTest, KillAllKillsProcessesEndsSessionsAndRunsItsStep) {
  AgentProcesses agents;
  auto a = agents.Spawn(Sleeper());
  ASSERT_TRUE(a.ok()) << a.error().message;
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  UniqueFd agent_end(fds[1]);
  auto w = agents.Watch(Channel(UniqueFd(fds[0])));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->pid, -1);
  bool also = false;
  agents.KillAll([&also] { also = true; });
  EXPECT_TRUE(also);
  // Killed by SIGKILL (looked at without reaping: Stop() reaps).
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(a->pid), &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(info.si_code, CLD_KILLED);
  EXPECT_EQ(info.si_status, SIGKILL);
  // The session was shut down while its channel is still open here.
  char c;
  EXPECT_EQ(::recv(agent_end.get(), &c, 1, 0), 0);
  EXPECT_FALSE(agents.stopped());
  EXPECT_TRUE(agents.Stop(0).ok());
  EXPECT_TRUE(Reaped(a->pid));
}

TEST(TargetAgentProcessesTest, DestructorStopsWhatWasNeverStopped) {
  pid_t pid = -1;
  {
    AgentProcesses agents;
    auto a = agents.Spawn(Sleeper());
    ASSERT_TRUE(a.ok()) << a.error().message;
    pid = a->pid;
  }
  EXPECT_TRUE(Reaped(pid));
}

}  // namespace
}  // namespace lingerlab

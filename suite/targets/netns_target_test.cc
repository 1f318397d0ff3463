// The netns target on this machine: namespaces and links are created, agents
// run inside them and can talk across the veth, and everything is gone after
// teardown. Needs root; skips otherwise.
#include "suite/targets/netns_target.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <random>

#include "agents/platform/stream_io.h"
#include "agents/protocol/channel.h"
#include "agents/protocol/protocol.h"
#include "suite/targets/process.h"
#include "suite/targets/sweep_test_lock.h"

#ifndef LINGERLAB_AGENT_PATH
#error "LINGERLAB_AGENT_PATH must point at the built agent"
#endif

namespace lingerlab {
namespace {

using nlohmann::json;

bool NsExists(const std::string& name) {
  struct stat st {};
  return ::stat(("/run/netns/" + name).c_str(), &st) == 0;
}

std::string RandomRunId() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "t%07x", rd() & 0xfffffff);
  return buf;
}

class NetnsTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN)";
    auto t = MakeTarget("netns", TargetConfig::For(LINGERLAB_AGENT_PATH, RandomRunId()));
    ASSERT_TRUE(t.ok());
    target_ = std::move(*t);
    Status s = target_->CheckUsable();
    ASSERT_TRUE(s.ok()) << s.message();
  }
  // Handshake plus one request over a fresh agent's channel.
  json Ask(Channel& ch, const std::string& op, const json& args) {
    EXPECT_TRUE(ch.Send({{"type", "request"}, {"id", ++id_}, {"op", op}, {"args", args}}).ok());
    auto r = ch.Receive(5 * kNsPerSec);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : json();
  }
  std::unique_ptr<Target> target_;
  int id_ = 0;
};

TEST_F(NetnsTargetTest, AgentsInTwoNamespacesConnectOverTheVethAndTeardownRemovesAll) {
  auto lab = target_->Provision("07", 7);
  ASSERT_TRUE(lab.ok()) << lab.error().message;
  const HostInfo server = (*lab)->host(Role::kServer);
  const HostInfo client = (*lab)->host(Role::kClient);
  EXPECT_TRUE(NsExists(server.netns));
  EXPECT_TRUE(NsExists(client.netns));
  EXPECT_EQ(server.address, "198.18.0.29");
  EXPECT_EQ(client.address, "198.18.0.30");

  auto sa = (*lab)->StartAgent(Role::kServer);
  auto ca = (*lab)->StartAgent(Role::kClient);
  ASSERT_TRUE(sa.ok() && ca.ok());
  Channel& sch = sa->control;
  Channel& cch = ca->control;
  for (Channel* ch : {&sch, &cch}) {
    ASSERT_TRUE(ch->Send({{"type", "hello"}, {"protocol", protocol::kVersion}}).ok());
    auto h = ch->Receive(5 * kNsPerSec);
    ASSERT_TRUE(h.ok()) << h.error().message;
  }
  Ask(sch, "socket", {{"handle", "l"}});
  json b = Ask(sch, "bind", {{"handle", "l"}, {"address", server.address}, {"port", 5001}});
  ASSERT_EQ(b["event"]["ret"], 0) << b.dump();
  Ask(sch, "listen", {{"handle", "l"}});
  Ask(cch, "socket", {{"handle", "s"}});
  json c = Ask(cch, "connect", {{"handle", "s"}, {"address", server.address}, {"port", 5001}});
  EXPECT_EQ(c["event"]["ret"], 0) << c.dump();
  EXPECT_EQ(c["event"]["local"].get<std::string>().rfind(client.address + ":", 0), 0u);
  // The client namespace cannot see the server's address any other way: it
  // is only reachable over this case's link.

  Status s = (*lab)->Teardown(kNsPerSec);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(NsExists(server.netns));
  EXPECT_FALSE(NsExists(client.netns));
  EXPECT_FALSE(ProcessAlive(sa->pid));
  EXPECT_FALSE(ProcessAlive(ca->pid));
}

// --ip 6: the same lab with ULA addresses, usable at once (nodad), and
// inet6 sockets connected across the veth; the capture filter's address
// syntax is libpcap's for both versions.
TEST_F(NetnsTargetTest, Ipv6LabConnectsInet6SocketsOverTheVeth) {
  TargetConfig config = TargetConfig::For(LINGERLAB_AGENT_PATH, RandomRunId());
  config.ip = 6;
  auto t = MakeTarget("netns", config);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->CheckUsable().ok());
  EXPECT_EQ((*t)->IpVersion(), 6);
  auto lab = (*t)->Provision("09", 9);
  ASSERT_TRUE(lab.ok()) << lab.error().message;
  const HostInfo server = (*lab)->host(Role::kServer);
  const HostInfo client = (*lab)->host(Role::kClient);
  EXPECT_EQ(server.address, "fd00:198:18:9::1");
  EXPECT_EQ(client.address, "fd00:198:18:9::2");
  EXPECT_EQ(server.family, "inet6");
  EXPECT_EQ(client.family, "inet6");
  // Not tentative: duplicate address detection would hold the address back
  // (the link-local address, unused by the cases, may still be).
  CommandResult addr = RunCommand({"ip", "-n", server.netns, "-6", "addr", "show", "dev", "eth0"});
  const size_t at = addr.output.find("fd00:198:18:9::1/64");
  ASSERT_NE(at, std::string::npos) << addr.output;
  const std::string line = addr.output.substr(at, addr.output.find('\n', at) - at);
  EXPECT_NE(line.find("nodad"), std::string::npos) << line;
  EXPECT_EQ(line.find("tentative"), std::string::npos) << line;

  auto sa = (*lab)->StartAgent(Role::kServer);
  auto ca = (*lab)->StartAgent(Role::kClient);
  ASSERT_TRUE(sa.ok() && ca.ok());
  for (Channel* ch : {&sa->control, &ca->control}) {
    ASSERT_TRUE(ch->Send({{"type", "hello"}, {"protocol", protocol::kVersion}}).ok());
    ASSERT_TRUE(ch->Receive(5 * kNsPerSec).ok());
  }
  Ask(sa->control, "socket", {{"handle", "l"}, {"family", server.family}});
  json b = Ask(sa->control, "bind", {{"handle", "l"}, {"address", server.address}, {"port", 5001}});
  ASSERT_EQ(b["event"]["ret"], 0) << b.dump();
  Ask(sa->control, "listen", {{"handle", "l"}});
  Ask(ca->control, "socket", {{"handle", "s"}, {"family", client.family}});
  json c =
      Ask(ca->control, "connect", {{"handle", "s"}, {"address", server.address}, {"port", 5001}});
  EXPECT_EQ(c["event"]["ret"], 0) << c.dump();
  EXPECT_EQ(c["event"]["local"].get<std::string>().rfind("[" + client.address + "]:", 0), 0u)
      << c.dump();
  EXPECT_TRUE((*lab)->Teardown(kNsPerSec).ok());
  EXPECT_FALSE(NsExists(server.netns));
  EXPECT_FALSE(NsExists(client.netns));
}

TEST_F(NetnsTargetTest, DestroyingALabWithoutTeardownStillCleansUp) {
  std::string s_ns, c_ns;
  pid_t pid;
  {
    auto lab = target_->Provision("08", 8);
    ASSERT_TRUE(lab.ok()) << lab.error().message;
    s_ns = (*lab)->host(Role::kServer).netns;
    c_ns = (*lab)->host(Role::kClient).netns;
    auto a = (*lab)->StartAgent(Role::kServer);
    ASSERT_TRUE(a.ok());
    pid = a->pid;
  }
  EXPECT_FALSE(NsExists(s_ns));
  EXPECT_FALSE(NsExists(c_ns));
  EXPECT_FALSE(ProcessAlive(pid));
}

TEST_F(NetnsTargetTest, SweepRemovesADeadRunsLeftoversButNotALiveRuns) {
  SweepTestLock one_sweeping_test_at_a_time;
  // A "dead run": its lock file exists but nobody holds it (the run was
  // killed), a namespace named like ours, an agent inside.
  const std::string dead_run = RandomRunId();
  const std::string dead = "ll-" + dead_run + "-01-s";
  ::mkdir(kRunLockDir, 0755);
  ::close(::open((std::string(kRunLockDir) + "/" + dead_run + ".lock").c_str(), O_CREAT | O_RDWR,
                 0644));
  ASSERT_TRUE(RunChecked({"ip", "netns", "add", dead}).ok());
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  auto pid = SpawnAgent(LINGERLAB_AGENT_PATH, "/run/netns/" + dead, fds[1]);
  ASSERT_TRUE(pid.ok());
  ::close(fds[1]);
  // A live run's lab, which must survive the sweep.
  auto live = target_->Provision("09", 9);
  ASSERT_TRUE(live.ok());

  auto other = MakeTarget("netns", TargetConfig::For(LINGERLAB_AGENT_PATH, RandomRunId()));
  auto removed = (*other)->SweepStale();
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_FALSE(NsExists(dead));
  EXPECT_TRUE(NsExists((*live)->host(Role::kServer).netns));
  bool listed = false;
  for (auto& line : *removed) listed |= line.find(dead) != std::string::npos;
  EXPECT_TRUE(listed);
  StopProcess(*pid, kNsPerSec);  // reap our child (already killed by the sweep)
  ::close(fds[0]);
  EXPECT_TRUE((*live)->Teardown(kNsPerSec).ok());
}

// A lock file for a made-up run, and its path.
std::string FreshRunLockFile(const std::string& run) {
  ::mkdir(kRunLockDir, 0755);
  const std::string path = RunLockPath(run);
  ::close(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644));
  return path;
}

// Forks a process that takes the flock on `path`; with `linger_child_ms`
// > 0 it forks a child that inherits the locked descriptor, sleeps that
// long and exits, and then exits itself at once: a run SIGKILLed while it
// was spawning an agent. Returns the locker's pid once the lock is held
// (and the child is up).
pid_t ForkLocker(const std::string& path, int linger_child_ms) {
  int ready[2];
  if (::pipe(ready) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) _exit(1);
    if (linger_child_ms > 0) {
      if (::fork() == 0) {
        (void)!::write(ready[1], "x", 1);
        ::usleep(static_cast<useconds_t>(linger_child_ms) * 1000);
        _exit(0);
      }
      _exit(0);
    }
    (void)!::write(ready[1], "x", 1);
    ::pause();
    _exit(0);
  }
  ::close(ready[1]);
  char byte;
  const bool up = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  return up ? pid : -1;
}

TEST(DeadRunLockTest, ALiveRunsLockIsRefusedAtOnce) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (" << kRunLockDir << ")";
  const std::string run = RandomRunId();
  const std::string path = FreshRunLockFile(run);
  const pid_t locker = ForkLocker(path, 0);
  ASSERT_GT(locker, 0);
  const int64_t t0 = MonotonicNs();
  EXPECT_FALSE(LockDeadRun(run).valid());
  EXPECT_LT(MonotonicNs() - t0, kDeadRunChildrenWaitNs / 2) << "waited on a live run";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(FlockHolder(fd.get()), locker);
  ::kill(locker, SIGKILL);
  ::waitpid(locker, nullptr, 0);
  EXPECT_TRUE(LockDeadRun(run).valid()) << "the locker is dead and held nothing else";
  ::unlink(path.c_str());
}

TEST(DeadRunLockTest, ADeadRunsLockHeldOnlyByAChildBetweenForkAndExecIsWaitedFor) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (" << kRunLockDir << ")";
  const std::string run = RandomRunId();
  const std::string path = FreshRunLockFile(run);
  const pid_t locker = ForkLocker(path, 300);
  ASSERT_GT(locker, 0);
  ::waitpid(locker, nullptr, 0);  // the run is dead; its child still holds the lock
  UniqueFd probe(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_NE(::flock(probe.get(), LOCK_EX | LOCK_NB), 0) << "the child should hold the lock";
  EXPECT_EQ(FlockHolder(probe.get()), locker);
  EXPECT_TRUE(LockDeadRun(run).valid()) << "a killed run was taken for a live one";
  ::unlink(path.c_str());
}

TEST_F(NetnsTargetTest, SweepNeverTouchesNamespacesItDidNotCreate) {
  SweepTestLock one_sweeping_test_at_a_time;
  // One named like ours but with no lock file, one not named like ours; a
  // process inside each. Neither may be removed, nor its process killed.
  const std::vector<std::string> foreign = {"ll-" + RandomRunId() + "-01-s", "ll-foreign"};
  std::vector<pid_t> pids;
  std::vector<int> fds_to_close;
  for (const std::string& ns : foreign) {
    ASSERT_TRUE(RunChecked({"ip", "netns", "add", ns}).ok());
    int fds[2];
    ASSERT_TRUE(MakeStreamPair(fds).ok());
    auto pid = SpawnAgent(LINGERLAB_AGENT_PATH, "/run/netns/" + ns, fds[1]);
    ASSERT_TRUE(pid.ok());
    ::close(fds[1]);
    fds_to_close.push_back(fds[0]);
    pids.push_back(*pid);
  }
  auto removed = target_->SweepStale();
  ASSERT_TRUE(removed.ok());
  for (size_t i = 0; i < foreign.size(); ++i) {
    EXPECT_TRUE(NsExists(foreign[i])) << foreign[i];
    EXPECT_TRUE(ProcessAlive(pids[i])) << foreign[i];
    for (const std::string& line : *removed) EXPECT_EQ(line.find(foreign[i]), std::string::npos);
  }
  for (size_t i = 0; i < foreign.size(); ++i) {
    ::close(fds_to_close[i]);  // the agent exits when its channel closes
    StopProcess(pids[i], kNsPerSec);
    EXPECT_TRUE(RunChecked({"ip", "netns", "delete", foreign[i]}).ok());
  }
}

TEST(SpawnAgentTest, AgentsDoNotInheritTheCoordinatorsBlockedSignals) {
  // The coordinator blocks SIGINT/SIGTERM/SIGHUP in every thread (its signal
  // watcher); its children must not keep that mask across exec.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  int fds[2];
  ASSERT_TRUE(MakeStreamPair(fds).ok());
  auto pid = SpawnAgent(LINGERLAB_AGENT_PATH, "", fds[1]);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(pid.ok());
  ::close(fds[1]);
  std::string blocked;
  for (int i = 0; i < 100 && blocked.empty(); ++i) {  // until exec has happened
    std::ifstream st("/proc/" + std::to_string(*pid) + "/status");
    std::string line, name;
    while (std::getline(st, line)) {
      if (line.rfind("Name:", 0) == 0) name = line;
      if (line.rfind("SigBlk:", 0) == 0 && name.find("lingerlab-agen") != std::string::npos)
        blocked = line.substr(7);
    }
    if (blocked.empty()) SleepNs(10 * kNsPerMs);
  }
  EXPECT_EQ(blocked.find_first_not_of("\t 0"), std::string::npos) << "SigBlk:" << blocked;
  EXPECT_EQ(::getpgid(*pid), *pid);  // its own process group
  ::kill(*pid, SIGTERM);
  EXPECT_TRUE(StopProcess(*pid, 2 * kNsPerSec)) << "SIGTERM did not end the agent";
  ::close(fds[0]);
}

TEST(RunCommandTest, ReportsOutputExitCodeAndKillsACommandThatOverruns) {
  CommandResult ok = RunCommand({"sh", "-c", "echo hi; echo err >&2; exit 3"});
  EXPECT_EQ(ok.exit_code, 3);
  EXPECT_NE(ok.output.find("hi"), std::string::npos);
  EXPECT_NE(ok.output.find("err"), std::string::npos);
  const int64_t t0 = MonotonicNs();
  CommandResult slow = RunCommand({"sleep", "30"}, 200 * kNsPerMs);
  EXPECT_LT(MonotonicNs() - t0, 5 * kNsPerSec);
  EXPECT_EQ(slow.exit_code, -1);
  EXPECT_NE(slow.output.find("killed after 200 ms"), std::string::npos) << slow.output;
  EXPECT_EQ(RunCommand({"no-such-command-lingerlab"}).exit_code, 127);
}

TEST(AddressesTest, SlotsAreDisjointSlash30sInsideTheBenchmarkRange) {
  auto a0 = AddressesForIndex(0), a1 = AddressesForIndex(1), last = AddressesForIndex(32767);
  ASSERT_TRUE(a0.ok() && a1.ok() && last.ok());
  EXPECT_EQ(a0->server, "198.18.0.1");
  EXPECT_EQ(a0->client, "198.18.0.2");
  EXPECT_EQ(a1->server, "198.18.0.5");
  EXPECT_EQ(last->client, "198.19.255.254");
  EXPECT_FALSE(AddressesForIndex(32768).ok());
  EXPECT_FALSE(AddressesForIndex(-1).ok());
}

TEST(AddressesTest, Ipv6SlotsAreSlash64sInsideTheUlaPrefixWithTheSameNumbers) {
  auto a0 = AddressesForIndex(0, 6), a1 = AddressesForIndex(1, 6),
       last = AddressesForIndex(32767, 6);
  ASSERT_TRUE(a0.ok() && a1.ok() && last.ok());
  EXPECT_EQ(a0->server, "fd00:198:18::1");
  EXPECT_EQ(a0->client, "fd00:198:18::2");
  EXPECT_EQ(a1->server, "fd00:198:18:1::1");
  EXPECT_EQ(last->client, "fd00:198:18:7fff::2");
  EXPECT_EQ(a0->prefix_len, 64);
  EXPECT_EQ(a0->family, "inet6");
  EXPECT_EQ(AddressesForIndex(0, 4)->family, "inet");
  EXPECT_FALSE(AddressesForIndex(32768, 6).ok());
  EXPECT_FALSE(AddressesForIndex(-1, 6).ok());
  auto five = AddressesForIndex(0, 5);
  ASSERT_FALSE(five.ok());
  EXPECT_NE(five.error().message.find("4 or 6"), std::string::npos);
}

TEST(TargetRegistryTest, UnknownTargetListsTheKnownOnes) {
  auto t = MakeTarget("qemu-on-mars", TargetConfig{});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("netns"), std::string::npos);
}

}  // namespace
}  // namespace lingerlab

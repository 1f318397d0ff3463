// The namespace-pair lab with a stack of the test's own: when each of a
// stack's steps runs (Prepare with both namespaces there, Kill after the
// lab's SIGKILLs, Remove after the agents stopped and before the
// namespaces go), that a failed Prepare leaves nothing, and that the
// target's destruction removes the stack's leftovers before the run's
// namespaces and lock. Needs root; skips otherwise.
#include "suite/targets/pair_lab.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "suite/targets/netlink.h"
#include "suite/targets/process.h"

#ifndef LINGERLAB_AGENT_PATH
#error "LINGERLAB_AGENT_PATH must point at the built agent"
#endif

namespace lingerlab {
namespace {

std::string RandomRunId() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof(buf), "p%07x", rd() & 0xfffffff);
  return buf;
}

// What the stack saw, in order.
struct Log {
  std::vector<std::string> steps;
  pid_t server_pid = -1;
  bool fail_prepare = false;
};

class FakeServer final : public PairServer {
 public:
  FakeServer(Log* log, LabHosts hosts) : log_(log), hosts_(std::move(hosts)) {}
  Status Prepare() override {
    log_->steps.push_back(std::string("prepare") + Namespaces());
    if (log_->fail_prepare) return MakeError(ErrorCode::kFailed, "no tap here");
    return Status::Ok();
  }
  Result<pid_t> Spawn(int control_fd) override {
    log_->steps.push_back("spawn");
    auto pid = SpawnAgent(LINGERLAB_AGENT_PATH, hosts_.server.netns_path, control_fd);
    if (pid.ok()) log_->server_pid = *pid;
    return pid;
  }
  void Kill() override { log_->steps.push_back("kill"); }
  Status Remove() override {
    const bool agent_gone = log_->server_pid < 0 || !ProcessAlive(log_->server_pid);
    log_->steps.push_back(std::string("remove") + Namespaces() +
                          (agent_gone ? " agent-gone" : " agent-alive"));
    return Status::Ok();
  }
  bool OrphansOutliveAgent() const override { return true; }

 private:
  std::string Namespaces() const {
    return NamespaceExists(hosts_.server.netns) && NamespaceExists(hosts_.client.netns)
               ? " namespaces-there"
               : " namespaces-gone";
  }
  Log* log_;
  LabHosts hosts_;
};

class FakeStack final : public PairStack {
 public:
  FakeStack(Log* log, Status usable) : log_(log), usable_(std::move(usable)) {}
  std::string Name() const override { return "fake"; }
  std::string Stack() const override { return "fake-stack"; }
  Status CheckUsable() override { return usable_; }
  std::unique_ptr<PairServer> NewServer(const LabHosts& hosts,
                                        const std::string& case_name) override {
    log_->steps.push_back("new " + case_name);
    return std::make_unique<FakeServer>(log_, hosts);
  }
  void RemoveRunLeftovers(const std::string& run) override {
    log_->steps.push_back("leftovers " + run + (NamespaceExists(probe) ? " ns-there" : ""));
  }
  std::string probe;  // a namespace whose presence RemoveRunLeftovers notes

 private:
  Log* log_;
  Status usable_;
};

class PairTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (namespaces)";
    run_ = RandomRunId();
    TargetConfig config = TargetConfig::For(LINGERLAB_AGENT_PATH, run_);
    config.ip = 6;  // the fake stack serves IPv4 only
    auto stack = std::make_unique<FakeStack>(&log_, Status::Ok());
    stack_ = stack.get();
    target_ = MakePairTarget(config, std::move(stack));
    Status s = target_->CheckUsable();
    ASSERT_TRUE(s.ok()) << s.message();
  }
  std::string run_;
  Log log_;
  FakeStack* stack_ = nullptr;
  std::unique_ptr<Target> target_;
};

TEST_F(PairTargetTest, StackStepsRunInOrderAroundTheSharedLab) {
  EXPECT_EQ(target_->Name(), "fake");
  EXPECT_EQ(target_->Stack(), "fake-stack");
  EXPECT_EQ(target_->IpVersion(), 4);
  auto lab = target_->Provision("05", 5);
  ASSERT_TRUE(lab.ok()) << lab.error().message;
  const HostInfo server = (*lab)->host(Role::kServer);
  const HostInfo client = (*lab)->host(Role::kClient);
  EXPECT_EQ(server.family, "inet");
  EXPECT_EQ(server.address, "198.18.0.21");
  EXPECT_TRUE((*lab)->OrphansOutliveAgent());
  auto sa = (*lab)->StartAgent(Role::kServer);
  ASSERT_TRUE(sa.ok()) << sa.error().message;
  EXPECT_EQ(sa->pid, log_.server_pid);
  auto ca = (*lab)->StartAgent(Role::kClient);
  ASSERT_TRUE(ca.ok()) << ca.error().message;
  EXPECT_NE(ca->pid, sa->pid);
  (*lab)->KillAgents();
  Status s = (*lab)->Teardown(kNsPerSec);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(log_.steps,
            (std::vector<std::string>{"new ll-" + run_ + "-05", "prepare namespaces-there", "spawn",
                                      "kill", "remove namespaces-there agent-gone"}));
  EXPECT_FALSE(NamespaceExists(server.netns));
  EXPECT_FALSE(NamespaceExists(client.netns));
  EXPECT_FALSE(ProcessAlive(ca->pid));
  // Torn down once: nothing starts, nothing is removed twice.
  auto again = (*lab)->StartAgent(Role::kClient);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kCancelled);
  EXPECT_TRUE((*lab)->Teardown(0).ok());
  EXPECT_EQ(log_.steps.size(), 5u);
}

TEST_F(PairTargetTest, AFailedPrepareNamesTheCaseAndLeavesNothing) {
  log_.fail_prepare = true;
  auto lab = target_->Provision("09", 9);
  ASSERT_FALSE(lab.ok());
  EXPECT_EQ(lab.error().message, "provisioning case 09 (fake): no tap here");
  EXPECT_FALSE(NamespaceExists("ll-" + run_ + "-09-s"));
  EXPECT_FALSE(NamespaceExists("ll-" + run_ + "-09-c"));
  // The half-made lab's teardown still gave the stack its Remove().
  ASSERT_EQ(log_.steps.size(), 3u);
  EXPECT_EQ(log_.steps[2], "remove namespaces-there agent-gone");
}

TEST_F(PairTargetTest, DestructionRemovesTheStacksLeftoversThenNamespacesThenTheLock) {
  const std::string left = "ll-" + run_ + "-11-s";
  ASSERT_TRUE(CreateNetns(left).ok());
  stack_->probe = left;
  target_.reset();
  EXPECT_EQ(log_.steps, std::vector<std::string>{"leftovers " + run_ + " ns-there"});
  EXPECT_FALSE(NamespaceExists(left));
  EXPECT_NE(::access(RunLockPath(run_).c_str(), F_OK), 0);
}

TEST(PairTargetCheckTest, TheStacksOwnCheckComesFirst) {
  Log log;
  auto target = MakePairTarget(
      TargetConfig::For("/nonexistent/agent", "pchk1"),
      std::make_unique<FakeStack>(&log, MakeError(ErrorCode::kNotFound, "install fake")));
  Status s = target->CheckUsable();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.message(), "install fake");
}

}  // namespace
}  // namespace lingerlab

// The gvisor target end to end: real cases run with the server's agent in a
// runsc sandbox on gVisor's netstack (doc/gvisor.md), and nothing of a run
// -- network namespaces, sandboxes in the private runsc state root, runsc
// processes, bundle directories -- is left after a normal run, a failed run,
// an interrupted run (SIGINT to lingerlab), or, once `lingerlab clean
// --target gvisor` has swept, a run that was killed outright.
//
// Needs root and runsc. Without runsc it skips, unless LINGERLAB_REQUIRE_STACKS=1
// (CI): then a missing stack is a failure, not a skip.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "agents/base/clock.h"
#include "suite/capture/pcap_file.h"
#include "suite/coordinator/results_writer.h"
#include "suite/coordinator/run.h"
#include "suite/matrix/matrix.h"
#include "suite/targets/gvisor_target.h"
#include "suite/targets/process.h"
#include "suite/testing/e2e_support.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> WithPrefix(const std::vector<std::string>& names,
                                    const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& n : names)
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  return out;
}

// What a run named `run` has on this machine: namespaces, sandboxes in our
// runsc state root, bundle directories, and processes whose command line
// names one of its sandboxes (runsc run, its gofer and sandbox).
struct Leftovers {
  std::vector<std::string> namespaces, sandboxes, bundles, processes;
  bool empty() const {
    return namespaces.empty() && sandboxes.empty() && bundles.empty() && processes.empty();
  }
  std::string Describe() const {
    std::string s;
    for (auto* v : {&namespaces, &sandboxes, &bundles, &processes}) s += Join(*v, " ");
    return s;
  }
};

Leftovers LeftoversOf(const std::string& run) {
  const std::string prefix = "ll-" + run + "-";
  Leftovers l;
  l.namespaces = Namespaces(prefix);
  // runsc's JSON listing, read here independently of the target's own
  // parser of `list -quiet`, so a broken parser cannot hide a sandbox.
  CommandResult list = RunCommand(RunscArgv(FindExecutable("runsc"), {"list", "-format", "json"}));
  std::vector<std::string> ids;
  const json listed = json::parse(list.output, nullptr, false);
  if (listed.is_discarded()) ids.push_back("(runsc list unreadable: " + list.output + ")");
  if (listed.is_array())
    for (const json& c : listed)
      if (c.contains("id") && c["id"].is_string()) ids.push_back(c["id"].get<std::string>());
  l.sandboxes = WithPrefix(ids, prefix);
  if (listed.is_discarded()) l.sandboxes.push_back(ids.front());
  l.bundles = DirEntriesWithPrefix(kGvisorBundleDir, prefix);
  for (pid_t pid : PidsWhoseCmdline([&](const std::string& cmd) {
         return cmd.find("runsc") != std::string::npos && cmd.find(prefix) != std::string::npos;
       }))
    l.processes.push_back("pid " + std::to_string(pid));
  return l;
}

class GvisorEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (SkipUnlessRoot("network namespaces, runsc", StacksRequired())) return;
    if (SkipOrFailWithout(FindExecutable("runsc").empty() ? "runsc (apt-get install runsc)" : "",
                          StacksRequired()))
      return;
    out_ = FreshDir("ll-gv-e2e");
  }
  void TearDown() override { fs::remove_all(out_); }

  // Starts `lingerlab ARGS` in the background, its output dropped; returns its pid.
  static pid_t Start(std::vector<std::string> args) {
    args.insert(args.begin(), LINGERLAB_BIN);
    return StartProgram(args);
  }

  // Waits until `run` has `n` sandboxes (its cases are running).
  static bool WaitForSandboxes(const std::string& run, size_t n) {
    return WaitUntil([&] { return LeftoversOf(run).sandboxes.size() >= n; }, 20 * kNsPerSec);
  }

  fs::path out_;
};

TEST_F(GvisorEndToEndTest, CasesRunOnNetstackWithLocalCaptureAndLeaveNothing) {
  const std::string run = RunId("gvn");
  std::string out;
  const int rc = RunBinary({"run", "--target", "gvisor", "--cases", "02,04", "--time-scale", "0.05",
                            "--run-id", run, "--out", out_.string()},
                           &out);
  EXPECT_EQ(rc, 0) << out;
  Leftovers left = LeftoversOf(run);
  EXPECT_TRUE(left.empty()) << "left behind: " << left.Describe();

  auto doc = ReadJsonFile((out_ / "results.json").string());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  const json& env = (*doc)["environment"];
  EXPECT_EQ(env["target"], "gvisor");
  EXPECT_EQ(env["stack"], "gvisor");
  // The server agent ran in the sandbox (gVisor reports its own uname and
  // the bundle's hostname); the client on this machine's kernel.
  EXPECT_EQ(env["agents"]["server"]["platform"]["hostname"], "lingerlab-gvisor");
  EXPECT_NE(env["agents"]["client"]["platform"]["hostname"], "lingerlab-gvisor");
  EXPECT_EQ(env["agents"]["client"]["platform"]["release"], env["host"]["release"]);
  ASSERT_EQ((*doc)["cases"].size(), 2u);
  for (const json& c : (*doc)["cases"]) {
    SCOPED_TRACE("case " + c["id"].get<std::string>());
    EXPECT_EQ(c["status"], "completed") << c["error"];
    ASSERT_TRUE(c["verdict"].is_object());
    EXPECT_FALSE(c["verdict"]["status"].get<std::string>().empty());
    EXPECT_EQ(c["capture"]["site"], "local");
    EXPECT_EQ(c["capture"]["netns"], c["hosts"]["server"]["netns"]);
    // The capture on the server namespace's veth sees netstack's frames.
    const fs::path pcap = out_ / c["capture"]["pcap"].get<std::string>();
    ASSERT_TRUE(fs::exists(pcap));
    EXPECT_GT(fs::file_size(pcap), 24u);
    auto pk = ReadPcapFile(pcap.string());
    ASSERT_TRUE(pk.ok()) << pk.error().message;
    EXPECT_EQ(pk->size(), c["packets"].size());
    EXPECT_TRUE(HasPacket(c["packets"], "c2s", 'S'));
    EXPECT_TRUE(HasPacket(c["packets"], "s2c", 'S'));
    for (const char* role : {"server", "client"}) {
      if (c["agents"][role].is_object()) {
        EXPECT_FALSE(ProcessAlive(c["agents"][role]["pid"].get<pid_t>())) << role;
      }
    }
  }
  // 02 (no linger): netstack ends with a FIN; 04 ({on,0} on the connected
  // socket): with a RST.
  const json* c02 = FindCase(*doc, "02");
  const json* c04 = FindCase(*doc, "04");
  ASSERT_TRUE(c02 && c04);
  EXPECT_TRUE(HasPacket((*c02)["packets"], "s2c", 'F'));
  EXPECT_FALSE(HasPacket((*c02)["packets"], "s2c", 'R'));
  EXPECT_TRUE(HasPacket((*c04)["packets"], "s2c", 'R'));
}

TEST_F(GvisorEndToEndTest, FailedRunsLeaveNothing) {
  struct Failure {
    std::vector<std::string> args;
    std::string reason;
  };
  const std::vector<Failure> failures = {
      // /bin/false as the agent: the sandbox starts and its process exits at once.
      {{"--agent", "/bin/false", "--run-id", RunId("gfa")}, "handshake"},
      {{"--case-timeout", "1", "--run-id", RunId("gfb")}, "case deadline"},
  };
  for (const Failure& f : failures) {
    SCOPED_TRACE(f.reason);
    std::vector<std::string> args = {"run",         "--target",     "gvisor", "--cases",
                                     "02,13",       "--time-scale", "0.05",   "--out",
                                     out_.string(), "--overwrite"};
    args.insert(args.end(), f.args.begin(), f.args.end());
    std::string output;
    EXPECT_EQ(RunBinary(args, &output), 4) << output;
    auto doc = ReadJsonFile((out_ / "results.json").string());
    ASSERT_TRUE(doc.ok());
    for (const json& c : (*doc)["cases"]) {
      EXPECT_EQ(c["status"], "error");
      EXPECT_NE(c["error"].get<std::string>().find(f.reason), std::string::npos) << c["error"];
    }
    Leftovers left = LeftoversOf(f.args.back());
    EXPECT_TRUE(left.empty()) << "left behind: " << left.Describe();
  }
}

TEST_F(GvisorEndToEndTest, InterruptedRunLeavesNothing) {
  const std::string run = RunId("gvi");
  // Time scale 0.5: both cases sit in long blocking steps when interrupted.
  const pid_t pid = Start({"run", "--target", "gvisor", "--cases", "02,13", "--time-scale", "0.5",
                           "--run-id", run, "--out", out_.string()});
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitForSandboxes(run, 2)) << "cases never started";
  SleepNs(1500 * kNsPerMs);
  const std::optional<int> status = InterruptAndWait(pid, 20 * kNsPerSec);
  if (!status) {
    RunBinary({"clean", "--target", "gvisor"});  // it was killed by its pid; sweep what it left
    FAIL() << "lingerlab did not stop within 20 s of SIGINT";
  }
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 130);
  Leftovers left = LeftoversOf(run);
  EXPECT_TRUE(left.empty()) << "left behind: " << left.Describe();
  auto doc = ReadJsonFile((out_ / "results.json").string());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ((*doc)["environment"]["interrupted"], true);
  for (const json& c : (*doc)["cases"]) EXPECT_EQ(c["error"], "interrupted");
}

// A killed coordinator leaves its namespaces, a stopped sandbox and a free
// lock file. `lingerlab clean --target gvisor` removes them all; so it does
// after a plain `lingerlab clean` (netns) took the namespaces and the lock
// file first and left the sandbox without a lock file.
TEST_F(GvisorEndToEndTest, KilledRunIsSweptByClean) {
  for (const bool netns_clean_first : {false, true}) {
    SCOPED_TRACE(netns_clean_first ? "netns clean first" : "gvisor clean only");
    const std::string run = RunId(netns_clean_first ? "gvl" : "gvk");
    const pid_t pid = Start({"run", "--target", "gvisor", "--cases", "02", "--time-scale", "0.5",
                             "--run-id", run, "--out", (out_ / run).string()});
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(WaitForSandboxes(run, 1)) << "case never started";
    SleepNs(500 * kNsPerMs);
    ::kill(pid, SIGKILL);  // no cleanup of its own: a crashed coordinator
    ::waitpid(pid, nullptr, 0);
    Leftovers before = LeftoversOf(run);
    EXPECT_FALSE(before.namespaces.empty()) << "a killed run should leave its namespaces";
    EXPECT_FALSE(before.sandboxes.empty()) << "a killed run should leave its sandbox";
    std::string out;
    if (netns_clean_first) {
      EXPECT_EQ(RunBinary({"clean"}, &out), 0) << out;
      EXPECT_FALSE(LeftoversOf(run).sandboxes.empty());
    }
    EXPECT_EQ(RunBinary({"clean", "--target", "gvisor"}, &out), 0) << out;
    EXPECT_NE(out.find("gVisor sandbox ll-" + run + "-02"), std::string::npos) << out;
    Leftovers left = LeftoversOf(run);
    EXPECT_TRUE(left.empty()) << "left behind after clean: " << left.Describe();
  }
}

// The server's agent stays alive through the settle time on gVisor too, and
// when it does not (killed by its pid -- runsc's -- during settle), the
// case is an error: a connection it closed lived in the sandbox's netstack
// and died with it (OrphansOutliveAgent() is false), unlike netns's warning.
TEST_F(GvisorEndToEndTest, AServerAgentGoneDuringSettleIsAnError) {
  auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
  ASSERT_TRUE(m.ok());
  auto cases = SelectCases(*m, "04");
  ASSERT_TRUE(cases.ok());
  for (const bool kill_server : {false, true}) {
    SCOPED_TRACE(kill_server ? "server killed during settle" : "undisturbed");
    const std::string run = RunId(kill_server ? "gsk" : "gsu");
    json results;
    std::atomic<pid_t> killed{-1};
    {
      auto target = MakeTarget("gvisor", TargetConfig::For(LINGERLAB_AGENT_PATH, run));
      ASSERT_TRUE(target.ok());
      ASSERT_TRUE((*target)->CheckUsable().ok());
      RunOptions opt;
      opt.time_scale = 0.05;
      opt.out_dir = (out_ / run).string();
      opt.on_settle = [&](pid_t server, pid_t) {
        if (!kill_server) return;
        ::kill(server, SIGKILL);  // runsc, by the pid the lab started
        killed = server;
      };
      std::atomic<bool> cancelled{false};
      results = RunMatrix(*cases, **target, opt, cancelled);
    }
    Leftovers left = LeftoversOf(run);
    EXPECT_TRUE(left.empty()) << "left behind: " << left.Describe();
    const json& c = results["cases"][0];
    if (!kill_server) {
      EXPECT_EQ(c["status"], "completed") << c.dump();
      EXPECT_TRUE(c["warnings"].empty()) << c["warnings"];
      continue;
    }
    ASSERT_GT(killed.load(), 0);
    EXPECT_EQ(c["status"], "error") << c.dump();
    const std::string e = c["error"].is_string() ? c["error"].get<std::string>() : "";
    EXPECT_NE(e.find("server agent (pid " + std::to_string(killed.load()) + ") exited"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("did not outlive it"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace lingerlab

// The remote target end to end, on a lab built the way a real one looks:
// two network namespaces stand for two remote machines, each running
// `lingerlab-agent --listen ADDR:PORT --key FILE` started by the test, both
// reachable from the coordinator (this namespace) over their own veth links,
// and joined to each other by a third link that carries the test
// connections. Packets are captured by the server's agent on its own host.
//
//   coordinator (root ns)                                       control links
//     198.19.254.1 ──veth── 198.19.254.2  llrem-<pid>-s  (server host)
//     198.19.254.5 ──veth── 198.19.254.6  llrem-<pid>-c  (client host)
//                           198.19.254.9 ──veth── 198.19.254.10  test link
//
// Checks: the full matrix at a small time scale gives the same outcomes on
// the remote target as on the netns target (the claims compared are listed
// in kComparedClaims), the results record the target, agents, endpoints,
// clock offsets and where each pcap was captured; and a wrong key, an
// unreachable agent and a busy agent are exit 3 before any case, naming the
// agent, while the agents keep serving. Needs root.
#include <signal.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/auth.h"
#include "suite/expect/run_diff.h"
#include "suite/targets/process.h"
#include "suite/testing/e2e_support.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kServerControl = "198.19.254.2";
constexpr const char* kClientControl = "198.19.254.6";
constexpr const char* kServerTest = "198.19.254.9";
constexpr const char* kClientTest = "198.19.254.10";
constexpr int kAgentPort = 7100;
constexpr const char* kScale = "0.05";

// A run of the whole matrix, here and on the two hosts, at kScale.
constexpr int64_t kFullRunTimeoutNs = 600 * kNsPerSec;

// Two namespaces with an agent each, as described at the top. Everything is
// removed in the destructor: agents by their pids, namespaces (and with them
// their veths) by name.
class RemoteLab {
 public:
  // `server_can_capture` false: the server's agent runs without CAP_NET_RAW
  // (dropped from its bounding set by setpriv), as a user's unprivileged
  // agent would.
  explicit RemoteLab(const fs::path& dir, bool server_can_capture = true)
      : dir_(dir), server_can_capture_(server_can_capture) {
    const std::string tag = std::to_string(::getpid());
    server_ns_ = "llrem-" + tag + "-s";
    client_ns_ = "llrem-" + tag + "-c";
    key_ = (dir_ / "lab.key").string();
  }
  ~RemoteLab() {
    // A listening agent runs until stopped: SIGTERM (by its pid), then
    // SIGKILL if it has not gone within the grace time.
    for (pid_t p : agents_) ::kill(p, SIGTERM);
    for (pid_t p : agents_) StopProcess(p, 2 * kNsPerSec);
    // Our ends of the control links first: a namespace's deletion takes its
    // veths' peers with it only later, in the kernel's own time.
    for (const std::string& dev : {vs_, vc_}) RunCommand({"ip", "link", "delete", dev});
    for (const std::string& ns : {server_ns_, client_ns_})
      RunCommand({"ip", "netns", "delete", ns});
  }

  // Builds the namespaces and links and starts both agents. Returns "" or
  // what failed.
  std::string Up() {
    const std::string tag = std::to_string(::getpid() % 100000);
    vs_ = "llrs" + tag;
    vc_ = "llrc" + tag;
    const std::string &vs = vs_, &vc = vc_, vt = "llrt" + tag;
    const std::vector<std::vector<std::string>> steps = {
        {"ip", "netns", "add", server_ns_},
        {"ip", "netns", "add", client_ns_},
        // Control links: root <-> each host.
        {"ip", "link", "add", vs, "type", "veth", "peer", "name", "ctl0", "netns", server_ns_},
        {"ip", "link", "add", vc, "type", "veth", "peer", "name", "ctl0", "netns", client_ns_},
        {"ip", "addr", "add", "198.19.254.1/30", "dev", vs},
        {"ip", "addr", "add", "198.19.254.5/30", "dev", vc},
        {"ip", "link", "set", vs, "up"},
        {"ip", "link", "set", vc, "up"},
        {"ip", "-n", server_ns_, "addr", "add", std::string(kServerControl) + "/30", "dev", "ctl0"},
        {"ip", "-n", client_ns_, "addr", "add", std::string(kClientControl) + "/30", "dev", "ctl0"},
        // The test link between the two hosts.
        {"ip", "-n", server_ns_, "link", "add", vt, "type", "veth", "peer", "name", "test0",
         "netns", client_ns_},
        {"ip", "-n", server_ns_, "link", "set", vt, "name", "test0"},
        {"ip", "-n", server_ns_, "addr", "add", std::string(kServerTest) + "/30", "dev", "test0"},
        {"ip", "-n", client_ns_, "addr", "add", std::string(kClientTest) + "/30", "dev", "test0"},
    };
    for (const auto& argv : steps)
      if (Status s = RunChecked(argv); !s.ok()) return s.message();
    for (const std::string& ns : {server_ns_, client_ns_})
      for (const char* dev : {"lo", "ctl0", "test0"})
        if (Status s = RunChecked({"ip", "-n", ns, "link", "set", dev, "up"}); !s.ok())
          return s.message();
    if (RunBinary({"keygen", key_}) != 0) return "lingerlab keygen failed";
    server_log_ = dir_ / "server-agent.log";
    client_log_ = dir_ / "client-agent.log";
    if (std::string e = StartAgent(server_ns_, kServerControl, server_log_, !server_can_capture_);
        !e.empty())
      return e;
    if (std::string e = StartAgent(client_ns_, kClientControl, client_log_, false); !e.empty())
      return e;
    return "";
  }

  std::string server_endpoint() const {
    return std::string(kServerControl) + ":" + std::to_string(kAgentPort);
  }
  std::string client_endpoint() const {
    return std::string(kClientControl) + ":" + std::to_string(kAgentPort);
  }
  const std::string& key() const { return key_; }
  std::string server_log() const { return ReadAll(server_log_); }

  // The arguments of a remote run against this lab.
  std::vector<std::string> RunArgs(const std::string& out, const std::string& key) const {
    return {"run",           "--target",      "remote",         "--server-agent",
            server_endpoint(), "--client-agent", client_endpoint(), "--key",
            key,             "--server-test-address", kServerTest, "--time-scale",
            kScale,          "--out",         out};
  }

 private:
  // `ip netns exec` execs the agent in place, so the pid is the agent's.
  std::string StartAgent(const std::string& ns, const std::string& address, const fs::path& log,
                         bool without_capture) {
    std::vector<std::string> args = {"ip", "netns", "exec", ns};
    if (without_capture)
      for (const char* a : {"setpriv", "--bounding-set", "-net_raw", "--"}) args.push_back(a);
    for (const std::string& a : {std::string(LINGERLAB_AGENT_PATH), std::string("--listen"),
                                 address + ":" + std::to_string(kAgentPort),
                                 std::string("--key"), key_})
      args.push_back(a);
    const pid_t pid = StartProgram(args, log);
    if (pid < 0) return "fork failed";
    agents_.push_back(pid);
    // Listening once it says so (connecting to find out would itself be a
    // failed handshake in its log).
    bool listening = false;
    WaitUntil(
        [&] {
          listening = ReadAll(log).find("listening on") != std::string::npos;
          return listening || !ProcessAlive(pid);
        },
        10 * kNsPerSec, 20 * kNsPerMs);
    if (listening) return "";
    if (!ProcessAlive(pid)) return "agent in " + ns + " exited: " + ReadAll(log);
    return "agent in " + ns + " did not start listening: " + ReadAll(log);
  }

  fs::path dir_;
  bool server_can_capture_ = true;
  std::string server_ns_, client_ns_, key_;
  std::string vs_, vc_;  // this namespace's ends of the control links
  fs::path server_log_, client_log_;
  std::vector<pid_t> agents_;
};

class RemoteTargetTest : public ::testing::Test {
 protected:
  virtual bool ServerCanCapture() const { return true; }
  void SetUp() override {
    if (SkipUnlessRoot("CAP_NET_ADMIN, for network namespaces")) return;
    dir_ = FreshDir("ll-remote");
    lab_ = std::make_unique<RemoteLab>(dir_, ServerCanCapture());
    const std::string up = lab_->Up();
    ASSERT_EQ(up, "") << "cannot build the two-host lab";
  }
  void TearDown() override {
    lab_.reset();
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::unique_ptr<RemoteLab> lab_;
};

json LoadResults(const fs::path& out) {
  std::ifstream in(out / "results.json");
  return json::parse(in, nullptr, false);
}

// The claims compared between targets: RST or not, how close() ended and
// whether it blocked, what it returned, how the client's read ended and
// whether data was lost. Durations are not compared (they are timing, and
// the two runs are different runs); client_bytes is compared as a class
// (none / some / all) because how much a client reads before a RST is a race
// between its reads and the RST (results/README.md).
const std::vector<std::string> kComparedClaims = {
    "abort_on_close", "abort_on_linger_timeout", "rst_after_clean_close", "idle_abort",
    "close_blocks",   "close_ended_by",          "close_ret",             "close_errno",
    "client_end",     "data_lost",               "eof_before_limit",      "client_bytes"};

// Claims compare as `lingerlab diff` compares them (suite/expect/run_diff.h):
// the bytes that beat a RST as none / some / all, and a close() that
// returned at once as one class whether the fast client's FIN ACK was
// stamped before its return ("peer_acked") or not ("immediate").
TEST_F(RemoteTargetTest, FullScaledMatrixMatchesTheNetnsTargetCaseByCase) {
  const fs::path remote_out = dir_ / "remote", netns_out = dir_ / "netns";
  std::string log;
  const int remote_rc =
      RunBinary(lab_->RunArgs(remote_out.string(), lab_->key()), &log, kFullRunTimeoutNs);
  ASSERT_NE(remote_rc, 2) << log;
  ASSERT_NE(remote_rc, 3) << log;
  std::string netns_log;
  RunBinary({"run", "--time-scale", kScale, "--out", netns_out.string()}, &netns_log,
            kFullRunTimeoutNs);
  const json remote = LoadResults(remote_out), netns = LoadResults(netns_out);
  ASSERT_TRUE(remote.is_object()) << log;
  ASSERT_TRUE(netns.is_object()) << netns_log;

  // What the results say about the run.
  const json& env = remote["environment"];
  EXPECT_EQ(env["target"], "remote");
  EXPECT_EQ(env["stack"], "remote");
  EXPECT_EQ(env["agents"]["server"]["endpoint"], lab_->server_endpoint());
  EXPECT_EQ(env["agents"]["client"]["endpoint"], lab_->client_endpoint());
  for (const char* role : {"server", "client"}) {
    EXPECT_TRUE(env["agents"][role]["platform"].is_object()) << role;
    EXPECT_TRUE(env["agents"][role]["clock_rtt_ns"].is_number_integer()) << role;
    EXPECT_TRUE(env["agents"][role]["clock_offset_ns"].is_number_integer()) << role;
  }
  EXPECT_EQ(env["agent_platform"]["family"], "linux");

  ASSERT_EQ(remote["cases"].size(), 34u);
  ASSERT_EQ(netns["cases"].size(), 34u);
  int compared = 0;
  std::map<std::string, int> ports;
  for (size_t i = 0; i < 34; ++i) {
    const json& r = remote["cases"][i];
    const json& n = netns["cases"][i];
    const std::string id = r["id"];
    ASSERT_EQ(id, n["id"]);
    EXPECT_EQ(r["status"], "completed") << id << ": " << r["error"].dump();
    EXPECT_EQ(n["status"], "completed") << id << ": " << n["error"].dump();
    if (r["status"] != "completed" || n["status"] != "completed") continue;
    // Captured by the server's agent, on the server host's test interface.
    EXPECT_EQ(r["capture"]["site"], "server-agent") << id;
    EXPECT_EQ(r["capture"]["interface"], "test0") << id;
    EXPECT_EQ(r["capture"]["agent"], lab_->server_endpoint()) << id;
    EXPECT_GT(r["capture"]["packets"].get<int>(), 0) << id;
    EXPECT_TRUE(fs::exists(remote_out / r["capture"]["pcap"].get<std::string>())) << id;
    EXPECT_EQ(n["capture"]["site"], "local") << id;
    EXPECT_EQ(r["hosts"]["server"]["address"], kServerTest) << id;
    ports[id] = r["hosts"]["server"]["port"].get<int>();
    EXPECT_TRUE(r["agents"]["server"]["clock_rtt_ns"].is_number_integer()) << id;

    const json& rc = r["outcome"]["claims"];
    const json& nc = n["outcome"]["claims"];
    for (const std::string& claim : kComparedClaims) {
      EXPECT_TRUE(SameClaimValue(r, n, claim))
          << "case " << id << " claim " << claim << ": remote " << rc.dump() << "\nnetns "
          << nc.dump();
    }
    EXPECT_EQ(r["verdict"]["status"], n["verdict"]["status"]) << "case " << id;
    ++compared;
  }
  EXPECT_EQ(compared, 34);
  // Each case had its own server port, so they could run at once.
  std::set<int> distinct;
  for (auto& [id, port] : ports) distinct.insert(port);
  EXPECT_EQ(distinct.size(), ports.size());
}

TEST_F(RemoteTargetTest, BadAgentsAreExit3BeforeAnyCaseNamingTheAgent) {
  // Two runs back to back: the first frees the agents when it is over, so
  // the second (another run id, another lease) is not refused as busy.
  for (const char* run : {"first", "second"}) {
    std::string out_log;
    std::vector<std::string> one = lab_->RunArgs((dir_ / run).string(), lab_->key());
    one.insert(one.end(), {"--cases", "11"});
    EXPECT_EQ(RunBinary(one, &out_log), 0) << run << ": " << out_log;
  }

  // A key the agents were not started with.
  const std::string wrong_key = (dir_ / "wrong.key").string();
  ASSERT_EQ(RunBinary({"keygen", wrong_key}), 0);
  std::string log;
  const fs::path out = dir_ / "bad";
  EXPECT_EQ(RunBinary(lab_->RunArgs(out.string(), wrong_key), &log), 3) << log;
  EXPECT_NE(log.find("server agent " + lab_->server_endpoint()), std::string::npos) << log;
  EXPECT_NE(log.find("key"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(out / "results.json"));
  // The agent logged the refused peer with its address.
  EXPECT_NE(lab_->server_log().find("198.19.254.1"), std::string::npos) << lab_->server_log();

  // A key file others can read is refused before anything is sent.
  std::vector<std::string> args = lab_->RunArgs(out.string(), lab_->key());
  const std::string loose = (dir_ / "loose.key").string();
  fs::copy_file(lab_->key(), loose);
  ::chmod(loose.c_str(), 0644);
  std::vector<std::string> loose_args = args;
  for (auto& a : loose_args)
    if (a == lab_->key()) a = loose;
  EXPECT_EQ(RunBinary(loose_args, &log), 3) << log;
  EXPECT_NE(log.find("chmod 600"), std::string::npos) << log;

  // An agent that is not there. (The server's: a run that reached the
  // server agent would hold it for its lease grace, doc/protocol.md §7.)
  const std::string nobody = std::string(kServerControl) + ":7999";
  std::vector<std::string> unreachable = args;
  for (auto& a : unreachable)
    if (a == lab_->server_endpoint()) a = nobody;
  EXPECT_EQ(RunBinary(unreachable, &log), 3) << log;
  EXPECT_NE(log.find("server agent " + nobody), std::string::npos) << log;

  // An agent serving another coordinator (a session under another lease,
  // held open by this test) is busy: exit 3, and the run says so.
  auto key = LoadKeyFile(lab_->key());
  ASSERT_TRUE(key.ok()) << key.error().message;
  {
    auto fd = ConnectTcp(kServerControl, kAgentPort, 5 * kNsPerSec);
    ASSERT_TRUE(fd.ok()) << fd.error().message;
    Channel held{std::move(*fd)};
    Status auth = AuthenticateToAgent(held, *key, "otherrun", 5 * kNsPerSec);
    ASSERT_TRUE(auth.ok()) << auth.message();
    EXPECT_EQ(RunBinary(args, &log), 3) << log;
    EXPECT_NE(log.find("busy"), std::string::npos) << log;
    EXPECT_FALSE(fs::exists(out / "results.json"));
  }

  // Through all of it the agent kept serving: the coordinator that holds it
  // is still answered (its lease outlives its session by the grace time).
  auto fd = ConnectTcp(kServerControl, kAgentPort, 5 * kNsPerSec);
  ASSERT_TRUE(fd.ok());
  Channel again{std::move(*fd)};
  Status auth = AuthenticateToAgent(again, *key, "otherrun", 5 * kNsPerSec);
  EXPECT_TRUE(auth.ok()) << auth.message();
  ASSERT_TRUE(again.Send({{"type", "hello"}, {"protocol", protocol::kVersion}, {"role", "server"}})
                  .ok());
  auto hello = again.Receive(5 * kNsPerSec);
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  EXPECT_EQ((*hello)["type"], "hello") << hello->dump();
}

// The server's agent cannot capture (no CAP_NET_RAW): the cases still run
// and say so, their syscall claims are compared, and every claim that needs
// packets is not-comparable with the reason: never guessed from syscalls.
class RemoteTargetWithoutCaptureTest : public RemoteTargetTest {
 protected:
  bool ServerCanCapture() const override { return false; }
};

TEST_F(RemoteTargetWithoutCaptureTest, CasesSaySoAndPacketClaimsAreNotComparable) {
  const fs::path out = dir_ / "nocap";
  std::vector<std::string> args = lab_->RunArgs(out.string(), lab_->key());
  args.insert(args.end(), {"--cases", "02,04"});
  std::string log;
  const int rc = RunBinary(args, &log);
  EXPECT_TRUE(rc == 0 || rc == 1) << log;
  const json results = LoadResults(out);
  ASSERT_TRUE(results.is_object()) << log;
  ASSERT_EQ(results["cases"].size(), 2u);
  for (const json& c : results["cases"]) {
    const std::string id = c["id"];
    EXPECT_EQ(c["status"], "completed") << id << ": " << c["error"].dump();
    EXPECT_EQ(c["capture"]["available"], false) << id << c["capture"].dump();
    EXPECT_EQ(c["capture"]["site"], "server-agent") << id;
    EXPECT_NE(c["capture"]["reason"].get<std::string>().find("capture_unavailable"),
              std::string::npos)
        << c["capture"].dump();
    ASSERT_FALSE(c["warnings"].empty()) << id;
    EXPECT_NE(c["warnings"][0].get<std::string>().find("no capture"), std::string::npos) << id;
    EXPECT_TRUE(c["packets"].empty()) << id;
    // Syscall claims are made; packet claims are not.
    const json& claims = c["outcome"]["claims"];
    EXPECT_TRUE(claims.contains("close_blocks")) << id << claims.dump();
    EXPECT_FALSE(claims.contains("abort_on_close")) << id << claims.dump();
    EXPECT_FALSE(claims.contains("rst_after_clean_close")) << id << claims.dump();
    for (const json& check : c["verdict"]["checks"]) {
      if (check["claim"] == "abort_on_close") {
        EXPECT_EQ(check["result"], "not-comparable") << id << check.dump();
        EXPECT_NE(check["note"].get<std::string>().find("without a packet capture"),
                  std::string::npos)
            << check.dump();
      }
    }
  }
  // Case 04's published expectation is a RST at close(): it cannot pass or
  // deviate without packets.
  for (const json& c : results["cases"]) {
    if (c["id"] == "04") {
      EXPECT_EQ(c["verdict"]["status"], "not-comparable") << c["verdict"].dump();
    }
  }
}

}  // namespace
}  // namespace lingerlab

// Packet impairment end to end (doc/matrix-format.md "Lab steps"): a tiny
// matrix written here whose lab steps drop the client's SYN for a while
// (connect() waits out the window: the capture's first SYN comes after it)
// and the server's FIN on its way to the client (the client's EOF waits for
// a retransmitted FIN, which the server-side capture shows twice), run on
// the netns lab, then on lwip and gvisor where their tools are installed;
// afterwards no namespace and no nftables table is left, nothing was ever
// put in the root namespace, and a run killed while its impairment is in
// place leaves nothing once `lingerlab clean` has run.
//
// Needs root and nftables' nft; lwip and gvisor skip without their tools
// unless LINGERLAB_REQUIRE_STACKS=1.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "suite/coordinator/results_writer.h"
#include "suite/testing/e2e_support.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Both windows are well past the first retransmission (1 s for a SYN, at
// least 200 ms for a FIN) and well inside a quick step's 5 s.
constexpr int64_t kSynDropMs = 1200;
constexpr int64_t kFinDropMs = 1000;

// The test's matrix: three cases, each a scenario with lab steps.
json Matrix() {
  auto step = [](const char* host, const char* op, json args) {
    return json{{"host", host}, {"op", op}, {"args", std::move(args)}};
  };
  const json addr = {{"handle", "lsock"}, {"address", "$server_address"}, {"port", "$port"}};
  // The server listens and the client has a socket; then it connects.
  const json listen = {step("server", "socket", {{"handle", "lsock"}, {"family", "$family"}}),
                       step("server", "bind", addr),
                       step("server", "listen", {{"handle", "lsock"}, {"backlog", 4}}),
                       step("client", "socket", {{"handle", "sock"}, {"family", "$family"}})};
  json connect = addr;
  connect["handle"] = "sock";
  const json connected = {
      step("client", "connect", connect),
      step("server", "accept", {{"handle", "lsock"}, {"as", "csock"}, {"timeout_ms", 3000}})};
  auto drop = [&](const char* direction, const char* match, int64_t for_ms) {
    json args = {{"direction", direction}, {"match", match}, {"action", "drop"}};
    if (for_ms > 0) args["for_ms"] = for_ms;
    return step("lab", "impair", args);
  };
  json syn_setup = listen;
  syn_setup.push_back(drop("to_server", "syn", kSynDropMs));
  syn_setup.insert(syn_setup.end(), connected.begin(), connected.end());
  json fin_setup = listen;
  fin_setup.insert(fin_setup.end(), connected.begin(), connected.end());
  auto on = [&](const char* handle) {
    return json{{"op", "close"}, {"args", {{"handle", handle}}}};
  };
  const json read = {{"op", "read"},
                     {"args", {{"handle", "sock"}, {"chunk", 512}, {"limit_ms", 8000}}}};
  json scenarios = json::object();
  scenarios["syn_drop"] = {{"setup", syn_setup},
                           {"server", json::array({on("csock")})},
                           {"client", json::array({on("sock")})}};
  scenarios["fin_drop"] = {
      {"setup", fin_setup},
      {"server", json::array({drop("to_client", "fin", kFinDropMs), on("csock")})},
      {"client", json::array({read, on("sock")})}};
  // An impairment in place while the case waits (for the killed run).
  scenarios["held"] = {{"setup", json::array({drop("to_server", "any", 0)})},
                       {"server", json::array({step("server", "pause", {{"ms", 60000}})})},
                       {"client", json::array()}};
  json cases = json::array();
  for (auto [id, name] : {std::pair{"01", "syn_drop"}, {"02", "fin_drop"}, {"03", "held"}})
    cases.push_back({{"id", id}, {"name", name}, {"client", "fast"}, {"scenario", name}});
  return {
      {"format", "lingerlab-matrix/1"},
      {"name", "impair_e2e"},
      {"case_names", "free"},
      {"defaults", {{"payload_bytes", 1}, {"read_chunk", 512}, {"port", 5001}, {"settle_s", 0.5}}},
      {"scenarios", scenarios},
      {"cases", cases}};
}

// The root namespace's nftables ruleset ("" if nft is missing).
std::string RootRuleset() { return RunProgram("nft", {"list", "ruleset"}).output; }

const json* Event(const json& c, const std::string& host, const std::string& step) {
  if (!c["events"].contains(host)) return nullptr;
  for (const json& e : c["events"][host])
    if (e.value("step", "") == step) return &e;
  return nullptr;
}

// Packets in direction `dir` with flag `flag`.
std::vector<json> PacketsWith(const json& c, const std::string& dir, char flag) {
  std::vector<json> out;
  for (const json& p : c["packets"])
    if (p["dir"] == dir && p["flags"].get<std::string>().find(flag) != std::string::npos)
      out.push_back(p);
  return out;
}

class ImpairEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (SkipUnlessRoot("network namespaces, nftables", false)) return;
    if (SkipOrFailWithout(
            FindExecutable("nft").empty() ? "nftables' nft (apt-get install nftables)" : "", false))
      return;
    out_ = FreshDir("ll-impair-e2e");
    matrix_ = (out_ / "impair.json").string();
    std::ofstream(matrix_) << Matrix().dump(2);
    // A run needs its matrix's expected tables: one with no case in it
    // (the verdicts are no-expectation; what is checked here is the link).
    fs::create_directories(out_ / "expected");
    std::ofstream(out_ / "expected" / "linux.json") << R"({
      "format": "lingerlab-expected/1", "matrix": "impair_e2e", "family": "linux",
      "title": "Linux", "source": {"document": "none", "platforms": ["Linux"]}, "cases": {}})";
    root_before_ = RootRuleset();
  }
  void TearDown() override { fs::remove_all(out_); }

  // Runs cases 01 and 02 on `target`; checks what each impairment did, and
  // that the run left nothing.
  void RunAndCheck(const std::string& target) {
    const std::string run = RunId("im" + target.substr(0, 1));
    const std::string dir = (out_ / target).string();
    std::string out;
    const int rc = RunBinary({"run", "--target", target, "--matrix", matrix_, "--cases", "01,02",
                              "--run-id", run, "--out", dir},
                             &out);
    EXPECT_TRUE(rc == 0 || rc == 1) << out;  // 1: no expected table for this matrix
    EXPECT_TRUE(Namespaces("ll-" + run + "-").empty()) << Join(Namespaces("ll-" + run + "-"));
    EXPECT_EQ(RootRuleset(), root_before_) << "something was put in the root namespace";
    auto doc = ReadJsonFile(dir + "/results.json");
    ASSERT_TRUE(doc.ok()) << doc.error().message << "\n" << out;

    const std::pair<const char*, void (*)(const json&, const json&)> checks[] = {
        {"01", CheckSynDrop}, {"02", CheckFinDrop}};
    for (auto [id, check] : checks) {
      const json* c = FindCase(*doc, id);
      ASSERT_NE(c, nullptr) << id;
      SCOPED_TRACE(target + " case " + id + ": " + c->dump().substr(0, 4000));
      EXPECT_EQ((*c)["status"], "completed") << (*c)["error"];
      const json* imp = Event(*c, "lab", "impair");
      ASSERT_NE(imp, nullptr);
      EXPECT_EQ((*imp)["ok"], true) << (*imp)["error"];
      check(*c, *imp);
    }
  }

  // Case 01: connect() waited out the window; its SYNs inside it never
  // reached the server's end of the link.
  static void CheckSynDrop(const json& c, const json& imp) {
    EXPECT_EQ(imp["impairment"]["match"], "syn");
    const json* conn = Event(c, "client", "connect");
    ASSERT_NE(conn, nullptr);
    EXPECT_EQ((*conn)["ret"], 0);
    const double waited = (*conn)["t_end"].get<double>() - (*conn)["t_start"].get<double>();
    EXPECT_GE(waited, kSynDropMs / 1000.0) << "connect took " << waited << " s";
    const auto syns = PacketsWith(c, "c2s", 'S');
    ASSERT_FALSE(syns.empty());
    EXPECT_GE(syns.front()["t"].get<double>(), imp["t_start"].get<double>() + kSynDropMs / 1000.0)
        << "a SYN passed during the drop window";
    EXPECT_LE(syns.front()["t"].get<double>(), imp["until"].get<double>() + 1.5);
  }

  // Case 02: the server sent its FIN (the capture is on its end) and sent it
  // again, the first dropped on the client's side; the client's EOF came
  // only after the window.
  static void CheckFinDrop(const json& c, const json& imp) {
    EXPECT_EQ(imp["impairment"]["match"], "fin");
    const json* read = Event(c, "client", "read");
    ASSERT_NE(read, nullptr);
    EXPECT_EQ((*read)["end"], "eof");
    EXPECT_GE(PacketsWith(c, "s2c", 'F').size(), 2u) << "no FIN retransmitted";
    EXPECT_GE((*read)["t_end"].get<double>(), imp["t_start"].get<double>() + kFinDropMs / 1000.0);
  }

  fs::path out_;
  std::string matrix_;
  std::string root_before_;
};

TEST_F(ImpairEndToEndTest, DropsOnTheNetnsLabDelayConnectAndForceAFinRetransmission) {
  RunAndCheck("netns");
}

TEST_F(ImpairEndToEndTest, TheSameDropsWorkOnLwip) {
  if (SkipOrFailWithout(fs::exists(LINGERLAB_LWIP_AGENT_PATH)
                            ? ""
                            : "lingerlab-agent-lwip (apt-get install liblwip-dev, rebuild)",
                        StacksRequired()))
    return;
  RunAndCheck("lwip");
}

TEST_F(ImpairEndToEndTest, TheSameDropsWorkOnGvisor) {
  if (SkipOrFailWithout(FindExecutable("runsc").empty() ? "runsc (apt-get install runsc)" : "",
                        StacksRequired()))
    return;
  RunAndCheck("gvisor");
}

TEST_F(ImpairEndToEndTest, AKilledRunWithAnImpairmentInPlaceLeavesNothingAfterClean) {
  const std::string run = RunId("imk");
  const pid_t pid = StartProgram({LINGERLAB_BIN, "run", "--matrix", matrix_, "--cases", "03",
                                  "--run-id", run, "--out", (out_ / "k").string()});
  ASSERT_GT(pid, 0);
  const std::string client_ns = "ll-" + run + "-03-c";
  const bool applied = WaitUntil(
      [&] {
        return RunProgram("ip", {"netns", "exec", client_ns, "nft", "list", "tables"})
                   .output.find("netdev lingerlab") != std::string::npos;
      },
      30 * kNsPerSec, 100 * kNsPerMs);
  ::kill(pid, SIGKILL);  // by its pid: no teardown at all
  WaitExit(pid);
  ASSERT_TRUE(applied) << "the impairment never appeared in " << client_ns;
  EXPECT_FALSE(Namespaces("ll-" + run + "-").empty()) << "nothing to clean: the test is void";
  EXPECT_EQ(RootRuleset(), root_before_);
  std::string text;
  EXPECT_EQ(RunBinary({"clean"}, &text, 120 * kNsPerSec), 0) << text;
  EXPECT_TRUE(Namespaces("ll-" + run + "-").empty()) << Join(Namespaces("ll-" + run + "-"));
  EXPECT_EQ(RootRuleset(), root_before_);
}

}  // namespace
}  // namespace lingerlab

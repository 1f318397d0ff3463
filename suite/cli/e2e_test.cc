// End to end on this machine: cases 02 and 04 run on the netns lab at a small
// time scale, and the capture must show what the published Linux behaviour
// says — a clean FIN in 02, a RST from the server at close() in 04 with the
// client short of the payload and reading ECONNRESET. Also: the lingerlab
// binary's exit codes, bad input, and cleanup after Ctrl-C. Needs root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>

#include "agents/base/clock.h"
#include "suite/capture/pcap_file.h"
#include "suite/coordinator/results_writer.h"
#include "suite/coordinator/run.h"
#include "suite/matrix/matrix.h"
#include "suite/targets/process.h"
#include "suite/targets/target.h"
#include "suite/testing/e2e_support.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const json* LastEvent(const json& events, const std::string& step, const std::string& handle) {
  const json* found = nullptr;
  for (const json& e : events)
    if (e["step"] == step && e.value("handle", "") == handle) found = &e;
  return found;
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (SkipUnlessRoot("CAP_NET_ADMIN, for network namespaces")) return;
    out_ = FreshDir("ll-e2e");
  }
  void TearDown() override { fs::remove_all(out_); }
  fs::path out_;
};

TEST_F(EndToEndTest, Case02EndsWithFinsOnlyAndCase04WithAServerRstAtClose) {
  auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
  ASSERT_TRUE(m.ok());
  auto cases = SelectCases(*m, "02,04");
  ASSERT_TRUE(cases.ok());
  const std::string run_id = RunId("e2e");
  json results;
  {
    auto target = MakeTarget("netns", TargetConfig::For(LINGERLAB_AGENT_PATH, run_id));
    ASSERT_TRUE(target.ok());
    ASSERT_TRUE((*target)->CheckUsable().ok());
    RunOptions opt;
    opt.time_scale = 0.05;
    opt.out_dir = out_.string();
    std::atomic<bool> cancelled{false};
    results = RunMatrix(*cases, **target, opt, cancelled);
  }
  EXPECT_TRUE(Namespaces("ll-" + run_id).empty()) << "namespaces left behind";
  ASSERT_EQ(results["summary"]["completed"], 2) << results["summary"].dump();

  // 02: slow client, no linger: all data, FINs both ways, no RST.
  const json& c02 = *FindCase(results, "02");
  int server_fins = 0, rsts = 0;
  for (const json& p : c02["packets"]) {
    std::string f = p["flags"];
    if (p["dir"] == "s2c" && f.find('F') != std::string::npos) ++server_fins;
    if (f.find('R') != std::string::npos) ++rsts;
  }
  EXPECT_GE(server_fins, 1);
  EXPECT_EQ(rsts, 0);
  const json* read02 = LastEvent(c02["events"]["client"], "read", "sock");
  ASSERT_NE(read02, nullptr);
  EXPECT_EQ((*read02)["bytes"], 20480);
  EXPECT_EQ((*read02)["end"], "eof");
  EXPECT_EQ((*read02)["verified"], true);

  // 04: slow client, SO_LINGER {on,0} on the connected socket: the server's
  // close() sends a RST at once; the client ends short with ECONNRESET.
  const json& c04 = *FindCase(results, "04");
  const json* close04 = LastEvent(c04["events"]["server"], "close", "csock");
  ASSERT_NE(close04, nullptr);
  const double close_t = (*close04)["t_start"];
  const json* rst = nullptr;
  bool fin_before_rst = false;
  for (const json& p : c04["packets"]) {
    std::string f = p["flags"];
    if (p["dir"] != "s2c") continue;
    if (f.find('R') != std::string::npos) {
      rst = &p;
      break;
    }
    if (f.find('F') != std::string::npos) fin_before_rst = true;
  }
  ASSERT_NE(rst, nullptr) << "no RST from the server in case 04";
  EXPECT_FALSE(fin_before_rst);
  EXPECT_GE((*rst)["t"].get<double>(), close_t - 0.001);
  EXPECT_LE((*rst)["t"].get<double>(), close_t + 0.2);
  const json* read04 = LastEvent(c04["events"]["client"], "read", "sock");
  ASSERT_NE(read04, nullptr);
  EXPECT_LT((*read04)["bytes"].get<int>(), 20480);
  EXPECT_EQ((*read04)["errno_name"], "ECONNRESET");

  // One pcap per case, readable by our reader and by tshark if present.
  for (const json* c : {&c02, &c04}) {
    std::string pcap = (out_ / (*c)["capture"]["pcap"].get<std::string>()).string();
    auto pk = ReadPcapFile(pcap);
    ASSERT_TRUE(pk.ok()) << pk.error().message;
    EXPECT_EQ(pk->size(), (*c)["packets"].size());
    if (RunCommand({"tshark", "-v"}).exit_code == 0) {
      CommandResult t = RunCommand({"tshark", "-r", pcap, "-T", "fields", "-e", "tcp.flags.reset"});
      EXPECT_EQ(t.exit_code, 0) << t.output;
    }
  }
}

// --- the lingerlab binary ----------------------------------------------------

TEST_F(EndToEndTest, BadMatrixIsAUsageErrorWithTheFileNamed) {
  std::string bad = (out_ / "bad.json").string();
  std::ofstream(bad) << R"({"format": "lingerlab-matrix/1", "name": "x", "cases": [)";
  std::string out;
  EXPECT_EQ(RunBinary({"run", "--matrix", bad, "--out", (out_ / "r").string()}, &out), 2);
  EXPECT_NE(out.find("bad.json"), std::string::npos) << out;
  EXPECT_EQ(RunBinary({"run", "--cases", "99", "--out", (out_ / "r").string()}, &out), 2);
  EXPECT_NE(out.find("99"), std::string::npos) << out;
  EXPECT_EQ(RunBinary({"run", "--jobs", "-3"}, &out), 2) << out;  // our code, not CLI11's
  EXPECT_EQ(RunBinary({"frobnicate"}, &out), 2) << out;
  EXPECT_EQ(RunBinary({"--help"}, &out), 0);
  EXPECT_NE(out.find("Exit codes"), std::string::npos);
  EXPECT_EQ(RunBinary({"list", "-v"}, &out), 0) << out;  // global flags after the subcommand
  EXPECT_EQ(RunBinary({"list"}, &out), 0);
  EXPECT_NE(out.find("34 idle-client__linger-lsock-0__shutdown-10"), std::string::npos);
}

// The binary end to end: a run that completes exits 0 and compares with the
// server agent's family. (With two struct lingerlab::MatrixCase in one binary,
// the coordinator's and a hand-written one in suite/expect, a Release build
// crashed here at exit in ~vector<MatrixCase>: SIGSEGV, exit 139.)
TEST_F(EndToEndTest, RunOfCase04ExitsZeroAndPassesAgainstTheAgentsFamily) {
  std::string out;
  const std::string run_id = RunId("ok");
  const std::string junit = (out_ / "junit.xml").string();
  const std::string tap = (out_ / "run.tap").string();
  ASSERT_EQ(RunBinary({"run", "--cases", "04", "--time-scale", "0.05", "--run-id", run_id, "--out",
                       out_.string(), "--junit", junit, "--tap", tap},
                      &out),
            0)
      << out;
  // The run's JUnit file: one passing testcase, valid against doc/junit.xsd.
  EXPECT_EQ(std::system(("xmllint --noout --schema " + std::string(LINGERLAB_SOURCE_DIR) +
                         "/doc/junit.xsd " + junit + " >/dev/null 2>&1")
                            .c_str()),
            0);
  {
    std::ifstream in(junit);
    const std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(xml.find("tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\""),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<testsuite name=\"lingerlab.so_linger[netns/host-kernel]\""),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("name=\"04 slow-client__linger-csock-0 [netns/host-kernel]\""),
              std::string::npos);
    std::ifstream tap_in(tap);
    const std::string text((std::istreambuf_iterator<char>(tap_in)),
                           std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("\n1..1\nok 1 - 04 slow-client__linger-csock-0 [netns/host-kernel]\n"),
              std::string::npos)
        << text;
  }
  auto doc = ReadJsonFile((out_ / "results.json").string());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  const json& c = (*doc)["cases"][0];
  EXPECT_EQ(c["verdict"]["status"], "pass") << c["verdict"].dump();
  EXPECT_EQ(c["verdict"]["family"], c["agents"]["server"]["platform"]["family"]);
  EXPECT_EQ(c["parameters"]["time_scale"], (*doc)["environment"]["time_scale"]);
  EXPECT_EQ((*doc)["environment"]["target"], "netns");
  EXPECT_EQ((*doc)["environment"]["stack"], "host-kernel");
  // Not a terminal (a pipe here): plain lines, no status line, no control
  // characters.
  EXPECT_EQ(out.find_first_of("\r\x1b"), std::string::npos) << out;
  EXPECT_EQ(RunBinary({"check", (out_ / "results.json").string()}, &out), 0) << out;
  EXPECT_TRUE(Namespaces("ll-" + run_id).empty());
}

// --ip 6: the same lab with ULA addresses and inet6 sockets. Cases 02 and 04
// end as over IPv4 (FINs only and all data; a RST at close() and
// ECONNRESET), the pcaps hold IPv6 frames, and the results say ip 6.
TEST_F(EndToEndTest, Ipv6RunEndsCases02And04AsIpv4Does) {
  std::string out;
  const std::string run_id = RunId("v6");
  ASSERT_EQ(RunBinary({"run", "--ip", "6", "--cases", "02,04", "--time-scale", "0.05", "--run-id",
                       run_id, "--out", out_.string()},
                      &out),
            0)
      << out;
  EXPECT_TRUE(Namespaces("ll-" + run_id).empty()) << "namespaces left behind";
  auto doc = ReadJsonFile((out_ / "results.json").string());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ((*doc)["environment"]["ip"], 6);
  ASSERT_EQ((*doc)["summary"]["completed"], 2) << (*doc)["summary"].dump();
  for (const char* id : {"02", "04"}) {
    const json& c = *FindCase(*doc, id);
    SCOPED_TRACE(id);
    const std::string server = c["hosts"]["server"]["address"];
    EXPECT_EQ(server.rfind("fd00:198:18:", 0), 0u) << server;
    const json* accept = LastEvent(c["events"]["server"], "accept", "lsock");
    ASSERT_NE(accept, nullptr);
    EXPECT_EQ((*accept)["peer"].get<std::string>().rfind("[fd00:198:18:", 0), 0u);
    auto pk = ReadPcapFile((out_ / c["capture"]["pcap"].get<std::string>()).string());
    ASSERT_TRUE(pk.ok()) << pk.error().message;
    ASSERT_FALSE(pk->empty());
    EXPECT_EQ(pk->size(), c["packets"].size());
    EXPECT_EQ(pk->front().dst, server);
    // 04 has the article's Linux row; 02 has none.
    EXPECT_EQ(c["verdict"]["status"], std::string(id) == "04" ? "pass" : "no-expectation")
        << c["verdict"].dump();
  }
  const json& c02 = *FindCase(*doc, "02");
  EXPECT_EQ(c02["outcome"]["claims"]["client_end"], "eof");
  EXPECT_EQ(c02["outcome"]["claims"]["client_bytes"], 20480);
  EXPECT_EQ(c02["outcome"]["claims"]["abort_on_close"], false);
  const json& c04 = *FindCase(*doc, "04");
  EXPECT_EQ(c04["outcome"]["claims"]["client_end"], "ECONNRESET");
  EXPECT_EQ(c04["outcome"]["claims"]["abort_on_close"], true);
  EXPECT_EQ(c04["outcome"]["claims"]["data_lost"], true);
}

// On a terminal (a pty from script(1)) the run keeps one live status line
// below its log lines: erased before each line and drawn again after.
TEST_F(EndToEndTest, OnATerminalALiveStatusLineShowsProgress) {
  if (RunCommand({"script", "--version"}).exit_code != 0)
    GTEST_SKIP() << "script(1) (util-linux) is not installed";
  const std::string run_id = RunId("tty");
  const std::string typescript = (out_ / "typescript").string();
  const std::string cmd = std::string(LINGERLAB_BIN) + " run --cases 04 --time-scale 0.05 " +
                          "--run-id " + run_id + " --out " + (out_ / "r").string();
  CommandResult r = RunCommand({"script", "-qec", cmd, typescript});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(typescript);
  const std::string tty((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(tty.find("0/1 done, 1 running, 0:00 elapsed, about 0:"), std::string::npos) << tty;
  EXPECT_NE(tty.find("\r\x1b[K"), std::string::npos) << tty;
  // The case's own line is printed with the status line erased before it.
  EXPECT_NE(tty.find("\r\x1b[K1/1 done, 0 running"), std::string::npos) << tty;
  EXPECT_NE(tty.find("case 04: completed"), std::string::npos) << tty;
  EXPECT_TRUE(Namespaces("ll-" + run_id).empty());
}

TEST_F(EndToEndTest, InterruptedRunCleansUpAndStillWritesItsResults) {
  const std::string run_id = RunId("int");
  const std::string mine = "ll-" + run_id + "-";
  const pid_t pid = StartProgram({LINGERLAB_BIN, "run", "--cases", "02,13", "--time-scale", "0.5",
                                  "--run-id", run_id, "--out", out_.string()});
  ASSERT_GT(pid, 0);
  // Wait until its cases are running (their namespaces exist), then Ctrl-C.
  ASSERT_TRUE(WaitUntil([&] { return Namespaces(mine).size() >= 4; }, 10 * kNsPerSec))
      << "cases never started";
  // By now both cases sit in long blocking steps (reads lasting 80 s and
  // more at this scale): only killing their agents can end them promptly.
  SleepNs(1500 * kNsPerMs);
  const std::optional<int> status = InterruptAndWait(pid, 20 * kNsPerSec);
  if (!status) {
    RunBinary({"clean"});  // it was killed by its pid; sweep its namespaces
    FAIL() << "lingerlab did not stop within 20 s of SIGINT";
  }
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 130);
  EXPECT_TRUE(Namespaces(mine).empty()) << "namespaces of the interrupted run left behind";
  auto doc = ReadJsonFile((out_ / "results.json").string());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ((*doc)["environment"]["interrupted"], true);
  EXPECT_EQ((*doc)["cases"].size(), 2u);
  for (const json& c : (*doc)["cases"]) {
    EXPECT_EQ(c["status"], "error");
    EXPECT_EQ(c["error"], "interrupted") << c["error"];
    for (const char* role : {"server", "client"}) {
      if (c.contains("agents") && c["agents"][role].is_object()) {
        EXPECT_FALSE(ProcessAlive(c["agents"][role]["pid"].get<pid_t>())) << role << " agent alive";
      }
    }
  }
}

}  // namespace
}  // namespace lingerlab

namespace lingerlab {
namespace {

TEST_F(EndToEndTest, FailedRunsReportTheReasonAndLeaveNothingBehind) {
  struct Failure {
    std::vector<std::string> args;
    std::string reason;
  };
  const std::string id = std::to_string(::getpid() % 100000);
  std::vector<Failure> failures = {
      {{"--agent", "/bin/false", "--run-id", "fa" + id}, "handshake"},
      {{"--case-timeout", "1", "--run-id", "fb" + id}, "case deadline"},
  };
  for (const Failure& f : failures) {
    // The same --out twice: the second run replaces the first's results.
    std::vector<std::string> args = {"run",  "--cases", "02,13",       "--time-scale",
                                     "0.05", "--out",   out_.string(), "--overwrite"};
    args.insert(args.end(), f.args.begin(), f.args.end());
    std::string output;
    EXPECT_EQ(RunBinary(args, &output), 4) << output;
    auto doc = ReadJsonFile((out_ / "results.json").string());
    ASSERT_TRUE(doc.ok());
    for (const json& c : (*doc)["cases"]) {
      EXPECT_EQ(c["status"], "error");
      EXPECT_NE(c["error"].get<std::string>().find(f.reason), std::string::npos) << c["error"];
      EXPECT_EQ(c["verdict"]["status"], "error");
    }
    EXPECT_TRUE(Namespaces("ll-" + f.args.back() + "-").empty());
    for (const json& c : (*doc)["cases"]) {
      for (const char* role : {"server", "client"}) {
        if (c.contains("agents") && c["agents"][role].is_object()) {
          EXPECT_FALSE(ProcessAlive(c["agents"][role]["pid"].get<pid_t>()));
        }
      }
    }
  }
}

}  // namespace
}  // namespace lingerlab

namespace lingerlab {
namespace {

// `lingerlab check` on the committed scaled reference run: it passes against
// the Linux table, and the same measurements deviate from BSD's (the article:
// SO_LINGER {on,0} on a BSD listening socket does not abort, case 03).
TEST(CheckCommandTest, VerdictsAndExitCodesOnTheReferenceRun) {
  const std::string ref =
      std::string(LINGERLAB_SOURCE_DIR) + "/results/reference-scale0.05/results.json";
  std::string out;
  EXPECT_EQ(RunBinary({"check", ref}, &out), 0) << out;
  EXPECT_EQ(RunBinary({"check", ref, "--expect", "bsd"}, &out), 1) << out;
  EXPECT_NE(out.find("03  slow-client__linger-lsock-0"), std::string::npos);
  EXPECT_NE(out.find("deviation: abort_on_close expected false, observed true"), std::string::npos)
      << out;
  EXPECT_EQ(RunBinary({"check", ref, "--expect", "plan9"}, &out), 2);
  EXPECT_NE(out.find("plan9"), std::string::npos);
  EXPECT_EQ(
      RunBinary({"check", std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json"}, &out), 2);
  EXPECT_NE(out.find("not a lingerlab-results/1 document"), std::string::npos);
  EXPECT_EQ(RunBinary({"check", "/nonexistent/results.json"}, &out), 2);
}

// `check --junit`: the bsd comparison's deviation is a <failure> naming the
// claim, in a file xmllint accepts against doc/junit.xsd.
TEST(CheckCommandTest, JunitOutputNamesTheDeviationAndValidates) {
  const std::string src = LINGERLAB_SOURCE_DIR;
  const std::string ref = src + "/results/reference-scale0.05/results.json";
  const std::string xml = ::testing::TempDir() + "/check_junit_" + std::to_string(::getpid()) + ".xml";
  std::string out;
  EXPECT_EQ(RunBinary({"check", ref, "--expect", "bsd", "--junit", xml}, &out), 1) << out;
  std::ifstream in(xml);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("<testcase classname=\"lingerlab.so_linger.03\" "
                            "name=\"03 slow-client__linger-lsock-0 [netns]\""
                            " time=\"6.211\">\n      <failure type=\"deviation\""),
            std::string::npos)
      << text.str().substr(0, 3000);
  EXPECT_EQ(std::system(("xmllint --noout --schema " + src + "/doc/junit.xsd " + xml +
                         " >/dev/null 2>&1").c_str()),
            0);
  // An unwritable --junit is an error after the summary, never a crash.
  const std::string unwritable = ref + "/j.xml";  // a file's "subdirectory"
  EXPECT_EQ(RunBinary({"check", ref, "--junit", unwritable}, &out), 3) << out;
  EXPECT_NE(out.find(unwritable), std::string::npos) << out;
  std::remove(xml.c_str());
}

// `check --tap -`: stdout is the TAP stream alone (the summary goes to
// stderr), and the exit status is check's own.
TEST(CheckCommandTest, TapOnStdoutIsTapAlone) {
  const std::string src = LINGERLAB_SOURCE_DIR;
  const std::string ref = src + "/results/reference-gvisor-scale0.05/results.json";
  const std::string base = ::testing::TempDir() + "/check_tap_" + std::to_string(::getpid());
  const int status = std::system((std::string(LINGERLAB_BIN) + " check " + ref + " --tap - >" +
                                  base + ".out 2>" + base + ".err")
                                     .c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);  // gVisor deviates from Linux's table
  std::ifstream out(base + ".out"), err(base + ".err");
  std::stringstream tap, log;
  tap << out.rdbuf();
  log << err.rdbuf();
  EXPECT_EQ(tap.str().rfind("TAP version 13\n", 0), 0u) << tap.str().substr(0, 300);
  EXPECT_NE(tap.str().find("\nnot ok 3 - 03 slow-client__linger-lsock-0 [gvisor]\n"),
            std::string::npos);
  EXPECT_TRUE(tap.str().ends_with("# Totals: pass:6 fail:6 xfail:0 xpass:0 skip:22 error:0\n"));
  EXPECT_EQ(tap.str().find("summary:"), std::string::npos);
  EXPECT_NE(log.str().find("summary:"), std::string::npos) << log.str();
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
}

// `lingerlab diff`: two reference runs of one kernel are the same; an edited
// claim is reported and exits 1; bad files are exit 2.
// --json on list, check and diff: one document on stdout (-q: no log lines),
// the exit codes of the plain commands (doc/json-output.md).
TEST(JsonOutputCommandTest, ListCheckAndDiffPrintOneDocumentWithTheirExitCodes) {
  const std::string src = LINGERLAB_SOURCE_DIR;
  const std::string host = src + "/results/reference-scale0.05/results.json";
  const std::string gvisor = src + "/results/reference-gvisor-scale0.05/results.json";
  std::string out;
  ASSERT_EQ(RunBinary({"-q", "list", "--json"}, &out), 0) << out;
  nlohmann::json doc = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out;
  EXPECT_EQ(doc["format"], "lingerlab-list/1");
  EXPECT_EQ(doc["cases"].size(), 34u);

  ASSERT_EQ(RunBinary({"-q", "check", host, "--expect", "bsd", "--json"}, &out), 1) << out;
  doc = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out;
  EXPECT_EQ(doc["format"], "lingerlab-check/1");
  EXPECT_GT(doc["summary"]["deviation"].get<int>(), 0);
  EXPECT_EQ(doc["cases"][2]["id"], "03");
  EXPECT_EQ(doc["cases"][2]["verdict"], "deviation");
  EXPECT_EQ(doc["cases"][2]["not_passed"][0]["claim"], "abort_on_close");

  ASSERT_EQ(RunBinary({"-q", "diff", host, gvisor, "--json"}, &out), 1) << out;
  doc = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << out;
  EXPECT_EQ(doc["format"], "lingerlab-diff/1");
  EXPECT_EQ(doc["compared_cases"], 34);
  EXPECT_EQ(doc["changed_cases"], 10);  // issue 19: host -> gVisor
  ASSERT_EQ(RunBinary({"-q", "diff", host, host, "--json"}, &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["changes"].size(), 0u);

  // Both on stdout: refused before anything is read.
  EXPECT_EQ(RunBinary({"check", host, "--json", "--tap", "-"}, &out), 2);
  EXPECT_NE(out.find("both want stdout"), std::string::npos) << out;
}

TEST(DiffCommandTest, SameKernelIsNoChangeAnEditedClaimIsExit1) {
  const std::string src = LINGERLAB_SOURCE_DIR;
  const std::string base = src + "/results/reference-scale0.05/results.json";
  const std::string remote = src + "/results/reference-remote-scale0.05/results.json";
  std::string out;
  EXPECT_EQ(RunBinary({"diff", base, remote}, &out), 0) << out;
  EXPECT_NE(out.find("no change in 34 case(s)"), std::string::npos) << out;

  std::ifstream in(base);
  nlohmann::json doc = nlohmann::json::parse(in);
  // 06: the server's close() returns at once instead of blocking for the linger time.
  bool edited_close = false;
  for (nlohmann::json& e : doc["cases"][5]["events"]["server"])
    if (e["step"] == "close" && e["handle"] == "csock") {
      e["t_end"] = e["t_start"].get<double>() + 0.00005;
      edited_close = true;
    }
  ASSERT_TRUE(edited_close);
  const std::string edited =
      ::testing::TempDir() + "/diff_edited_" + std::to_string(::getpid()) + ".json";
  std::ofstream(edited) << doc.dump();
  EXPECT_EQ(RunBinary({"diff", base, edited}, &out), 1) << out;
  EXPECT_NE(out.find("06 close_blocked_s: "), std::string::npos) << out;
  EXPECT_NE(out.find("06 verdict: \"pass\" -> "), std::string::npos) << out;
  EXPECT_EQ(RunBinary({"diff", base, "/nonexistent.json"}, &out), 2);
  EXPECT_EQ(RunBinary({"diff", base}, &out), 2);
  std::remove(edited.c_str());
}

TEST(ReportCommandTest, ExpectedTablesAloneReproduceTheArticlesRows) {
  std::string out;
  ASSERT_EQ(RunBinary({"report"}, &out), 0);
  // Rows of the article's two tables, verbatim.
  EXPECT_NE(out.find("| BSD | No | Yes | No | Yes |"), std::string::npos) << out;
  EXPECT_NE(out.find("| Windows (Native) | Yes | Yes | No | No |"), std::string::npos);
  EXPECT_NE(out.find("| Darwin | Yes | 0.2 | No | No |"), std::string::npos);
  EXPECT_NE(out.find("| Windows (Cygwin) | Yes * | Until FIN is ACK'd | No | No |"),
            std::string::npos);
}

}  // namespace
}  // namespace lingerlab

namespace lingerlab {
namespace {

// --- bad input files and options: exit 2, naming the file and the field -----
// (Before: uncaught exceptions aborted with 134, stack overflows gave 139.)

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshDir("ll-badinput"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const json& doc) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << doc.dump();
    return path;
  }
  static json Load(const std::string& relative) {
    std::ifstream in(std::string(LINGERLAB_SOURCE_DIR) + "/" + relative);
    return json::parse(in);
  }
  // Runs lingerlab; expects exit 2 and every one of `needles` in its output.
  void ExpectUsageError(const std::vector<std::string>& args,
                        const std::vector<std::string>& needles) {
    std::string out;
    const int rc = RunBinary(args, &out);
    std::string cmd;
    for (const std::string& a : args) cmd += " " + a.substr(0, 80);
    EXPECT_EQ(rc, 2) << "lingerlab" << cmd << "\n" << out;
    for (const std::string& n : needles)
      EXPECT_NE(out.find(n), std::string::npos) << "lingerlab" << cmd << ": no '" << n << "' in\n"
                                                << out;
  }
  fs::path dir_;
};

TEST_F(BadInputTest, MatrixWithWrongTypesOrRangesIsExit2NamingFileAndField) {
  const json good = Load("matrix/so_linger.json");
  struct Bad {
    std::string pointer;
    json value;
    std::string field;
  };
  const std::vector<Bad> bad = {
      {"/format", 1, "format"},
      {"/name", 1, "name"},
      {"/title", 1, "title"},
      {"/source", 1, "source"},
      {"/cases/3/id", 1, "cases[3].id"},
      {"/cases/3/name", 1, "case 04.name"},
      {"/cases/3/client", 1, "case 04.client"},
      {"/cases/3/linger/socket", 1, "case 04.linger.socket"},
      {"/cases/3/shutdown", 1, "case 04.shutdown"},
      {"/cases/3/id", std::string(200000, '7'), "cases[3].id"},
      {"/cases/5/linger/seconds", (uint64_t{1} << 32) + 20, "case 06.linger.seconds"},
      {"/defaults/port", 70000, "defaults.port"},
      {"/defaults/payload_bytes", -5, "defaults.payload_bytes"},
      {"/defaults/idle_s", 1e300, "defaults.idle_s"},
      {"/summary_tables/on_zero_connected/0", "99", "summary_tables.on_zero_connected[0]"},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    json doc = good;
    doc[json::json_pointer(bad[i].pointer)] = bad[i].value;
    const std::string path = Write("matrix" + std::to_string(i) + ".json", doc);
    ExpectUsageError({"list", "--matrix", path}, {path + ": " + bad[i].field + ": "});
  }
  ExpectUsageError({"list", "--matrix", dir_.string()}, {dir_.string() + ": is a directory"});
  ExpectUsageError({"run", "--matrix", dir_.string()}, {dir_.string() + ": is a directory"});
  json deep = good;
  deep["source"] = json::array();
  std::string text = good.dump();
  text.insert(text.size() - 1, ", \"x\": " + std::string(100000, '[') + std::string(100000, ']'));
  const std::string deep_path = (dir_ / "deep.json").string();
  std::ofstream(deep_path) << text;
  ExpectUsageError({"list", "--matrix", deep_path}, {deep_path + ": invalid JSON: "});
}

TEST_F(BadInputTest, DamagedResultsFilesAreExit2ForCheckAndReport) {
  const json good = Load("results/reference-scale0.05/results.json");
  struct Bad {
    std::string name;
    std::function<void(json&)> damage;
    std::string field;
  };
  const std::vector<Bad> bad = {
      {"no-environment", [](json& d) { d.erase("environment"); }, "environment: "},
      {"family-number",
       [](json& d) {
         for (json& c : d["cases"]) c["agents"]["server"]["platform"]["family"] = 7;
       },
       "cases[0].agents.server.platform.family: "},
      {"time-scale-string", [](json& d) { d["environment"]["time_scale"] = "fast"; },
       "environment.time_scale: "},
      {"case-time-scale", [](json& d) { d["cases"][2]["parameters"]["time_scale"] = 1; },
       "cases[2].parameters.time_scale: "},
      {"id-number", [](json& d) { d["cases"][1]["id"] = 2; }, "cases[1].id: "},
      {"claim-type", [](json& d) { d["cases"][0]["outcome"]["claims"]["client_bytes"] = "all"; },
       "cases[0].outcome.claims.client_bytes: "},
  };
  for (const Bad& b : bad) {
    json doc = good;
    b.damage(doc);
    const std::string path = Write(b.name + ".json", doc);
    ExpectUsageError({"check", path}, {path + ": " + b.field});
    ExpectUsageError({"report", path}, {path + ": " + b.field});
  }
  // Events the classifier would have skipped: check used to exit 0 on them.
  json doc = good;
  doc["cases"][0]["events"]["server"] = 5;
  const std::string events = Write("events.json", doc);
  ExpectUsageError({"check", events}, {events + ": cases[0].events.server: "});
  std::string text = good.dump();
  text.insert(text.size() - 1, ", \"x\": " + std::string(100000, '{') + std::string(100000, '}'));
  const std::string deep = (dir_ / "deep.json").string();
  std::ofstream(deep) << text;
  ExpectUsageError({"check", deep}, {deep + ": invalid JSON: "});
  ExpectUsageError({"report", deep}, {deep + ": invalid JSON: "});
  ExpectUsageError({"check", dir_.string()}, {dir_.string() + ": is a directory"});
  ExpectUsageError({"report", dir_.string()}, {dir_.string() + ": is a directory"});
}

TEST_F(BadInputTest, BadExpectedTableIsExit2NamingFileAndField) {
  fs::create_directories(dir_ / "expected");
  json linux_table = Load("matrix/expected/linux.json");
  linux_table["cases"]["03"]["abort_on_close"]["value"] = "yes";
  const std::string path = Write("expected/linux.json", linux_table);
  const std::string ref =
      std::string(LINGERLAB_SOURCE_DIR) + "/results/reference-scale0.05/results.json";
  ExpectUsageError({"check", ref, "--expected-dir", (dir_ / "expected").string()},
                   {path + ": cases.03.abort_on_close: value must be a boolean"});
  linux_table = Load("matrix/expected/linux.json");
  linux_table["matrix"] = "other";
  Write("expected/linux.json", linux_table);
  ExpectUsageError({"report", "--expected-dir", (dir_ / "expected").string()},
                   {path + ": matrix: "});
}

TEST_F(BadInputTest, NonFiniteOrAbsurdOptionsAreExit2) {
  for (const char* scale : {"nan", "NaN", "inf", "-inf", "0", "-1", "1e9", "0.05x", ""})
    ExpectUsageError({"run", "--time-scale", scale}, {"--time-scale"});
  for (const char* timeout : {"nan", "inf", "-1", "1e12", "abc"})
    ExpectUsageError({"run", "--case-timeout", timeout}, {"--case-timeout"});
  for (const char* jobs : {"abc", "-1", "100000", "1.5"})
    ExpectUsageError({"run", "--jobs", jobs}, {"--jobs"});
  for (const char* cases : {"zz", "03,,zz", ",,,"}) ExpectUsageError({"run", "--cases", cases}, {});
}

}  // namespace
}  // namespace lingerlab

// --- output: unique directories, per-case files, failures to write ----------

namespace lingerlab {
namespace {

constexpr const char* kFastCase = "11";  // fast-client__no-linger__shutdown: ~1.5 s at 0.05

// Issue 6 #8: two runs started in the same second with the default output
// directory used to share results/run-<time>/ and overwrite each other.
TEST_F(EndToEndTest, RunsStartedTogetherGetTheirOwnDefaultDirectories) {
  const std::string id = std::to_string(::getpid() % 100000);
  pid_t a = StartProgram(
      {LINGERLAB_BIN, "run", "--cases", kFastCase, "--time-scale", "0.05", "--run-id", "ua" + id},
      out_ / "a.log", out_);
  pid_t b = StartProgram(
      {LINGERLAB_BIN, "run", "--cases", kFastCase, "--time-scale", "0.05", "--run-id", "ub" + id},
      out_ / "b.log", out_);
  const int ra = WaitExit(a), rb = WaitExit(b);
  EXPECT_EQ(ra, 0) << ReadAll(out_ / "a.log");
  EXPECT_EQ(rb, 0) << ReadAll(out_ / "b.log");
  std::vector<fs::path> dirs;
  for (auto& e : fs::directory_iterator(out_ / "results"))
    if (e.is_directory() && !e.is_symlink()) dirs.push_back(e.path());
  ASSERT_EQ(dirs.size(), 2u) << "both runs wrote into one directory";
  for (const fs::path& d : dirs) {
    auto doc = ReadJsonFile((d / "results.json").string());
    ASSERT_TRUE(doc.ok()) << d;
    EXPECT_EQ((*doc)["cases"].size(), 1u);
  }
  ASSERT_TRUE(fs::is_symlink(out_ / "results" / "latest"));
  EXPECT_TRUE(fs::exists(out_ / "results" / "latest" / "results.json"));
}

TEST_F(EndToEndTest, AnExplicitOutWithResultsIsRefusedWithoutOverwrite) {
  std::ofstream(out_ / "results.json") << "{\"precious\": true}\n";
  std::string output;
  EXPECT_EQ(RunBinary({"run", "--cases", kFastCase, "--out", out_.string()}, &output), 2) << output;
  EXPECT_NE(output.find("already holds results.json"), std::string::npos) << output;
  EXPECT_NE(output.find("--overwrite"), std::string::npos) << output;
  EXPECT_EQ(ReadAll(out_ / "results.json"), "{\"precious\": true}\n");
}

// Issue 6 #11: root without CAP_NET_ADMIN used to start every case and fail
// each one (exit 4); now one message naming the capability, exit 3.
TEST_F(EndToEndTest, RootWithoutNetAdminIsRefusedBeforeAnyCase) {
  if (RunCommand({"setpriv", "--version"}).exit_code != 0) GTEST_SKIP() << "no setpriv";
  const std::string run_id = RunId("nc");
  CommandResult r = RunCommand({"setpriv", "--inh-caps=-net_admin", "--bounding-set=-net_admin",
                                LINGERLAB_BIN, "run", "--cases", "02,04", "--time-scale", "0.05",
                                "--run-id", run_id, "--out", out_.string()});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("CAP_NET_ADMIN"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("CAP_SYS_ADMIN"), std::string::npos) << "only what is missing";
  // No case may start: no "case 02 ...: started" log line and no summary line
  // "02  slow-client..." (not a bare "02 ", which a log time's milliseconds,
  // "12:00:00.502 error", can contain).
  EXPECT_EQ(r.output.find("case 02"), std::string::npos) << "no case may start: " << r.output;
  EXPECT_EQ(r.output.find("02  slow-client"), std::string::npos) << "no case may start: " << r.output;
  EXPECT_FALSE(fs::exists(out_ / "results.json"));
  EXPECT_TRUE(Namespaces("ll-" + run_id + "-").empty());
}

// Issue 6 #12: an agent that dies after close(), during settle, used to go
// unnoticed. On netns the kernel keeps the orphan: a warning, not an error.
TEST_F(EndToEndTest, AnAgentKilledDuringSettleIsAWarningOnTheCase) {
  auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
  ASSERT_TRUE(m.ok());
  auto cases = SelectCases(*m, kFastCase);
  ASSERT_TRUE(cases.ok());
  const std::string run_id = RunId("ks");
  json results;
  std::atomic<pid_t> killed{-1};
  {
    auto target = MakeTarget("netns", TargetConfig::For(LINGERLAB_AGENT_PATH, run_id));
    ASSERT_TRUE(target.ok());
    ASSERT_TRUE((*target)->CheckUsable().ok());
    RunOptions opt;
    opt.time_scale = 0.05;
    opt.out_dir = out_.string();
    opt.on_settle = [&](pid_t server, pid_t) {
      ::kill(server, SIGKILL);  // by pid: the agent this case started
      killed = server;
    };
    std::atomic<bool> cancelled{false};
    results = RunMatrix(*cases, **target, opt, cancelled);
  }
  EXPECT_TRUE(Namespaces("ll-" + run_id).empty());
  ASSERT_GT(killed.load(), 0);
  const json& c = results["cases"][0];
  EXPECT_EQ(c["status"], "completed") << c.dump();
  EXPECT_EQ(results["summary"]["warnings"], 1) << results["summary"];
  ASSERT_EQ(c["warnings"].size(), 1u) << c["warnings"];
  const std::string w = c["warnings"][0];
  EXPECT_NE(w.find("server agent (pid " + std::to_string(killed.load()) + ") exited"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("before bye"), std::string::npos) << w;
  // The case's own file, written as it finished, says the same.
  auto kept = ReadJsonFile(out_ / "cases" / ("11__" + c["name"].get<std::string>() + ".json"));
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  EXPECT_EQ((*kept)["warnings"], c["warnings"]);
}

// Issue 6 #10: a results.json that cannot be written is a clear error with
// its own exit code, and each case's document is already on disk.
TEST_F(EndToEndTest, AnUnwritableResultsFileExits5AndEachCaseIsKept) {
  fs::create_directories(out_ / "results.json");  // rename() onto a directory fails
  std::string output;
  EXPECT_EQ(RunBinary({"run", "--cases", kFastCase, "--time-scale", "0.05", "--out", out_.string(),
                       "--overwrite", "--run-id", RunId("rw")},
                      &output),
            5)
      << output;
  EXPECT_NE(output.find("results file was not written"), std::string::npos) << output;
  int kept = 0;
  for (auto& e : fs::directory_iterator(out_ / "cases")) {
    auto doc = ReadJsonFile(e.path().string());
    ASSERT_TRUE(doc.ok()) << e.path();
    EXPECT_EQ((*doc)["id"], kFastCase);
    EXPECT_EQ((*doc)["status"], "completed");
    EXPECT_TRUE((*doc).contains("verdict"));
    ++kept;
  }
  EXPECT_EQ(kept, 1);
}

// Issue 6 #10: on a full disk the pcap used to be left empty and the case
// "completed". A tmpfs of 64 KiB, filled up, in a directory of our own.
TEST_F(EndToEndTest, AFullDiskMakesTheCaseAnErrorNotAnEmptyPcap) {
  const fs::path disk = out_ / "disk";
  fs::create_directories(disk);
  ASSERT_EQ(::mount("tmpfs", disk.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64k"), 0)
      << std::strerror(errno);
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{disk};
  fs::create_directories(disk / "run" / "pcaps");
  fs::create_directories(disk / "run" / "cases");
  {
    int fd = ::open((disk / "filler").c_str(), O_WRONLY | O_CREAT, 0600);
    const std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    ::close(fd);
  }
  std::string output;
  const int rc = RunBinary({"run", "--cases", kFastCase, "--time-scale", "0.05", "--out",
                            (disk / "run").string(), "--run-id", RunId("fd")},
                           &output);
  EXPECT_EQ(rc, 5) << output;  // and results.json cannot be written either
  EXPECT_NE(output.find("11  fast-client__no-linger__shutdown"), std::string::npos) << output;
  EXPECT_NE(output.find("error"), std::string::npos) << output;
  EXPECT_NE(output.find("capture: writing pcap file"), std::string::npos) << output;
  EXPECT_NE(output.find("No space left on device"), std::string::npos) << output;
}

}  // namespace
}  // namespace lingerlab

namespace lingerlab {
namespace {

// The scenario is data (matrix/so_linger.json "scenarios"): running it gives
// the same claims as the committed reference run, made when the steps were
// C++. One case per kind of step list: no linger, {on,0} on the listening and
// the connected socket, {on,20} with a fast client, shutdown with an
// unbounded and a bounded EOF wait, and linger set after shutdown().
TEST_F(EndToEndTest, TheScenarioAsDataKeepsTheReferenceOutcomes) {
  const std::string run_id = RunId("sd");
  std::string out;
  ASSERT_EQ(RunBinary({"run", "--cases", "02,03,04,10,11,15,32", "--time-scale", "0.05",
                       "--run-id", run_id, "--out", out_.string(), "-q"},
                      &out),
            0)
      << out;
  const std::string ref =
      std::string(LINGERLAB_SOURCE_DIR) + "/results/reference-scale0.05/results.json";
  EXPECT_EQ(RunBinary({"diff", ref, (out_ / "results.json").string(), "--cases",
                       "02,03,04,10,11,15,32"},
                      &out),
            0)
      << out;
  EXPECT_TRUE(Namespaces("ll-" + run_id).empty());
}

// bert hubert's data-loss cases (matrix/data_loss.json): an unread request
// turns close() into a RST that cuts the response short; shutdown + read to
// EOF and an application acknowledgement deliver it whole.
TEST_F(EndToEndTest, DataLossMatrixShowsTheResetAndItsCures) {
  const std::string run_id = RunId("dl");
  std::string out;
  ASSERT_EQ(RunBinary({"run", "--matrix", "matrix/data_loss.json", "--cases", "DL01,DL04,DL07",
                       "--time-scale", "0.05", "--run-id", run_id, "--out", out_.string()},
                      &out),
            0)
      << out;
  auto doc = ReadJsonFile((out_ / "results.json").string());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  auto claims = [&](const char* id) { return (*FindCase(*doc, id))["outcome"]["claims"]; };
  const json lost = claims("DL01");
  EXPECT_EQ(lost["abort_on_close"], true) << lost.dump();
  EXPECT_EQ(lost["data_lost"], true) << lost.dump();
  EXPECT_LT(lost["client_bytes"].get<int64_t>(), 20480);
  EXPECT_EQ(lost["client_end"], "ECONNRESET");
  for (const char* cured : {"DL04", "DL07"}) {
    EXPECT_EQ(claims(cured)["data_lost"], false) << cured << claims(cured).dump();
    EXPECT_EQ(claims(cured)["abort_on_close"], false) << cured << claims(cured).dump();
    EXPECT_EQ(claims(cured)["client_bytes"], 20480) << cured;
  }
  EXPECT_EQ((*FindCase(*doc, "DL07"))["parameters"]["scenario"], "app_ack");
  EXPECT_EQ(RunBinary({"check", (out_ / "results.json").string(), "--matrix",
                       "matrix/data_loss.json"},
                      &out),
            0)
      << out;
  EXPECT_TRUE(Namespaces("ll-" + run_id).empty());
}

// --close-mode nonblocking sets O_NONBLOCK right before the server's close():
// recorded in the parameters and the events, and never compared with the
// (blocking) published tables.
TEST_F(EndToEndTest, NonblockingCloseIsRecordedAndNotCompared) {
  const std::string run_id = RunId("nb");
  std::string out;
  ASSERT_EQ(RunBinary({"run", "--cases", "04", "--time-scale", "0.05", "--close-mode",
                       "nonblocking", "--run-id", run_id, "--out", out_.string()},
                      &out),
            0)
      << out;
  auto doc = ReadJsonFile((out_ / "results.json").string());
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  const json& c = (*doc)["cases"][0];
  EXPECT_EQ(c["parameters"]["variant"], "nonblocking-close");
  EXPECT_EQ(c["verdict"]["status"], "no-expectation") << c["verdict"].dump();
  const json* nb = LastEvent(c["events"]["server"], "nonblock", "csock");
  ASSERT_NE(nb, nullptr);
  EXPECT_EQ((*nb)["ret"], 0);
  EXPECT_EQ(RunBinary({"run", "--cases", "04", "--close-mode", "sometimes"}, &out), 2) << out;
}

}  // namespace
}  // namespace lingerlab

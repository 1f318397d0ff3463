// `lingerlab run --repeat N` end to end (doc/results-format.md
// "Repetitions"): two cases twice each on the netns lab, and what check,
// show, report and diff make of it; a repeated document with a finding
// fails `check`; and a 340-case `--repeat 10` run interrupted (SIGINT) or
// killed (SIGKILL), then `lingerlab clean`, leaves no namespace, agent
// process or run lock behind. The runs need root.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "suite/coordinator/results_writer.h"
#include "suite/targets/netns_lab.h"
#include "suite/testing/e2e_support.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class RepeatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (SkipUnlessRoot("CAP_NET_ADMIN for network namespaces")) return;
    out_ = FreshDir("ll-repeat");
  }
  void TearDown() override {
    if (!out_.empty()) fs::remove_all(out_);
  }
  fs::path out_;
};

TEST_F(RepeatTest, TwoCasesTwiceEachAreKeptPerRepetitionAndReadByEveryCommand) {
  const std::string run_id = RunId("rep");
  const std::string out = (out_ / "r").string();
  std::string text;
  const int rc = RunBinary({"run", "--repeat", "2", "--cases", "02,04", "--time-scale", "0.05",
                            "--run-id", run_id, "--out", out},
                           &text, 120 * kNsPerSec);
  EXPECT_EQ(rc, 0) << text;
  EXPECT_TRUE(Namespaces("ll-" + run_id).empty());
  auto doc = ReadJsonFile(out + "/results.json");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  const json& r = *doc;
  EXPECT_EQ(r["environment"]["repeat"], 2);
  EXPECT_EQ(r["summary"]["cases"], 4);
  EXPECT_EQ(r["summary"]["completed"], 4) << r["summary"];
  EXPECT_EQ(r["summary"]["unstable"], 0) << text;
  ASSERT_EQ(r["cases"].size(), 4u);
  const std::vector<std::pair<std::string, int>> order = {
      {"02", 1}, {"02", 2}, {"04", 1}, {"04", 2}};
  for (size_t i = 0; i < order.size(); ++i) {
    const json& c = r["cases"][i];
    EXPECT_EQ(c["id"], order[i].first);
    EXPECT_EQ(c["repetition"], order[i].second);
    const std::string stem = c["id"].get<std::string>() + "__" + c["name"].get<std::string>() +
                             "__r" + std::to_string(order[i].second);
    EXPECT_TRUE(fs::exists(out + "/cases/" + stem + ".json")) << stem;
    EXPECT_EQ(c["capture"]["pcap"], "pcaps/" + stem + ".pcap");
    EXPECT_TRUE(fs::exists(out + "/pcaps/" + stem + ".pcap")) << stem;
    // Each repetition had a lab of its own.
    EXPECT_NE(c["hosts"]["server"]["netns"].get<std::string>().find(
                  c["id"].get<std::string>() + "r" + std::to_string(order[i].second)),
              std::string::npos);
  }
  EXPECT_NE(r["cases"][0]["hosts"]["server"]["address"],
            r["cases"][1]["hosts"]["server"]["address"]);

  // check: the same verdicts, the stability summary, exit 0.
  EXPECT_EQ(RunBinary({"check", out + "/results.json"}, &text), 0) << text;
  EXPECT_NE(text.find("\"unstable\":0"), std::string::npos) << text;
  // show: a repetition by option or by stem; a repetition the run lacks is exit 2.
  EXPECT_EQ(RunBinary({"show", out + "/results.json", "04", "--repetition", "2"}, &text), 0)
      << text;
  EXPECT_NE(text.find("close"), std::string::npos);
  const std::string stem2 = "04__" + r["cases"][3]["name"].get<std::string>() + "__r2";
  EXPECT_EQ(RunBinary({"show", out + "/results.json", stem2}, &text), 0) << text;
  EXPECT_EQ(RunBinary({"show", out + "/results.json", "04"}, &text), 0) << text;
  EXPECT_EQ(RunBinary({"show", out + "/results.json", "04", "--repetition", "3"}, &text), 2);
  EXPECT_NE(text.find("no repetition 3"), std::string::npos) << text;
  // report: a stability table per repeated run, in both formats.
  EXPECT_EQ(RunBinary({"report", out + "/results.json", "-o", out + "/report.md"}, &text), 0);
  const std::string md = ReadAll(out + "/report.md");
  EXPECT_NE(md.find("## Stability over repetitions: R1 (2 repetitions)"), std::string::npos);
  EXPECT_NE(md.find("abort_on_close=true"), std::string::npos) << md;
  EXPECT_EQ(
      RunBinary({"report", out + "/results.json", "--format", "html", "-o", out + "/report.html"},
                &text),
      0);
  EXPECT_NE(ReadAll(out + "/report.html").find("Stability over repetitions"), std::string::npos);
  // diff: a repeated run against itself and against a run of one
  // repetition per case (the reference run, 02 and 04 only) is no change.
  EXPECT_EQ(RunBinary({"diff", out + "/results.json", out + "/results.json"}, &text), 0) << text;
  const std::string ref =
      std::string(LINGERLAB_SOURCE_DIR) + "/results/reference-scale0.05/results.json";
  EXPECT_EQ(RunBinary({"diff", ref, out + "/results.json", "--cases", "02,04"}, &text), 0) << text;
}

// A repeated document whose repetitions disagree on a decided claim: case 06
// closes at once in one repetition and lingers in the other. check names
// the finding and exits 1; the report marks it. No root needed.
TEST(RepeatCheckTest, RepetitionsThatDisagreeFailCheck) {
  const std::string src = LINGERLAB_SOURCE_DIR;
  std::ifstream in(src + "/results/reference-scale0.05/results.json");
  const json once = json::parse(in);
  json doc = once;
  doc["environment"]["repeat"] = 2;
  doc["cases"] = json::array();
  for (const json& c : once["cases"])
    for (int k = 1; k <= 2; ++k) {
      json rep = c;
      rep["repetition"] = k;
      if (c["id"] == "06" && k == 2)
        for (json& e : rep["events"]["server"])
          if (e["step"] == "close" && e["handle"] == "csock")
            e["t_end"] = e["t_start"].get<double>() + 0.00005;
      doc["cases"].push_back(std::move(rep));
    }
  const std::string dir = FreshDir("repeat_check").string();
  const std::string path = dir + "/results.json";
  std::ofstream(path) << doc.dump();
  std::string text;
  EXPECT_EQ(RunBinary({"check", path}, &text), 1) << text;
  EXPECT_NE(text.find("06  varies over 2 repetition(s): close_blocks: "), std::string::npos)
      << text;
  EXPECT_NE(text.find("FINDING"), std::string::npos) << text;
  EXPECT_NE(text.find("\"unstable\":1"), std::string::npos) << text;
  // The report reads the stored claims: those `check --write` derived.
  const std::string checked = dir + "/checked.json";
  EXPECT_EQ(RunBinary({"check", path, "--write", checked}, &text), 1) << text;
  EXPECT_EQ(RunBinary({"report", checked}, &text), 0);
  EXPECT_NE(text.find("1 of 34 case(s) with findings"), std::string::npos) << text;
  EXPECT_NE(text.find("| 06 ⚠ |"), std::string::npos) << text;
  // Without the disagreement the same document passes.
  doc["cases"] = json::array();
  for (const json& c : once["cases"])
    for (int k = 1; k <= 2; ++k) {
      json rep = c;
      rep["repetition"] = k;
      doc["cases"].push_back(std::move(rep));
    }
  std::ofstream(path) << doc.dump();
  EXPECT_EQ(RunBinary({"check", path}, &text), 0) << text;
  // A repetition beyond environment.repeat is a bad file.
  doc["cases"][1]["repetition"] = 3;
  std::ofstream(path) << doc.dump();
  EXPECT_EQ(RunBinary({"check", path}, &text), 2);
  EXPECT_NE(text.find("cases[1].repetition"), std::string::npos) << text;
  fs::remove_all(dir);
}

// Starts `lingerlab run --repeat 10` (340 cases at time scale 0.05) and
// returns its pid once `min_namespaces` of its namespaces exist (or after
// 20 s).
pid_t StartRepeatRun(const std::string& run_id, const std::string& out, size_t min_namespaces) {
  const pid_t pid = StartProgram({LINGERLAB_BIN, "-q", "run", "--repeat", "10", "--time-scale",
                                  "0.05", "--run-id", run_id, "--out", out});
  WaitUntil([&] { return Namespaces("ll-" + run_id + "-").size() >= min_namespaces; },
            20 * kNsPerSec);
  return pid;
}

void ExpectNothingLeft(const std::string& run_id) {
  EXPECT_TRUE(Namespaces("ll-" + run_id + "-").empty()) << "namespaces of " << run_id << " left";
  EXPECT_TRUE(PidsRunning(LINGERLAB_AGENT_PATH).empty()) << "an agent outlived its run";
  EXPECT_FALSE(fs::exists(RunLockPath(run_id))) << RunLockPath(run_id);
}

TEST_F(RepeatTest, InterruptedRepeatRunThenCleanLeavesNothing) {
  const std::string run_id = RunId("ri");
  const std::string out = (out_ / "r").string();
  const pid_t pid = StartRepeatRun(run_id, out, 20);
  ASSERT_GT(pid, 0);
  ASSERT_GE(Namespaces("ll-" + run_id + "-").size(), 20u) << "cases never started";
  SleepNs(500 * kNsPerMs);
  const std::optional<int> ended = InterruptAndWait(pid, 90 * kNsPerSec);
  if (!ended) RunBinary({"clean"});
  ASSERT_TRUE(ended) << "lingerlab did not stop within 90 s of SIGINT";
  const int status = *ended;
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::string text;
  EXPECT_EQ(RunBinary({"clean"}, &text), 0) << text;
  ExpectNothingLeft(run_id);
  // The interrupted run still wrote all 340 documents.
  auto doc = ReadJsonFile(out + "/results.json");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ((*doc)["cases"].size(), 340u);
  EXPECT_EQ((*doc)["environment"]["interrupted"], true);
}

TEST_F(RepeatTest, KilledRepeatRunThenCleanLeavesNothing) {
  const std::string run_id = RunId("rk");
  const std::string out = (out_ / "r").string();
  const pid_t pid = StartRepeatRun(run_id, out, 20);
  ASSERT_GT(pid, 0);
  ASSERT_GE(Namespaces("ll-" + run_id + "-").size(), 20u) << "cases never started";
  SleepNs(500 * kNsPerMs);
  ::kill(pid, SIGKILL);  // by its pid: no teardown at all
  WaitExit(pid);
  EXPECT_FALSE(Namespaces("ll-" + run_id + "-").empty()) << "nothing to clean: the test is void";
  std::string text;
  EXPECT_EQ(RunBinary({"clean"}, &text, 120 * kNsPerSec), 0) << text;
  EXPECT_NE(text.find("leftover(s) removed"), std::string::npos) << text;
  // Agents die with their coordinator (PR_SET_PDEATHSIG); give them a moment.
  WaitUntil([] { return PidsRunning(LINGERLAB_AGENT_PATH).empty(); }, 5 * kNsPerSec);
  ExpectNothingLeft(run_id);
}

}  // namespace
}  // namespace lingerlab

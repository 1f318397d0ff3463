// The run-comparison grid: every measured claim shown, and a cell marked
// exactly where run_diff (the comparison `lingerlab diff` prints) finds a
// change -- with or without an expected table, within tolerances and race
// classes as `diff` compares.
#include "suite/report/run_grid.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "suite/expect/test_matrix.h"

namespace lingerlab {
namespace {

using nlohmann::json;

const std::string kSource = LINGERLAB_SOURCE_DIR;

json Load(const std::string& run) {
  std::ifstream in(kSource + "/results/" + run + "/results.json");
  return json::parse(in);
}

std::vector<ExpectedTable> Tables() {
  auto t = LoadExpectedDir(kSource + "/matrix/expected", SoLingerMatrix());
  EXPECT_TRUE(t.ok());
  return t.ok() ? *t : std::vector<ExpectedTable>{};
}

json& Case(json& doc, const std::string& id) {
  for (json& c : doc["cases"])
    if (c["id"] == id) return c;
  ADD_FAILURE() << "no case " << id;
  static json none;
  return none;
}

const GridRow& Row(const RunGrid& g, const std::string& id) {
  for (const GridRow& r : g.rows)
    if (r.case_id == id) return r;
  ADD_FAILURE() << "no row " << id;
  static GridRow none;
  return none;
}

const GridClaim* Claim(const GridCell& cell, const std::string& name) {
  for (const GridClaim& g : cell.claims)
    if (g.claim == name) return &g;
  return nullptr;
}

struct Built {
  std::vector<ExpectedTable> tables = Tables();
  std::vector<json> docs;
  ReportModel model;
  RunGrid grid;
  explicit Built(std::vector<json> d) : docs(std::move(d)) {
    model = BuildReportModel(SoLingerMatrix(), tables, docs);
    grid = BuildRunGrid(model, docs);
  }
};

TEST(RunGridTest, EveryMeasuredClaimOfEveryCaseIsAGridLine) {
  Built b(std::vector<json>{Load("reference-scale0.05")});
  ASSERT_EQ(b.grid.rows.size(), SoLingerMatrix().cases.size());
  size_t lines = 0;
  for (const json& c : b.docs[0]["cases"]) {
    const GridCell& cell = Row(b.grid, c["id"].get<std::string>()).cells.at(0);
    EXPECT_TRUE(cell.present);
    for (auto& [name, value] : c["outcome"]["claims"].items()) {
      const GridClaim* g = Claim(cell, name);
      ASSERT_NE(g, nullptr) << c["id"] << " " << name;
      EXPECT_EQ(g->text, name + "=" + ClaimValueText(value));
      EXPECT_FALSE(g->changed);
      ++lines;
    }
  }
  EXPECT_GT(lines, 34u * 5);
  EXPECT_TRUE(b.grid.changed_vs_base.at(0).empty());
}

TEST(RunGridTest, MarksADifferenceWhereNoTableHasAnExpectation) {
  json now = Load("reference-scale0.05");
  // Case 27: the Linux table says nothing about it; close() now blocks.
  json& c = Case(now, "27");
  c["outcome"]["claims"]["close_blocked_s"] = 1.0;
  c["outcome"]["claims"]["close_blocks"] = true;
  c["outcome"]["claims"]["close_ended_by"] = "other";
  Built b(std::vector<json>{Load("reference-scale0.05"), now});
  EXPECT_EQ(b.grid.changed_vs_base.at(1), std::vector<std::string>{"27"});
  const GridRow& row = Row(b.grid, "27");
  ASSERT_TRUE(row.Differs());
  EXPECT_EQ(row.cells[1].status, "no-expectation");
  const GridClaim* blocked = Claim(row.cells[1], "close_blocked_s");
  ASSERT_NE(blocked, nullptr);
  EXPECT_TRUE(blocked->changed);
  EXPECT_EQ(blocked->base,
            ClaimValueText(Case(b.docs[0], "27")["outcome"]["claims"]["close_blocked_s"]));
  EXPECT_FALSE(Claim(row.cells[1], "client_bytes")->changed);
  EXPECT_TRUE(row.cells[0].changes.empty());  // the baseline is never "changed"
  EXPECT_EQ(PairSummaries(row),
            std::vector<std::string>{"R2 vs R1: close_blocks, close_blocked_s, close_ended_by"});
  EXPECT_FALSE(Row(b.grid, "26").Differs());
}

TEST(RunGridTest, ComparesAsDiffDoesWithinToleranceAndRaceClass) {
  json now = Load("reference-scale0.05");
  // Another "some" of the payload beat the RST: the same race class.
  Case(now, "03")["outcome"]["claims"]["client_bytes"] = 9000;
  // 1.003 s -> 1.1 s: within max(0.25 s, 12.5 %).
  Case(now, "05")["outcome"]["claims"]["close_blocked_s"] = 1.1;
  // A claim gone: a change, shown on the run that lost it.
  Case(now, "06")["outcome"]["claims"].erase("abort_on_linger_timeout");
  Built b(std::vector<json>{Load("reference-scale0.05"), now});
  EXPECT_EQ(b.grid.changed_vs_base.at(1), std::vector<std::string>{"06"});
  const GridClaim* gone = Claim(Row(b.grid, "06").cells[1], "abort_on_linger_timeout");
  ASSERT_NE(gone, nullptr);
  EXPECT_TRUE(gone->changed);
  EXPECT_EQ(gone->text, "abort_on_linger_timeout: not observed");
  EXPECT_EQ(gone->base, "false");
  // The same changes run_diff reports for the case, verbatim.
  const std::vector<ClaimChange> direct = DiffCase(Case(b.docs[0], "06"), Case(now, "06"));
  ASSERT_EQ(Row(b.grid, "06").cells[1].changes.size(), 1u);
  EXPECT_EQ(Row(b.grid, "06").cells[1].changes[0].what, "abort_on_linger_timeout");
  EXPECT_EQ(direct.at(0).what, "abort_on_linger_timeout");
}

TEST(RunGridTest, VerdictChangesCountAndErrorsDiffer) {
  json now = Load("reference-scale0.05");
  Case(now, "04")["outcome"]["claims"]["abort_on_close"] = false;  // deviates from Linux's table
  json& err = Case(now, "10");
  err["status"] = "error";
  err["error"] = "agent lost";
  Built b(std::vector<json>{Load("reference-scale0.05"), now});
  EXPECT_EQ(b.grid.changed_vs_base.at(1), (std::vector<std::string>{"04", "10"}));
  const GridCell& c04 = Row(b.grid, "04").cells[1];
  EXPECT_EQ(c04.status, "deviation");
  EXPECT_GT(Claim(c04, "abort_on_close")->deviation, 0);
  bool verdict = false;
  for (const ClaimChange& c : c04.changes) verdict |= c.what == "verdict";
  EXPECT_TRUE(verdict);
  EXPECT_EQ(Row(b.grid, "10").cells[1].status, "error");
  EXPECT_EQ(Row(b.grid, "10").cells[1].error, "agent lost");
}

TEST(RunGridTest, EveryPairIsComparedNotOnlyAgainstTheBaseline) {
  // Within tolerance of R1 on either side, but not of each other: 2.7 s and
  // 3.3 s differ by more than max(0.25 s, 12.5 % of 3.3 s).
  std::vector<json> docs = {Load("reference-scale0.05"), Load("reference-scale0.05"),
                            Load("reference-scale0.05")};
  const double secs[] = {3.0, 2.7, 3.3};
  for (size_t i = 0; i < 3; ++i)
    Case(docs[i], "05")["outcome"]["claims"]["close_blocked_s"] = secs[i];
  Built b(docs);
  const GridRow& row = Row(b.grid, "05");
  EXPECT_TRUE(row.cells[1].changes.empty());
  EXPECT_TRUE(row.cells[2].changes.empty());
  ASSERT_EQ(row.pairs.size(), 1u);
  EXPECT_EQ(row.pairs[0].a, 1u);
  EXPECT_EQ(row.pairs[0].b, 2u);
  EXPECT_EQ(PairSummaries(row), std::vector<std::string>{"R3 vs R2: close_blocked_s"});
}

TEST(RunGridTest, AMissingCaseIsAChangeAndOddDocumentsStillBuild) {
  json now = Load("reference-scale0.05");
  now["cases"].erase(now["cases"].begin());  // case 01 gone
  Built b(std::vector<json>{Load("reference-scale0.05"), now, json::object()});
  const GridRow& row = Row(b.grid, "01");
  EXPECT_FALSE(row.cells[1].present);
  ASSERT_EQ(row.cells[1].changes.size(), 1u);
  EXPECT_EQ(row.cells[1].changes[0].what, "case");
  EXPECT_EQ(b.grid.changed_vs_base.at(2).size(), 34u);  // an empty document: every case
}

TEST(RunGridTest, EnvironmentLabelNamesTargetStackAndPlatform) {
  EXPECT_EQ(RunEnvironmentLabel(Load("reference-gvisor-scale0.05")),
            "gvisor · gvisor · Linux 4.4.0");
  EXPECT_EQ(RunEnvironmentLabel(Load("reference-qemu-scale0.05")),
            "qemu · qemu · Linux 6.1.0-47-amd64");
  EXPECT_EQ(RunEnvironmentLabel(json::object()), "unknown environment");
  EXPECT_EQ(RunEnvironmentLabel(json{{"environment", {{"target", "netns"}}}}), "netns");
}

}  // namespace
}  // namespace lingerlab

// The Analyzer on cases of a recorded run (results/reference-scale0.05, a
// Linux kernel) against the shipped expected tables and edited copies of
// them: the verdict follows the table it is given, every case that cannot
// be analysed says why, and nothing throws.
#include "suite/run/analyzer.h"

#include <gtest/gtest.h>

#include <string>

#include "suite/expect/results_doc.h"
#include "suite/expect/test_matrix.h"

namespace lingerlab {
namespace {

using nlohmann::json;

const std::string kSource = LINGERLAB_SOURCE_DIR;

const json& ReferenceRun() {
  static const json doc = [] {
    auto d =
        LoadResultsFile(kSource + "/results/reference-scale0.05/results.json", SoLingerMatrix());
    EXPECT_TRUE(d.ok()) << d.error().message;
    return d.ok() ? *d : json::object();
  }();
  return doc;
}

// A case of the reference run without its saved outcome and verdict.
json ReferenceCase(const std::string& id) {
  for (const json& c : ReferenceRun()["cases"]) {
    if (c["id"] != id) continue;
    json fresh = c;
    fresh.erase("outcome");
    fresh.erase("verdict");
    return fresh;
  }
  ADD_FAILURE() << "no case " << id << " in the reference run";
  return json::object();
}

double Scale() { return RunTimeScale(ReferenceRun()); }

std::vector<ExpectedTable> ShippedTables() {
  auto t = LoadExpectedDir(kSource + "/matrix/expected", SoLingerMatrix());
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? *t : std::vector<ExpectedTable>{};
}

TEST(AnalyzerTest, ACompletedCaseIsClassifiedAndComparedWithItsAgentsFamily) {
  const Analyzer analyzer(ShippedTables(), "");
  json c = ReferenceCase("03");
  analyzer.Analyze(c, Scale());
  ASSERT_TRUE(c.contains("outcome"));
  // linux.json: {on,0} on a listening socket aborts on close().
  EXPECT_EQ(c["outcome"]["claims"]["abort_on_close"], json(true));
  EXPECT_EQ(c["verdict"]["family"], "linux");
  EXPECT_EQ(c["verdict"]["status"], "pass") << c["verdict"].dump();
}

TEST(AnalyzerTest, TheVerdictFollowsTheTableItIsGiven) {
  std::vector<ExpectedTable> tables = ShippedTables();
  bool edited = false;
  for (ExpectedTable& t : tables)
    if (t.family == "linux")
      for (Expectation& e : t.cases["03"])
        if (e.claim == "abort_on_close") {
          e.value = false;
          edited = true;
        }
  ASSERT_TRUE(edited);
  const Analyzer analyzer(std::move(tables), "");
  json c = ReferenceCase("03");
  analyzer.Analyze(c, Scale());
  EXPECT_EQ(c["verdict"]["status"], "deviation") << c["verdict"].dump();
}

TEST(AnalyzerTest, ForcedFamilyReplacesTheAgentsFamily) {
  const Analyzer analyzer(ShippedTables(), "bsd");
  json c = ReferenceCase("03");
  analyzer.Analyze(c, Scale());
  EXPECT_EQ(c["verdict"]["family"], "bsd");

  const Analyzer unknown(ShippedTables(), "plan9");
  json d = ReferenceCase("03");
  unknown.Analyze(d, Scale());
  EXPECT_EQ(d["verdict"]["status"], "no-expectation");
  EXPECT_EQ(d["verdict"]["reason"], "no expected table for family 'plan9'");
  EXPECT_TRUE(d.contains("outcome"));  // classified all the same
}

TEST(AnalyzerTest, ACaseThatDidNotCompleteIsAnErrorWithItsReason) {
  const Analyzer analyzer(ShippedTables(), "");
  json c = ReferenceCase("03");
  c["status"] = "error";
  c["error"] = "server agent lost";
  analyzer.Analyze(c, Scale());
  EXPECT_FALSE(c.contains("outcome"));
  EXPECT_EQ(c["verdict"], json({{"status", "error"}, {"reason", "server agent lost"}}));
}

TEST(AnalyzerTest, AVariantOtherThanBlockingCloseHasNoExpectation) {
  const Analyzer analyzer(ShippedTables(), "");
  json c = ReferenceCase("03");
  c["parameters"]["variant"] = kVariantNonblockingClose;
  analyzer.Analyze(c, Scale());
  EXPECT_EQ(c["verdict"]["status"], "no-expectation");
  EXPECT_NE(c["verdict"]["reason"].get<std::string>().find("nonblocking-close"), std::string::npos);
}

// A case whose lab step the target cannot do (case_runner.cc): classified,
// but not compared; the verdict gives the lab's reason. Its lab events are
// there for the timeline and ignored by the classifier.
TEST(AnalyzerTest, ANotComparableCaseSaysWhyAndIsNotCompared) {
  const Analyzer analyzer(ShippedTables(), "");
  json c = ReferenceCase("04");
  c["not_comparable"] = "lab step impair: the remote target cannot impair packets";
  c["events"]["lab"] = json::array({{{"step", "impair"},
                                     {"host", "lab"},
                                     {"t_start", 0.0},
                                     {"t_end", 0.01},
                                     {"ok", false},
                                     {"error", "no hook"}}});
  analyzer.Analyze(c, Scale());
  EXPECT_EQ(c["verdict"]["status"], "not-comparable") << c["verdict"].dump();
  EXPECT_EQ(c["verdict"]["reason"], "lab step impair: the remote target cannot impair packets");
  EXPECT_TRUE(c["outcome"].is_object());
  EXPECT_FALSE(c["verdict"].contains("checks"));
}

TEST(AnalyzerTest, AMalformedCaseGetsAnErrorVerdictInsteadOfAnException) {
  const Analyzer analyzer(ShippedTables(), "");
  json c = ReferenceCase("03");
  c["id"] = 3;  // a number where the comparison reads a string
  EXPECT_NO_THROW(analyzer.Analyze(c, Scale()));
  EXPECT_FALSE(c.contains("outcome"));
  EXPECT_EQ(c["verdict"]["status"], "error");
  EXPECT_EQ(c["verdict"]["reason"].get<std::string>().rfind("cannot analyse this case: ", 0), 0u)
      << c["verdict"].dump();

  json not_a_case = json::array({1, 2});
  analyzer.Analyze(not_a_case, Scale());
  EXPECT_EQ(not_a_case, json::array({1, 2}));
}

TEST(AnalyzerTest, MakeAnalyzerRefusesAnUnknownFamilyNamingTheKnownOnes) {
  auto bad = MakeAnalyzer("", "plan9", SoLingerMatrix());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(bad.error().message.find("no expected table for family 'plan9'"), std::string::npos);
  EXPECT_NE(bad.error().message.find("linux"), std::string::npos);

  EXPECT_TRUE(MakeAnalyzer("", "linux", SoLingerMatrix()).ok());
  EXPECT_FALSE(MakeAnalyzer(kSource + "/no-such-dir", "", SoLingerMatrix()).ok());
}

}  // namespace
}  // namespace lingerlab

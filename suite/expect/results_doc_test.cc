// The one reader of a results document: where family, OS and time scale come
// from, and the shape check that makes a damaged file an error naming the
// file and the field.
#include "suite/expect/results_doc.h"

#include <gtest/gtest.h>

#include "suite/expect/test_matrix.h"

namespace lingerlab {
namespace {

using nlohmann::json;

json Doc() {
  return json::parse(R"({
    "format": "lingerlab-results/1",
    "environment": {"host": {"os": "Linux", "family": "linux"}, "time_scale": 0.05,
                    "target": "netns"},
    "cases": [
      {"id": "04", "name": "slow-client__linger-csock-0", "status": "completed",
       "parameters": {"time_scale": 0.05, "applied": {"linger_s": 0}},
       "agents": {"server": {"platform": {"os": "FreeBSD", "release": "14.0", "family": "bsd"}},
                  "client": {"platform": {"os": "FreeBSD", "family": "bsd"}}},
       "outcome": {"claims": {"abort_on_close": true}}},
      {"id": "02", "name": "slow-client__no-linger", "status": "error", "error": "lost"}
    ]})");
}

std::string Problem(const json& doc) {
  Status s = CheckResultsDoc(doc, "r.json", SoLingerMatrix());
  return s.ok() ? "" : s.message();
}

TEST(ResultsDocTest, FamilyAndOsComeFromTheServerAgentNotTheHost) {
  const json doc = Doc();
  EXPECT_EQ(CaseFamily(doc["cases"][0]), "bsd");
  EXPECT_EQ(CaseHostOs(doc["cases"][0]), "FreeBSD");
  EXPECT_EQ(CaseFamily(doc["cases"][1]), "");
  EXPECT_EQ(RunFamily(doc), "bsd");  // environment.host says linux
  json forced = doc;
  forced["environment"]["expect_family"] = "darwin";
  EXPECT_EQ(RunFamily(forced), "darwin");
  EXPECT_EQ(RunTimeScale(doc), 0.05);
}

TEST(ResultsDocTest, AWellFormedDocumentPasses) { EXPECT_EQ(Problem(Doc()), ""); }

// A --repeat run: environment.repeat and each case's repetition are
// checked; a document without them (every run before --repeat) passes.
TEST(ResultsDocTest, RepeatAndRepetitionAreCheckedWhenPresent) {
  json doc = Doc();
  doc["environment"]["repeat"] = 2;
  doc["cases"][0]["repetition"] = 1;
  doc["cases"][1]["repetition"] = 2;
  EXPECT_EQ(Problem(doc), "");
  doc["cases"][1]["repetition"] = 3;
  EXPECT_EQ(Problem(doc),
            "r.json: cases[1].repetition: must be an integer from 1 to environment.repeat (2)");
  doc["cases"][1]["repetition"] = "2";
  EXPECT_NE(Problem(doc), "");
  doc = Doc();
  doc["cases"][0]["repetition"] = 1;  // no environment.repeat: 1
  EXPECT_EQ(Problem(doc), "");
  doc["cases"][0]["repetition"] = 0;
  EXPECT_NE(Problem(doc), "");
  doc = Doc();
  for (const json& bad : {json(0), json(1001), json(2.5), json("10")}) {
    doc["environment"]["repeat"] = bad;
    EXPECT_EQ(Problem(doc), "r.json: environment.repeat: must be an integer from 1 to 1000") << bad;
  }
}

// Was: `check` on a file without environment aborted (134).
TEST(ResultsDocTest, EnvironmentAndTimeScaleAreRequired) {
  json doc = Doc();
  doc.erase("environment");
  EXPECT_EQ(Problem(doc), "r.json: environment: must be an object");
  doc = Doc();
  doc["environment"].erase("time_scale");
  EXPECT_EQ(Problem(doc), "r.json: environment.time_scale: must be a number in (0, 100]");
  doc["environment"]["time_scale"] = -1;
  EXPECT_EQ(Problem(doc), "r.json: environment.time_scale: must be a number in (0, 100]");
}

// Was: a number as platform.family made every verdict "error" and check exit 0.
TEST(ResultsDocTest, WrongTypedPlatformFieldsAreNamed) {
  json doc = Doc();
  doc["cases"][0]["agents"]["server"]["platform"]["family"] = 7;
  EXPECT_EQ(Problem(doc), "r.json: cases[0].agents.server.platform.family: must be a string");
  doc = Doc();
  doc["cases"][0]["agents"]["server"] = 3;
  EXPECT_EQ(Problem(doc), "r.json: cases[0].agents.server: must be an object or null");
}

// One time scale: a case applied with another scale than the run's is refused.
TEST(ResultsDocTest, CaseTimeScaleMustEqualTheRuns) {
  json doc = Doc();
  doc["cases"][0]["parameters"]["time_scale"] = 1;
  EXPECT_EQ(Problem(doc),
            "r.json: cases[0].parameters.time_scale: must equal environment.time_scale (0.05)");
}

TEST(ResultsDocTest, CaseFieldsAreTypedAndIdsBelongToTheMatrix) {
  json doc = Doc();
  doc["cases"][0]["id"] = 4;
  EXPECT_EQ(Problem(doc), "r.json: cases[0].id: must be a string");
  doc = Doc();
  doc["cases"][0]["id"] = "99";
  EXPECT_EQ(Problem(doc), "r.json: cases[0].id: \"99\" is not a case of matrix \"so_linger\"");
  doc = Doc();
  doc["cases"][1]["status"] = "running";
  EXPECT_EQ(Problem(doc), "r.json: cases[1].status: must be \"completed\" or \"error\"");
  doc = Doc();
  doc["cases"][1]["error"] = 5;
  EXPECT_EQ(Problem(doc), "r.json: cases[1].error: must be a string or null");
  doc = Doc();
  doc["cases"][0]["parameters"]["applied"]["linger_s"] = "20";
  EXPECT_EQ(Problem(doc),
            "r.json: cases[0].parameters.applied.linger_s: must be a number >= 0 or null");
}

// Was: events or packets of the wrong shape were silently skipped by the
// classifier, and `check` exited 0 on a file it could not read.
TEST(ResultsDocTest, EventsAndPacketsAreShapeChecked) {
  json doc = Doc();
  doc["cases"][0]["events"] = 5;
  EXPECT_EQ(Problem(doc), "r.json: cases[0].events: must be an object or null");
  doc["cases"][0]["events"] = {{"server", {{{"step", "close"}}, 3}}};
  EXPECT_EQ(Problem(doc), "r.json: cases[0].events.server[1]: must be an object");
  doc["cases"][0]["events"] = {{"client", {{{"step", 1}}}}};
  EXPECT_EQ(Problem(doc), "r.json: cases[0].events.client[0].step: must be a string");
  // The lab's events (lab steps, doc/matrix-format.md) are checked alike.
  doc["cases"][0]["events"] = {{"lab", {{{"step", "impair"}, {"ok", true}}}}};
  EXPECT_EQ(Problem(doc), "");
  doc["cases"][0]["events"] = {{"lab", "impair"}};
  EXPECT_EQ(Problem(doc), "r.json: cases[0].events.lab: must be an array");
  doc["cases"][0]["events"] = {{"lab", {{{"ok", true}}}}};
  EXPECT_EQ(Problem(doc), "r.json: cases[0].events.lab[0].step: must be a string");
  doc = Doc();
  doc["cases"][0]["packets"] = {
      {{"t", 0.1}, {"dir", "s2c"}, {"flags", "R."}, {"seq", 1}, {"ack", 1}, {"len", 0}}};
  EXPECT_EQ(Problem(doc), "");
  doc["cases"][0]["packets"][0]["t"] = "x";
  EXPECT_EQ(Problem(doc), "r.json: cases[0].packets[0].t: must be a number");
  doc["cases"][0]["packets"][0]["t"] = 0.1;
  doc["cases"][0]["packets"][0]["seq"] = 1.5;
  EXPECT_EQ(Problem(doc), "r.json: cases[0].packets[0].seq: must be an integer");
}

TEST(ResultsDocTest, ClaimsAreOfTheVocabularyAndTyped) {
  json doc = Doc();
  doc["cases"][0]["outcome"]["claims"]["abort_on_close"] = "yes";
  EXPECT_EQ(Problem(doc), "r.json: cases[0].outcome.claims.abort_on_close: must be a boolean");
  doc = Doc();
  doc["cases"][0]["outcome"]["claims"]["abort_on_clos"] = true;
  EXPECT_EQ(Problem(doc), "r.json: cases[0].outcome.claims.abort_on_clos: unknown claim");
}

TEST(ResultsDocTest, AppliedLingerAndCaptureAreReadWithoutTrustingTheShape) {
  EXPECT_DOUBLE_EQ(CaseAppliedLinger(json::parse(R"({"parameters":{"applied":{"linger_s":1.5}}})")),
                   1.5);
  for (const char* odd : {R"({})", R"({"parameters":null})", R"({"parameters":{"applied":[]}})",
                          R"({"parameters":{"applied":{}}})",
                          R"({"parameters":{"applied":{"linger_s":"20"}}})", R"([1,2])"}) {
    EXPECT_DOUBLE_EQ(CaseAppliedLinger(json::parse(odd)), 0.0) << odd;
    EXPECT_EQ(CaseCompareOptions(json::parse(odd), 1.0).no_capture_reason, "") << odd;
  }
  const json no_capture = json::parse(R"({"capture":{"available":false,"reason":"no privilege"}})");
  EXPECT_EQ(CaseCompareOptions(no_capture, 1.0).no_capture_reason, "no privilege");
  const json no_reason = json::parse(R"({"capture":{"available":false,"reason":7}})");
  EXPECT_EQ(CaseCompareOptions(no_reason, 1.0).no_capture_reason, "no reason given");
  const json odd_flag = json::parse(R"({"capture":{"available":"no"}})");
  EXPECT_EQ(CaseCompareOptions(odd_flag, 1.0).no_capture_reason, "");
}

TEST(ResultsDocTest, AStackFaultIsShapeChecked) {
  json doc = Doc();
  json& c = doc["cases"][0];
  c["stack_fault"] = nullptr;
  EXPECT_EQ(Problem(doc), "");
  c["stack_fault"] = {
      {"host", "server"}, {"op", "close"}, {"kind", "exited"}, {"detail", "killed by SIGABRT"}};
  EXPECT_EQ(Problem(doc), "");
  c["outcome"]["claims"]["stack_fault"] = "exited_in_close";
  EXPECT_EQ(Problem(doc), "");
  c["stack_fault"]["kind"] = "melted";
  EXPECT_NE(Problem(doc).find("cases[0].stack_fault.kind"), std::string::npos) << Problem(doc);
  c["stack_fault"]["kind"] = "hung";
  c["stack_fault"]["detail"] = "\x1b]0;pwned\x07";
  EXPECT_NE(Problem(doc).find("stack_fault.detail"), std::string::npos) << Problem(doc);
  c["stack_fault"] = "exited";
  EXPECT_NE(Problem(doc).find("stack_fault"), std::string::npos) << Problem(doc);
  c.erase("stack_fault");
  c["outcome"]["claims"]["stack_fault"] = "melted";
  EXPECT_NE(Problem(doc).find("claims.stack_fault"), std::string::npos) << Problem(doc);
}

}  // namespace
}  // namespace lingerlab

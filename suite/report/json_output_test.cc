#include "suite/report/json_output.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace lingerlab {
namespace {
using nlohmann::json;

json ReadResults(const std::string& run) {
  std::ifstream in(std::string(LINGERLAB_SOURCE_DIR) + "/results/" + run + "/results.json");
  return json::parse(in);
}

TEST(JsonOutputTest, ListHasEveryCaseWithItsAttributes) {
  auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
  ASSERT_TRUE(m.ok());
  const json doc = ListJson(*m);
  EXPECT_EQ(doc["format"], "lingerlab-list/1");
  EXPECT_EQ(doc["name"], m->name);
  ASSERT_EQ(doc["cases"].size(), 34u);
  EXPECT_EQ(doc["cases"][3]["id"], "04");
  EXPECT_EQ(doc["cases"][3]["name"], "slow-client__linger-csock-0");
  EXPECT_EQ(doc["cases"][3]["attributes"]["client"], "slow");
  EXPECT_EQ(doc["cases"][3]["attributes"]["linger.socket"], "csock");
}

TEST(JsonOutputTest, CheckCarriesEachVerdictAndOnlyTheChecksThatDidNotPass) {
  const json results = ReadResults("reference-gvisor-scale0.05");
  const json doc = CheckJson(results, "r.json");
  EXPECT_EQ(doc["format"], "lingerlab-check/1");
  EXPECT_EQ(doc["results"], "r.json");
  EXPECT_EQ(doc["summary"], results["summary"]);
  ASSERT_EQ(doc["cases"].size(), 34u);
  int deviations = 0;
  for (const json& c : doc["cases"]) {
    EXPECT_TRUE(c["id"].is_string());
    EXPECT_TRUE(c["claims"].is_object()) << c["id"];
    if (c["verdict"] == "deviation") {
      ++deviations;
      EXPECT_FALSE(c["not_passed"].empty()) << c["id"];
    }
    for (const json& check : c["not_passed"]) EXPECT_NE(check["result"], "pass");
    if (c["verdict"] == "pass") {
      EXPECT_TRUE(c["not_passed"].empty()) << c["id"];
    }
  }
  EXPECT_EQ(deviations, results["summary"]["deviation"].get<int>());
}

TEST(JsonOutputTest, CheckOfAMalformedDocumentGivesNullsNotAThrow) {
  const json bad = json::parse(R"({"cases": [7, {"id": 4, "verdict": "x", "outcome": []},
                                   {"id": "05", "verdict": {"checks": "no"}}]})");
  const json doc = CheckJson(bad, "bad.json");
  ASSERT_EQ(doc["cases"].size(), 2u);
  EXPECT_TRUE(doc["cases"][0]["id"].is_null());
  EXPECT_TRUE(doc["cases"][0]["claims"].is_null());
  EXPECT_EQ(doc["cases"][1]["id"], "05");
  EXPECT_TRUE(doc["cases"][1]["not_passed"].empty());
  EXPECT_EQ(CheckJson(json::object(), "x")["cases"].size(), 0u);
}

TEST(JsonOutputTest, DiffCountsChangedCasesAsDiffRunsFindsThem) {
  const json base = ReadResults("reference-scale0.05");
  const json now = ReadResults("reference-gvisor-scale0.05");
  std::vector<std::string> order;
  for (const json& c : base["cases"]) order.push_back(c["id"]);
  const auto changes = DiffRuns(base, now, order);
  ASSERT_FALSE(changes.empty());
  const json doc = DiffJson(changes, "a.json", "b.json", order.size());
  EXPECT_EQ(doc["format"], "lingerlab-diff/1");
  EXPECT_EQ(doc["compared_cases"], 34);
  EXPECT_EQ(doc["changes"].size(), changes.size());
  std::set<std::string> ids;
  for (const json& ch : doc["changes"]) {
    ids.insert(ch["case"].get<std::string>());
    EXPECT_TRUE(ch.contains("base") && ch.contains("new") && ch["what"].is_string());
  }
  EXPECT_EQ(doc["changed_cases"], ids.size());
  EXPECT_EQ(DiffJson({}, "a", "b", 3)["changed_cases"], 0);
}

}  // namespace
}  // namespace lingerlab

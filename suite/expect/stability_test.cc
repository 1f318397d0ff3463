// Stability over repetitions, on constructed case documents: claims that do
// not vary, documented races (bytes before a RST, a close() that returned
// at once either way), durations within and beyond the tolerance, and
// findings (a decided claim that differs, a claim missing in some
// repetitions, verdicts that differ).
#include "suite/expect/stability.h"

#include <gtest/gtest.h>

namespace lingerlab {
namespace {

using nlohmann::json;

json Rep(const std::string& id, int k, json claims, const std::string& verdict = "pass",
         const std::string& status = "completed") {
  return {{"id", id},
          {"repetition", k},
          {"status", status},
          {"parameters", {{"applied", {{"payload_bytes", 20480}}}}},
          {"outcome", {{"claims", std::move(claims)}}},
          {"verdict", {{"status", verdict}}}};
}

json RunDoc(std::vector<json> cases, int repeat) {
  return {{"environment", {{"repeat", repeat}}},
          {"summary", json::object()},
          {"cases", std::move(cases)}};
}

const ClaimStability* Find(const CaseStability& s, const std::string& claim) {
  for (const ClaimStability& c : s.claims)
    if (c.claim == claim) return &c;
  return nullptr;
}

CaseStability Of(const std::vector<json>& docs) {
  std::vector<const json*> ptrs;
  for (const json& d : docs) ptrs.push_back(&d);
  return AggregateRepetitions(ptrs);
}

TEST(StabilityTest, EqualRepetitionsDoNotVary) {
  const json claims = {{"abort_on_close", true}, {"client_end", "ECONNRESET"}};
  const CaseStability s = Of({Rep("03", 1, claims), Rep("03", 2, claims), Rep("03", 3, claims)});
  EXPECT_EQ(s.id, "03");
  EXPECT_EQ(s.repetitions, 3);
  EXPECT_EQ(s.completed, 3);
  EXPECT_EQ(s.Findings(), 0);
  ASSERT_EQ(s.claims.size(), 2u);
  EXPECT_FALSE(s.claims[0].varies);
  EXPECT_EQ(StabilityText(s.claims[0], 3), "abort_on_close: true 3/3");
  EXPECT_TRUE(VariationLines(s).empty());
}

TEST(StabilityTest, BytesBeforeARstAreARaceShownAsARange) {
  const CaseStability s =
      Of({Rep("03", 1, {{"client_bytes", 11644}}), Rep("03", 2, {{"client_bytes", 8748}}),
          Rep("03", 3, {{"client_bytes", 11644}}), Rep("03", 4, {{"client_bytes", 13092}})});
  const ClaimStability* b = Find(s, "client_bytes");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->varies);
  EXPECT_FALSE(b->finding);
  EXPECT_EQ(b->min, 8748);
  EXPECT_EQ(b->max, 13092);
  EXPECT_EQ(b->note, "race: some");
  EXPECT_EQ(StabilityText(*b, 4), "client_bytes: 8748–13092 (11644 2/4, 8748 1/4, 13092 1/4)");
  EXPECT_EQ(s.Findings(), 0);
  ASSERT_EQ(VariationLines(s).size(), 1u);
  EXPECT_NE(VariationLines(s)[0].find("(race)"), std::string::npos);
}

TEST(StabilityTest, NoneAgainstSomeBytesIsAFinding) {
  const CaseStability s =
      Of({Rep("03", 1, {{"client_bytes", 0}}), Rep("03", 2, {{"client_bytes", 8748}})});
  EXPECT_TRUE(Find(s, "client_bytes")->finding);
  EXPECT_EQ(s.Findings(), 1);
}

TEST(StabilityTest, ACloseThatReturnedAtOnceEitherWayIsARace) {
  const json immediate = {{"close_ended_by", "immediate"}, {"close_blocked_s", 0.0001}};
  const json acked = {{"close_ended_by", "peer_acked"}, {"close_blocked_s", 0.0004}};
  const CaseStability s = Of({Rep("07", 1, immediate), Rep("07", 2, acked), Rep("07", 3, immediate),
                              Rep("07", 4, immediate)});
  const ClaimStability* e = Find(s, "close_ended_by");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->varies);
  EXPECT_FALSE(e->finding);
  EXPECT_EQ(StabilityText(*e, 4), "close_ended_by: immediate 3/4, peer_acked 1/4");
  const ClaimStability* t = Find(s, "close_blocked_s");
  EXPECT_TRUE(t->varies);
  EXPECT_FALSE(t->finding);  // 0.3 ms apart: within the tolerance
  EXPECT_EQ(s.Findings(), 0);
}

TEST(StabilityTest, DecidedClaimsThatDifferAreFindings) {
  // RST against FIN at close(), and close() ending by the linger time
  // against the peer's ACK: the published behaviour decides both.
  const CaseStability s =
      Of({Rep("06", 1, {{"abort_on_close", false}, {"close_ended_by", "linger_timeout"}}),
          Rep("06", 2, {{"abort_on_close", true}, {"close_ended_by", "peer_acked"}})});
  EXPECT_TRUE(Find(s, "abort_on_close")->finding);
  EXPECT_TRUE(Find(s, "close_ended_by")->finding);
  EXPECT_EQ(s.Findings(), 2);
  const std::vector<std::string> lines = VariationLines(s);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "abort_on_close: false 1/2, true 1/2 FINDING");
}

TEST(StabilityTest, DurationsBeyondTheToleranceAreFindings) {
  const CaseStability within =
      Of({Rep("06", 1, {{"close_blocked_s", 1.00}}), Rep("06", 2, {{"close_blocked_s", 1.03}})});
  EXPECT_FALSE(Find(within, "close_blocked_s")->finding);
  EXPECT_EQ(StabilityText(*Find(within, "close_blocked_s"), 2), "close_blocked_s: 1–1.03 s");
  const CaseStability quick = Of({Rep("02", 1, {{"close_blocked_s", 0.000014}}),
                                  Rep("02", 2, {{"close_blocked_s", 0.000025}})});
  EXPECT_EQ(StabilityText(*Find(quick, "close_blocked_s"), 2), "close_blocked_s: 0.014–0.025 ms");
  EXPECT_EQ(VariationLines(quick).size(), 1u);
  EXPECT_TRUE(VariationLines(quick, /*durations=*/false).empty());
  const CaseStability beyond =
      Of({Rep("06", 1, {{"close_blocked_s", 1.0}}), Rep("06", 2, {{"close_blocked_s", 2.0}})});
  EXPECT_TRUE(Find(beyond, "close_blocked_s")->finding);
}

TEST(StabilityTest, AClaimMissingInSomeRepetitionsIsAFinding) {
  const CaseStability s =
      Of({Rep("09", 1, {{"abort_on_linger_timeout", true}}), Rep("09", 2, json::object())});
  const ClaimStability* c = Find(s, "abort_on_linger_timeout");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->finding);
  EXPECT_EQ(StabilityText(*c, 2), "abort_on_linger_timeout: true 1/2, (absent) 1/2");
}

TEST(StabilityTest, DifferentVerdictsAreAFindingAndErrorsAreNotCompared) {
  const json claims = {{"abort_on_close", true}};
  const CaseStability s = Of({Rep("03", 1, claims, "pass"), Rep("03", 2, claims, "deviation"),
                              Rep("03", 3, {{"abort_on_close", false}}, "error", "error")});
  EXPECT_EQ(s.repetitions, 3);
  EXPECT_EQ(s.completed, 2);
  EXPECT_TRUE(s.verdict_varies);
  EXPECT_FALSE(Find(s, "abort_on_close")->varies);  // the errored repetition is not compared
  EXPECT_EQ(s.Findings(), 1);
  EXPECT_EQ(VariationLines(s)[0], "verdict: pass 1/2, deviation 1/2 FINDING");
}

TEST(StabilityTest, RunSummaryCountsUnstableCasesOnlyForRepeatedRuns) {
  json run =
      RunDoc({Rep("01", 1, {{"abort_on_close", false}}), Rep("01", 2, {{"abort_on_close", true}}),
              Rep("03", 1, {{"client_bytes", 100}}), Rep("03", 2, {{"client_bytes", 200}})},
             2);
  const std::vector<CaseStability> all = RunStability(run);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "01");
  EXPECT_EQ(all[1].id, "03");
  EXPECT_EQ(RunRepeat(run), 2);
  AddStabilitySummary(run);
  EXPECT_EQ(run["summary"]["unstable"], 1);

  json once = RunDoc({Rep("01", 1, {{"abort_on_close", false}})}, 1);
  once["environment"].erase("repeat");
  EXPECT_EQ(RunRepeat(once), 1);
  AddStabilitySummary(once);
  EXPECT_FALSE(once["summary"].contains("unstable"));
}

TEST(StabilityTest, AVerdictFunctionReplacesTheStoredVerdict) {
  const json claims = {{"abort_on_close", true}};
  const std::vector<json> docs = {Rep("03", 1, claims, "pass"), Rep("03", 2, claims, "deviation")};
  const CaseStability s =
      AggregateRepetitions({&docs[0], &docs[1]}, [](const json&) { return std::string("pass"); });
  EXPECT_FALSE(s.verdict_varies);
  EXPECT_EQ(s.Findings(), 0);
}

}  // namespace
}  // namespace lingerlab

#include "suite/classify/thresholds.h"

#include <gtest/gtest.h>

#include "suite/classify/test_case_builder.h"

namespace lingerlab {
namespace {

using testing::CaseBuilder;

TEST(ThresholdsTest, FixedThresholdsDoNotScale) {
  ClassifyThresholds th =
      ClassifyThresholds::FromCase(CaseBuilder().TimeScale(0.05).Linger("csock", 20).Build());
  EXPECT_DOUBLE_EQ(th.immediate_s, kImmediateCloseS);
  EXPECT_DOUBLE_EQ(th.abort_detect_s, kAbortDetectS);
  EXPECT_DOUBLE_EQ(th.silence_min_gap_s, kSilenceMinGapS);
}

TEST(ThresholdsTest, ClockSkewWidensByHalfTheLargerAgentRoundTrip) {
  nlohmann::json c = CaseBuilder().Build();
  EXPECT_DOUBLE_EQ(ClassifyThresholds::FromCase(c).clock_skew_s, kClockSkewS);
  c["agents"] = {{"server", {{"clock_rtt_ns", 2000000}}},   // 2 ms
                 {"client", {{"clock_rtt_ns", 30000000}}}};  // 30 ms: a remote agent
  ClassifyThresholds th = ClassifyThresholds::FromCase(c);
  EXPECT_DOUBLE_EQ(th.clock_uncertainty_s, 0.015);
  EXPECT_DOUBLE_EQ(th.clock_skew_s, kClockSkewS + 0.015);
  // Nonsense round trips (negative, a minute or more, not numbers) are ignored.
  c["agents"] = {{"server", {{"clock_rtt_ns", -5}}}, {"client", {{"clock_rtt_ns", "fast"}}}};
  EXPECT_DOUBLE_EQ(ClassifyThresholds::FromCase(c).clock_skew_s, kClockSkewS);
  c["agents"] = {{"server", {{"clock_rtt_ns", 61000000000ll}}}};
  EXPECT_DOUBLE_EQ(ClassifyThresholds::FromCase(c).clock_skew_s, kClockSkewS);
}

TEST(ThresholdsTest, ScaledRunUsesAppliedLingerAndLimit) {
  ClassifyThresholds th = ClassifyThresholds::FromCase(
      CaseBuilder().TimeScale(0.05).Linger("csock", 20).Shutdown("wait_eof_limited", 10).Build());
  EXPECT_DOUBLE_EQ(th.time_scale, 0.05);
  EXPECT_DOUBLE_EQ(th.linger_s, 1.0);
  // 10% of 1 s is below the scheduling floor.
  EXPECT_DOUBLE_EQ(th.linger_tolerance_s, kLingerToleranceMinS);
  ASSERT_TRUE(th.eof_wait_limit_s.has_value());
  EXPECT_DOUBLE_EQ(*th.eof_wait_limit_s, 0.5);
  EXPECT_EQ(th.payload_bytes, 20480);
}

TEST(ThresholdsTest, TimeScaleIgnoresTheFlooredSettleTime) {
  nlohmann::json doc = CaseBuilder().TimeScale(0.05).Build();
  doc["parameters"]["applied"]["settle_s"] = 1.0;  // the coordinator's floor, not 3 * 0.05
  EXPECT_DOUBLE_EQ(ClassifyThresholds::FromCase(doc).time_scale, 0.05);
}

TEST(ThresholdsTest, LingerToleranceIsAFractionOfALongLinger) {
  ClassifyThresholds th = ClassifyThresholds::FromCase(CaseBuilder().Linger("lsock", 20).Build());
  EXPECT_DOUBLE_EQ(th.time_scale, 1.0);
  EXPECT_DOUBLE_EQ(th.linger_s, 20.0);
  EXPECT_DOUBLE_EQ(th.linger_tolerance_s, 2.5);  // 12.5 % late
  EXPECT_FALSE(th.eof_wait_limit_s.has_value());
}

TEST(ThresholdsTest, NoSoLingerMeansNoLingerTimeEvenIfAppliedSaysOne) {
  nlohmann::json doc = CaseBuilder().Build();
  doc["parameters"]["applied"]["linger_s"] = 20;  // stray value; "linger": null wins
  EXPECT_DOUBLE_EQ(ClassifyThresholds::FromCase(doc).linger_s, 0.0);
}

TEST(ThresholdsTest, MissingAppliedLingerFallsBackToNominalTimesScale) {
  nlohmann::json doc = CaseBuilder().TimeScale(0.1).Linger("csock", 20).Build();
  doc["parameters"]["applied"].erase("linger_s");
  EXPECT_DOUBLE_EQ(ClassifyThresholds::FromCase(doc).linger_s, 2.0);
}

TEST(ThresholdsTest, ExplicitTimeScaleOverridesTheDerivedOne) {
  ClassifyThresholds th =
      ClassifyThresholds::FromCase(CaseBuilder().TimeScale(0.05).Build(), /*time_scale=*/0.5);
  EXPECT_DOUBLE_EQ(th.time_scale, 0.5);
}

TEST(ThresholdsTest, EmptyDocumentGivesDefaultsWithoutThrowing) {
  ClassifyThresholds th = ClassifyThresholds::FromCase(nlohmann::json::array());
  EXPECT_DOUBLE_EQ(th.time_scale, 1.0);
  EXPECT_DOUBLE_EQ(th.linger_s, 0.0);
  EXPECT_FALSE(th.payload_bytes.has_value());
}

}  // namespace
}  // namespace lingerlab

// CompareCase: each check result and the overall verdict status.
#include "suite/expect/compare.h"
#include "suite/expect/claims.h"
#include "suite/expect/test_matrix.h"

#include <gtest/gtest.h>

namespace lingerlab {
namespace {

using nlohmann::json;

ExpectedTable Table() {
  auto t = ParseExpectedTable(json::parse(R"({
    "format": "lingerlab-expected/1", "matrix": "so_linger", "family": "bsd", "title": "BSD",
    "source": {"document": "d", "platforms": ["p"]},
    "cases": {
      "04": {"abort_on_close": {"value": true, "source": "t0 connected"}},
      "06": {"close_blocks": {"value": true, "source": "t20 block"},
             "close_blocked_s": {"value": 20, "time_basis": "linger", "source": "t20 time"},
             "close_errno": {"value": "EWOULDBLOCK", "source": "t20 ewb"}},
      "33": {"close_blocked_s": {"value": 120, "time_basis": "kernel", "source": "sec 120"},
             "close_ret": {"value": -1, "depends_on_kernel_time": true, "source": "sec ret"}},
      "01": {"idle_abort": {"value": true, "only": ["FreeBSD"], "source": "sec idle"}},
      "31": {"late_setsockopt_errno": {"value": null, "inferred": true, "source": "sec illumos"}}
    }})"),
                              "inline", SoLingerMatrix());
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.value();
}

CompareOptions Unscaled(const std::string& os = "FreeBSD") {
  CompareOptions o;
  o.host_os = os;
  return o;
}

CompareOptions Scaled(double scale) {
  CompareOptions o = Unscaled();
  o.time_scale = scale;
  return o;
}

const json& OnlyCheck(const json& verdict) {
  EXPECT_EQ(verdict["checks"].size(), 1u) << verdict.dump(2);
  return verdict["checks"][0];
}

TEST(CompareTest, PassWhenValuesMatch) {
  json v = CompareCase(Table(), "04", {{"abort_on_close", true}, {"close_blocks", false}}, 0,
                       Unscaled());
  EXPECT_EQ(v["status"], "pass");
  EXPECT_EQ(v["family"], "bsd");
  const json& c = OnlyCheck(v);
  EXPECT_EQ(c["claim"], "abort_on_close");
  EXPECT_EQ(c["expected"], true);
  EXPECT_EQ(c["observed"], true);
  EXPECT_EQ(c["result"], "pass");
  EXPECT_EQ(c["source"], "t0 connected");
  EXPECT_FALSE(c.contains("note"));
}

TEST(CompareTest, DeviationWhenValuesDiffer) {
  json v = CompareCase(Table(), "04", {{"abort_on_close", false}}, 0, Unscaled());
  EXPECT_EQ(v["status"], "deviation");
  EXPECT_EQ(OnlyCheck(v)["result"], "deviation");
  EXPECT_EQ(OnlyCheck(v)["observed"], false);
}

TEST(CompareTest, OneDeviationOutweighsPasses) {
  json v = CompareCase(
      Table(), "06", {{"close_blocks", true}, {"close_blocked_s", 20.1}, {"close_errno", nullptr}},
      20, Unscaled());
  EXPECT_EQ(v["status"], "deviation");
  ASSERT_EQ(v["checks"].size(), 3u);
  EXPECT_EQ(v["checks"][0]["result"], "pass");
  EXPECT_EQ(v["checks"][1]["result"], "pass");
  EXPECT_EQ(v["checks"][2]["claim"], "close_errno");
  EXPECT_EQ(v["checks"][2]["result"], "deviation");
}

TEST(CompareTest, IntegerAndFloatSpellingsAreEqual) {
  json v =
      CompareCase(Table(), "33", {{"close_ret", -1.0}, {"close_blocked_s", 120}}, 0, Unscaled());
  EXPECT_EQ(v["status"], "pass") << v.dump(2);
}

// close_blocked_s with time_basis "linger" is compared with the applied linger
// time, whatever the article's nominal 20 s.
TEST(CompareTest, LingerTimeComparesWithAppliedLingerWithinTolerance) {
  const ExpectedTable t = Table();
  const CompareOptions scaled = Scaled(0.05);
  auto result = [&](double observed, double applied) {
    json v = CompareCase(t, "06", {{"close_blocked_s", observed}}, applied, scaled);
    return v["checks"][1]["result"].get<std::string>();
  };
  // Applied 1 s: the floor (0.25 s) is the tolerance.
  EXPECT_EQ(result(1.0, 1.0), "pass");
  EXPECT_EQ(result(1.24, 1.0), "pass");
  EXPECT_EQ(result(0.76, 1.0), "pass");
  EXPECT_EQ(result(1.26, 1.0), "deviation");
  EXPECT_EQ(result(0.74, 1.0), "deviation");
  EXPECT_EQ(result(20.0, 1.0), "deviation");  // the nominal value is not the target
  // Applied 20 s: up to 12.5 % (2.5 s) late, as Linux's timer wheel can be
  // (measured 21.96 s), but never more than the floor early.
  EXPECT_EQ(result(21.96, 20.0), "pass");
  EXPECT_EQ(result(22.49, 20.0), "pass");
  EXPECT_EQ(result(22.51, 20.0), "deviation");
  EXPECT_EQ(result(19.76, 20.0), "pass");
  EXPECT_EQ(result(19.5, 20.0), "deviation");  // a timer does not fire 0.5 s early

  json v = CompareCase(t, "06", {{"close_blocked_s", 1.1}}, 1.0, scaled);
  EXPECT_EQ(v["checks"][1]["expected"], 1.0);
  EXPECT_NE(v["checks"][1]["note"].get<std::string>().find("article: 20 s"), std::string::npos);
  EXPECT_EQ(result(1.0, 0.0), "not-comparable");  // no applied linger reported
}

TEST(CompareTest, LingerToleranceConstantsAreTheDocumentedOnes) {
  EXPECT_EQ(kLingerToleranceMinS, 0.25);
  EXPECT_EQ(kLingerToleranceFraction, 0.125);
  EXPECT_EQ(kKernelTimeToleranceMinS, 0.5);
}

TEST(CompareTest, NonNumericObservedTimeIsADeviation) {
  json v = CompareCase(Table(), "06", {{"close_blocked_s", "20"}}, 20, Unscaled());
  EXPECT_EQ(v["checks"][1]["result"], "deviation");
}

TEST(CompareTest, KernelTimeIsNotComparableWhenScaled) {
  json v =
      CompareCase(Table(), "33", {{"close_blocked_s", 6.0}, {"close_ret", 0}}, 0, Scaled(0.05));
  EXPECT_EQ(v["status"], "not-comparable");
  ASSERT_EQ(v["checks"].size(), 2u);
  EXPECT_EQ(v["checks"][0]["result"], "not-comparable");
  EXPECT_EQ(v["checks"][0]["observed"], 6.0);
  EXPECT_NE(v["checks"][0]["note"].get<std::string>().find("time scale 0.05"), std::string::npos);
  // depends_on_kernel_time: a wrong-looking close_ret is not a deviation when scaled.
  EXPECT_EQ(v["checks"][1]["result"], "not-comparable");
}

TEST(CompareTest, KernelTimeIsComparedAtScaleOne) {
  auto result = [](double observed) {
    json v = CompareCase(Table(), "33", {{"close_blocked_s", observed}, {"close_ret", -1}}, 0,
                         Unscaled());
    return v["checks"][0]["result"].get<std::string>();
  };
  EXPECT_EQ(result(120.0), "pass");
  EXPECT_EQ(result(134.9), "pass");  // up to 12.5 % of 120 s late
  EXPECT_EQ(result(135.1), "deviation");
  EXPECT_EQ(result(119.6), "pass");  // at most the 0.5 s floor early
  EXPECT_EQ(result(119.4), "deviation");
  EXPECT_EQ(result(6.0), "deviation");
  json v =
      CompareCase(Table(), "33", {{"close_blocked_s", 120.0}, {"close_ret", 0}}, 0, Unscaled());
  EXPECT_EQ(v["status"], "deviation");
  EXPECT_EQ(v["checks"][1]["result"], "deviation");
}

TEST(CompareTest, AbsentClaimIsNotObserved) {
  json v = CompareCase(Table(), "04", {{"close_blocks", false}}, 0, Unscaled());
  EXPECT_EQ(v["status"], "not-comparable");
  EXPECT_EQ(OnlyCheck(v)["result"], "not-observed");
  EXPECT_TRUE(OnlyCheck(v)["observed"].is_null());
  // A missing or non-object claims object is the same as no claims.
  EXPECT_EQ(CompareCase(Table(), "04", nullptr, 0, Unscaled())["checks"][0]["result"],
            "not-observed");
}

TEST(CompareTest, AbsentClaimWithoutACaptureIsNotComparableWithTheReason) {
  CompareOptions opt = Unscaled();
  opt.no_capture_reason = "capture_unavailable: no privilege";
  json v = CompareCase(Table(), "04", {{"close_blocks", false}}, 0, opt);
  EXPECT_EQ(v["status"], "not-comparable");
  EXPECT_EQ(OnlyCheck(v)["result"], "not-comparable");
  EXPECT_NE(OnlyCheck(v)["note"].get<std::string>().find("no privilege"), std::string::npos);
  // A claim that was made (from syscalls) is still compared.
  json w = CompareCase(
      Table(), "06",
      {{"close_blocks", true}, {"close_blocked_s", 20.0}, {"close_errno", "EWOULDBLOCK"}}, 20, opt);
  EXPECT_EQ(w["status"], "pass") << w.dump(2);
}

TEST(CompareTest, NotObservedDoesNotHidePass) {
  json v = CompareCase(Table(), "06", {{"close_blocks", true}}, 20, Unscaled());
  EXPECT_EQ(v["status"], "pass");
  EXPECT_EQ(v["checks"][1]["result"], "not-observed");
}

TEST(CompareTest, OnlyExpectationIsSkippedOnOtherOs) {
  json v = CompareCase(Table(), "01", {{"idle_abort", false}}, 0, Unscaled("NetBSD"));
  EXPECT_EQ(OnlyCheck(v)["result"], "skipped");
  EXPECT_NE(OnlyCheck(v)["note"].get<std::string>().find("only for FreeBSD; host OS is NetBSD"),
            std::string::npos);
  EXPECT_EQ(v["status"], "no-expectation");
  EXPECT_EQ(
      CompareCase(Table(), "01", {{"idle_abort", true}}, 0, Unscaled(""))["checks"][0]["result"],
      "skipped");
}

TEST(CompareTest, OnlyExpectationIsComparedOnItsOs) {
  // Case-insensitive: uname says "FreeBSD"; someone may write "freebsd".
  json v = CompareCase(Table(), "01", {{"idle_abort", false}}, 0, Unscaled("freebsd"));
  EXPECT_EQ(v["status"], "deviation");
  v = CompareCase(Table(), "01", {{"idle_abort", true}}, 0, Unscaled("FreeBSD"));
  EXPECT_EQ(v["status"], "pass");
}

TEST(CompareTest, InferredExpectationIsComparedAndSaysSo) {
  json v = CompareCase(Table(), "31", {{"late_setsockopt_errno", nullptr}}, 0, Unscaled());
  EXPECT_EQ(v["status"], "pass");
  EXPECT_NE(OnlyCheck(v)["note"].get<std::string>().find("inferred"), std::string::npos);
  v = CompareCase(Table(), "31", {{"late_setsockopt_errno", "EINVAL"}}, 0, Unscaled());
  EXPECT_EQ(v["status"], "deviation");
}

TEST(CompareTest, CaseWithoutExpectationsIsNoExpectation) {
  json v = CompareCase(Table(), "02", {{"abort_on_close", false}}, 0, Unscaled());
  EXPECT_EQ(v["status"], "no-expectation");
  EXPECT_TRUE(v["checks"].is_array());
  EXPECT_TRUE(v["checks"].empty());
}

// A stack fault (lwIP exited or hung in a call): never an error. Where the
// table states nothing the verdict is no-expectation with the fault as its
// reason; claims the case never reached are not-comparable for it.
TEST(CompareTest, AStackFaultIsTheReasonNotAnError) {
  CompareOptions o = Unscaled();
  o.stack_fault_reason = "stack fault: the server's stack exited in close()";
  json v = CompareCase(Table(), "03", {{"stack_fault", "exited_in_close"}}, 0, o);
  EXPECT_EQ(v["status"], "no-expectation");
  EXPECT_EQ(v["reason"], o.stack_fault_reason);
  v = CompareCase(Table(), "04", {{"stack_fault", "exited_in_close"}}, 0, o);
  EXPECT_EQ(v["status"], "not-comparable");
  const json& c = OnlyCheck(v);
  EXPECT_EQ(c["result"], "not-comparable");
  EXPECT_EQ(c["note"], "not observed: " + o.stack_fault_reason);
  EXPECT_EQ(v["reason"], o.stack_fault_reason);
  // Without a fault nothing changes: no reason.
  EXPECT_FALSE(CompareCase(Table(), "03", json::object(), 0, Unscaled()).contains("reason"));
}

TEST(CompareTest, StackFaultIsAClaimOfTheVocabulary) {
  const ClaimInfo* info = FindClaim("stack_fault");
  ASSERT_NE(info, nullptr);
  for (const char* ok : {"none", "exited_in_close", "hung_in_close", "hung_in_wait_outq"})
    EXPECT_EQ(CheckClaimValue(*info, ok), "") << ok;
  for (const json& bad : {json("exited"), json("exited_in_"), json("hung_in_Close"),
                          json("melted_in_close"), json(true), json(nullptr)})
    EXPECT_NE(CheckClaimValue(*info, bad), "") << bad;
}

}  // namespace
}  // namespace lingerlab

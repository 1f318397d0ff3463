// A --repeat run's work and names: each case's repetitions together, each
// with its own file stem and lab name, and a run without --repeat exactly
// as before (repetition 0, today's names).
#include "suite/coordinator/run.h"

#include <gtest/gtest.h>

#include "agents/base/text_rules.h"
#include "suite/coordinator/case_runner.h"

namespace lingerlab {
namespace {

std::vector<MatrixCase> TwoCases() {
  MatrixCase a, b;
  a.id = "03";
  a.name = "slow-client__linger-lsock-0";
  b.id = "DL01";
  b.name = "x";
  return {a, b};
}

TEST(RunRepeatTest, WithoutRepeatEachCaseRunsOnceUnderTodaysNames) {
  const std::vector<MatrixCase> cases = TwoCases();
  for (int repeat : {0, 1}) {
    const std::vector<RunItem> items = ExpandRepetitions(cases, repeat);
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].c, &cases[0]);
    EXPECT_EQ(items[0].repetition, 0);
    EXPECT_EQ(items[1].c, &cases[1]);
  }
  EXPECT_EQ(CaseStem(cases[0]), "03__slow-client__linger-lsock-0");
  EXPECT_EQ(CaseLabName(cases[0]), "03");
  EXPECT_EQ(*CaseDocPath("/o", cases[0]), "/o/cases/03__slow-client__linger-lsock-0.json");
}

TEST(RunRepeatTest, RepetitionsOfACaseAreTogetherAndNamedApart) {
  const std::vector<MatrixCase> cases = TwoCases();
  const std::vector<RunItem> items = ExpandRepetitions(cases, 3);
  ASSERT_EQ(items.size(), 6u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(items[k].c, &cases[0]);
    EXPECT_EQ(items[k].repetition, k + 1);
    EXPECT_EQ(items[3 + k].c, &cases[1]);
  }
  EXPECT_EQ(CaseStem(cases[0], 3), "03__slow-client__linger-lsock-0__r3");
  EXPECT_EQ(*CaseDocPath("/o", cases[1], 10), "/o/cases/DL01__x__r10.json");
  // The stem stays a safe file name; the lab name stays [A-Za-z0-9]+, what
  // the sweep of namespaces ll-<run>-<case>-s|c matches.
  EXPECT_TRUE(IsSafeName(CaseStem(cases[0], 1000), 255));
  EXPECT_EQ(CaseLabName(cases[1], 7), "DL01r7");
  EXPECT_NE(CaseLabName(cases[0], 1), CaseLabName(cases[0], 2));
}

}  // namespace
}  // namespace lingerlab

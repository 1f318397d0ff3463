#include <gtest/gtest.h>

#include <algorithm>

#include "suite/matrix/matrix.h"

namespace lingerlab {
namespace {

class CaseSelectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
    ASSERT_TRUE(m.ok()) << m.error().message;
    matrix_ = std::move(*m);
  }
  std::vector<std::string> Ids(const std::string& selection) {
    auto sel = SelectCases(matrix_, selection);
    if (!sel.ok()) return {"error: " + sel.error().message};
    std::vector<std::string> ids;
    for (const MatrixCase& c : *sel) ids.push_back(c.id);
    return ids;
  }
  std::string Error(const std::string& selection) {
    auto sel = SelectCases(matrix_, selection);
    return sel.ok() ? "(selected " + std::to_string(sel->size()) + ")" : sel.error().message;
  }
  Matrix matrix_;
};

using V = std::vector<std::string>;

TEST_F(CaseSelectionTest, IdsKeepTheOrderOfRequestEachOnce) {
  EXPECT_EQ(Ids("04,02,04"), (V{"04", "02"}));
  EXPECT_EQ(Ids(""), Ids("01-34"));
  EXPECT_EQ(Ids("").size(), 34u);
}

TEST_F(CaseSelectionTest, SpacesSeparateItemsLikeCommas) {
  EXPECT_EQ(Ids("03, 04"), (V{"03", "04"}));
  EXPECT_EQ(Ids(" 03   04 ,05,"), (V{"03", "04", "05"}));
}

TEST_F(CaseSelectionTest, RangesIncludeBothEndsInMatrixOrder) {
  EXPECT_EQ(Ids("03-06"), (V{"03", "04", "05", "06"}));
  EXPECT_EQ(Ids("10-10"), (V{"10"}));
  EXPECT_EQ(Ids("05-07,03"), (V{"05", "06", "07", "03"}));
  // Backwards or with an unknown end: no case, an error naming the item.
  EXPECT_NE(Error("06-03").find("'06-03' names no case"), std::string::npos) << Error("06-03");
  EXPECT_NE(Error("03-99").find("'03-99'"), std::string::npos);
}

TEST_F(CaseSelectionTest, GlobsMatchIdsAndNames) {
  const V lsock = Ids("*lsock*");
  ASSERT_FALSE(lsock.empty());
  for (const std::string& id : lsock) {
    auto it = std::find_if(matrix_.cases.begin(), matrix_.cases.end(),
                           [&](auto& c) { return c.id == id; });
    ASSERT_NE(it, matrix_.cases.end());
    EXPECT_NE(it->name.find("lsock"), std::string::npos) << it->name;
  }
  EXPECT_LT(lsock.size(), 34u);
  EXPECT_EQ(Ids("0?").size(), 9u);
  EXPECT_EQ(Ids("slow-client__no-linger"), (V{"02"}));  // a full name
  EXPECT_NE(Error("*nothing-like-this*").find("names no case"), std::string::npos);
}

TEST_F(CaseSelectionTest, ATypoGetsASuggestionAndOtherwiseTheKnownIds) {
  EXPECT_NE(Error("slow-client__no-lingr").find("did you mean 'slow-client__no-linger'?"),
            std::string::npos)
      << Error("slow-client__no-lingr");
  const std::string e = Error("02,zzzzzzzz");
  EXPECT_NE(e.find("'zzzzzzzz' names no case"), std::string::npos) << e;
  EXPECT_NE(e.find("known ids: 01,02,"), std::string::npos) << e;
  EXPECT_EQ(Error(" , "), "--cases selected no case");
}

}  // namespace
}  // namespace lingerlab

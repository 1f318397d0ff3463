#include "agents/base/suggest.h"

#include <gtest/gtest.h>

namespace lingerlab {
namespace {

TEST(SuggestTest, EditDistanceCountsEditsAndNeighbourSwaps) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("run", "run"), 0u);
  EXPECT_EQ(EditDistance("rnu", "run"), 1u);  // swap
  EXPECT_EQ(EditDistance("rn", "run"), 1u);   // insert
  EXPECT_EQ(EditDistance("runn", "run"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(SuggestTest, ClosestMatchFindsLikelyTyposOnly) {
  const std::vector<std::string> commands = {"run",  "check", "report", "show",
                                             "diff", "list",  "clean",  "keygen"};
  EXPECT_EQ(ClosestMatch("rnu", commands), "run");
  EXPECT_EQ(ClosestMatch("chekc", commands), "check");
  EXPECT_EQ(ClosestMatch("repot", commands), "report");
  EXPECT_EQ(ClosestMatch("xyzzy", commands), std::nullopt);
  EXPECT_EQ(ClosestMatch("", commands), std::nullopt);
  EXPECT_EQ(ClosestMatch("clear", commands), "clean");
  const std::vector<std::string> options = {"--time-scale", "--target", "--cases", "--out"};
  EXPECT_EQ(ClosestMatch("--time-scal", options), "--time-scale");
  EXPECT_EQ(ClosestMatch("--time", options), "--time-scale");  // unfinished word
  EXPECT_EQ(ClosestMatch("--taget", options), "--target");
  EXPECT_EQ(ClosestMatch("--jobs", options), std::nullopt);
}

}  // namespace
}  // namespace lingerlab

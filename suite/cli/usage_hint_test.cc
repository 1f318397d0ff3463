#include "suite/cli/usage_hint.h"

#include <gtest/gtest.h>

namespace lingerlab {
namespace {

// A parser shaped like lingerlab's (main.cc): global flags, subcommands
// with options and positionals.
struct Parser {
  CLI::App app{"test"};
  double scale = 1;
  std::string target, results;
  int verbosity = 0;
  Parser() {
    app.add_flag("-v,--verbose", verbosity);
    auto* run = app.add_subcommand("run");
    run->add_option("--time-scale", scale);
    run->add_option("--target", target);
    auto* check = app.add_subcommand("check");
    check->add_option("results", results);
    check->add_option("--expect", target);
    app.add_subcommand("report");
    app.add_subcommand("clean");
  }
};

std::optional<std::string> Hint(std::vector<std::string> args) {
  Parser p;
  return UsageHint(p.app, args);
}

TEST(UsageHintTest, SuggestsTheSubcommandForATypo) {
  EXPECT_EQ(Hint({"rnu"}), "did you mean 'run'?");
  EXPECT_EQ(Hint({"-v", "chekc", "x.json"}), "did you mean 'check'?");
  EXPECT_EQ(Hint({"frobnicate"}), std::nullopt);
}

TEST(UsageHintTest, SuggestsAnOptionOfTheChosenSubcommand) {
  EXPECT_EQ(Hint({"run", "--time-scal", "0.05"}),
            "did you mean '--time-scale' (an option of 'run')?");
  EXPECT_EQ(Hint({"run", "--time-scal=0.05"}), "did you mean '--time-scale' (an option of 'run')?");
  EXPECT_EQ(Hint({"run", "--taget", "gvisor"}), "did you mean '--target' (an option of 'run')?");
  EXPECT_EQ(Hint({"check", "r.json", "--expec", "linux"}),
            "did you mean '--expect' (an option of 'check')?");
  // An option of another subcommand is not offered.
  EXPECT_EQ(Hint({"check", "--time-scale", "1"}), std::nullopt);
}

TEST(UsageHintTest, KnownWordsAndValuesGetNoHint) {
  EXPECT_EQ(Hint({"run", "--target", "gvisor", "--time-scale", "0.05"}), std::nullopt);
  EXPECT_EQ(Hint({"check", "rnu"}), std::nullopt);  // a positional, not a command
  EXPECT_EQ(Hint({}), std::nullopt);
  EXPECT_EQ(Hint({"run", "--", "--time-scal"}), std::nullopt);
}

}  // namespace
}  // namespace lingerlab

#include "suite/cli/color.h"

#include <gtest/gtest.h>

namespace lingerlab {
namespace {

TEST(ColorTest, AutoColoursATerminalUnlessNoColorOrDumb) {
  EXPECT_TRUE(ColorWanted(ColorMode::kAuto, true, nullptr, "xterm-256color"));
  EXPECT_FALSE(ColorWanted(ColorMode::kAuto, false, nullptr, "xterm"));  // a pipe
  EXPECT_FALSE(ColorWanted(ColorMode::kAuto, true, "1", "xterm"));
  EXPECT_TRUE(ColorWanted(ColorMode::kAuto, true, "", "xterm"));  // NO_COLOR empty: not set
  EXPECT_FALSE(ColorWanted(ColorMode::kAuto, true, nullptr, "dumb"));
  EXPECT_TRUE(ColorWanted(ColorMode::kAuto, true, nullptr, nullptr));
}

TEST(ColorTest, AlwaysAndNeverDecideAlone) {
  EXPECT_TRUE(ColorWanted(ColorMode::kAlways, false, "1", "dumb"));
  EXPECT_FALSE(ColorWanted(ColorMode::kNever, true, nullptr, "xterm"));
}

TEST(ColorTest, ParsesTheThreeModesOnly) {
  ColorMode m = ColorMode::kAuto;
  EXPECT_TRUE(ParseColorMode("never", m));
  EXPECT_EQ(m, ColorMode::kNever);
  EXPECT_TRUE(ParseColorMode("always", m));
  EXPECT_EQ(m, ColorMode::kAlways);
  EXPECT_FALSE(ParseColorMode("yes", m));
  EXPECT_EQ(m, ColorMode::kAlways);
}

TEST(ColorTest, VerdictWordsGetTheirColourOthersStayPlain) {
  EXPECT_EQ(PaintVerdict("pass", "pass   "), "\x1b[32mpass   \x1b[0m");
  EXPECT_EQ(PaintVerdict("deviation", "deviation"), "\x1b[31mdeviation\x1b[0m");
  EXPECT_EQ(PaintVerdict("error", "error"), "\x1b[1;31merror\x1b[0m");
  EXPECT_EQ(PaintVerdict("", "   "), "   ");
  EXPECT_EQ(PaintVerdict("\x1b[2J", "x"), "x");
}

}  // namespace
}  // namespace lingerlab

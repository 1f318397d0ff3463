#include "agents/base/text_rules.h"

#include <string>

#include <gtest/gtest.h>

namespace lingerlab {
namespace {

TEST(TextRules, SafeNamesAreThePathAlphabet) {
  for (const char* ok : {"03", "slow-client__linger-lsock-0", "DL01", "a.b+c=d", "x_1"})
    EXPECT_TRUE(IsSafeName(ok, 128)) << ok;
  for (const char* bad : {"", ".", "..", ".hidden", "-rf", "x/../../ESCAPED", "a/b", "a\\b", "a b",
                          "a\nb", "javascript:x", "caf\xc3\xa9"})
    EXPECT_FALSE(IsSafeName(bad, 128)) << bad;
  EXPECT_TRUE(IsSafeName(std::string(128, 'a'), 128));
  EXPECT_FALSE(IsSafeName(std::string(129, 'a'), 128));
}

TEST(TextRules, SafeRelativePathsStayBelowTheirDirectory) {
  EXPECT_TRUE(IsSafeRelativePath("pcaps/03__idle-client__no-linger.pcap", 512));
  EXPECT_TRUE(IsSafeRelativePath("x.pcap", 512));
  for (const char* bad : {"", "/etc/passwd", "../x.pcap", "pcaps/../../x", "pcaps//x", "pcaps/",
                          "javascript:alert(1)", "pcaps/.x", "http://h/x", "a/./b"})
    EXPECT_FALSE(IsSafeRelativePath(bad, 512)) << bad;
  EXPECT_FALSE(IsSafeRelativePath(std::string(600, 'a'), 512));
}

TEST(TextRules, ErrnoNames) {
  for (const char* ok : {"ECONNRESET", "EWOULDBLOCK", "E10054"}) EXPECT_TRUE(IsErrnoName(ok)) << ok;
  for (const char* bad : {"", "E", "econnreset", "ECONN RESET", "XCONNRESET", "E\x1b[2J"})
    EXPECT_FALSE(IsErrnoName(bad)) << bad;
  EXPECT_FALSE(IsErrnoName("E" + std::string(kMaxErrnoNameBytes, 'A')));
}

TEST(TextRules, PlainTextHasNoControlCharacters) {
  EXPECT_TRUE(IsPlainText("Linux 6.1.0-57-amd64 #1 SMP PREEMPT_DYNAMIC Debian", 256));
  EXPECT_TRUE(IsPlainText("Windows (Wine 8.0) caf\xc3\xa9 \xe4\xb8\x80", 256));
  for (const char* bad : {"a\nb", "a\rb", "\x1b]0;title\x07", "a\x7f",
                          "a\xc2\x9b"
                          "2J",
                          "tab\t"})
    EXPECT_FALSE(IsPlainText(bad, 256)) << bad;
  EXPECT_FALSE(IsPlainText(std::string(257, 'a'), 256));
}

TEST(TextRules, TerminalSafeShowsControlsAsEscapes) {
  EXPECT_EQ(TerminalSafe("Linux"), "Linux");
  EXPECT_EQ(TerminalSafe("\x1b]0;pwned\x07"), "\\x1b]0;pwned\\x07");
  EXPECT_EQ(TerminalSafe("ok\rFAKE"), "ok\\x0dFAKE");
  EXPECT_EQ(TerminalSafe("a\xc2\x9b"
                         "2J"),
            "a\\u009b2J");
  EXPECT_EQ(TerminalSafe("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 letters stay
  EXPECT_EQ(TerminalSafe("a\nb\tc"), "a\\x0ab\\x09c");
  EXPECT_EQ(TerminalSafe("a\nb\tc\x1b", true), "a\nb\tc\\x1b");
  EXPECT_EQ(TerminalSafe(std::string("a\0b", 3)), "a\\x00b");
}

}  // namespace
}  // namespace lingerlab

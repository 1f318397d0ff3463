// TAP output: its lines checked here, and read back by a real consumer,
// Perl's TAP::Parser (perl-modules, on every Debian system), which must see
// the same test points, verdicts and skips, and no parse error, also when
// the results file holds hostile text. tools/check-ci-formats.sh reads it
// with npm's tap-parser too.
#include "suite/report/tap_report.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lingerlab {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kSource = LINGERLAB_SOURCE_DIR;

json LoadRun(const std::string& run) {
  std::ifstream in(kSource + "/results/" + run + "/results.json");
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

// What TAP::Parser makes of `tap`: "tests=N passed=N failed=N skipped=N
// errors=N version=N", then "ok|not ok|skip <number> <description>" per test.
std::string ParsedByTapParser(const std::string& tap) {
  const fs::path file =
      fs::temp_directory_path() / ("tap_report_test." + std::to_string(::getpid()) + ".tap");
  std::ofstream(file) << tap;
  const std::string cmd =
      "perl -MTAP::Parser -e '"
      "my $p = TAP::Parser->new({source => $ARGV[0]}); my $lines = \"\";"
      "while (my $r = $p->next) { next unless $r->is_test;"
      "  $lines .= ($r->has_skip ? \"skip\" : $r->is_ok ? \"ok\" : \"not ok\")"
      "    . \" \" . $r->number . \" \" . $r->description . \"\\n\"; }"
      "printf \"tests=%d passed=%d failed=%d skipped=%d errors=%d version=%d\\n%s\","
      "  $p->tests_run, scalar($p->passed), scalar($p->failed), scalar($p->skipped),"
      "  scalar($p->parse_errors), $p->version, $lines;"
      "print map { \"parse error: $_\\n\" } $p->parse_errors;' " +
      file.string() + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  if (p) ::pclose(p);
  fs::remove(file);
  return out;
}

TEST(TapReportTest, AGvisorRunIsKselftestTapWithItsDeviations) {
  const std::string tap = RenderTap(LoadRun("reference-gvisor-scale0.05"), "lingerlab.so_linger");
  EXPECT_EQ(tap.rfind("TAP version 13\n# lingerlab.so_linger[gvisor]: Linux 4.4.0, family linux, "
                      "time scale 0.05\n1..34\n",
                      0),
            0u)
      << tap.substr(0, 300);
  EXPECT_NE(tap.find("\nok 1 - 01 idle-client__no-linger [gvisor] # SKIP no-expectation: the "
                     "expected table of family 'linux' states nothing for this case\n"),
            std::string::npos);
  EXPECT_NE(tap.find("\nnot ok 3 - 03 slow-client__linger-lsock-0 [gvisor]\n# deviates from the "
                     "expected table: "),
            std::string::npos)
      << tap.substr(0, 1500);
  EXPECT_NE(tap.find("\nok 4 - 04 slow-client__linger-csock-0 [gvisor]\n"), std::string::npos);
  EXPECT_NE(tap.find("\n# pcap: pcaps/03"), std::string::npos);
  EXPECT_TRUE(tap.ends_with("\n# Totals: pass:6 fail:6 xfail:0 xpass:0 skip:22 error:0\n")) << tap;

  const std::string parsed = ParsedByTapParser(tap);
  EXPECT_EQ(parsed.rfind("tests=34 passed=28 failed=6 skipped=22 errors=0 version=13\n", 0), 0u)
      << parsed;
  EXPECT_NE(parsed.find("\nnot ok 3 - 03 slow-client__linger-lsock-0 [gvisor]\n"),
            std::string::npos)
      << parsed;
  EXPECT_NE(parsed.find("\nskip 1 - 01 idle-client__no-linger [gvisor]\n"), std::string::npos);
}

TEST(TapReportTest, ErrorsAreNotOkWithTheirReasonAndWarningsAreDiagnostics) {
  json doc = LoadRun("reference-scale0.05");
  doc["cases"][1]["verdict"] = {{"status", "error"}, {"reason", "agent lost after step 3"}};
  doc["cases"][2].erase("verdict");
  doc["cases"][3]["warnings"] = {"orphan still alive; RST at teardown"};
  doc["environment"]["interrupted"] = true;
  const std::string tap = RenderTap(doc, "lingerlab.so_linger");
  EXPECT_NE(tap.find("\nnot ok 2 - 02 slow-client__no-linger [netns]\n# error: agent lost after "
                     "step 3\nnot ok 3 - 03 "),
            std::string::npos)
      << tap.substr(0, 1200);
  EXPECT_NE(tap.find("\n# error: the case has no verdict\n"), std::string::npos);
  EXPECT_NE(tap.find("\n# warning: orphan still alive; RST at teardown\n"), std::string::npos);
  EXPECT_NE(tap.find("\n# the run was interrupted"), std::string::npos);
  EXPECT_NE(tap.find("# Totals: pass:11 fail:0 xfail:0 xpass:0 skip:21 error:2\n"),
            std::string::npos);
  EXPECT_EQ(ParsedByTapParser(tap).rfind("tests=34 passed=32 failed=2 skipped=21 errors=0", 0), 0u);
}

// What a results file says cannot add a test line, a directive or a bail
// out: the consumer still sees 34 tests with the same verdicts.
TEST(TapReportTest, HostileTextStaysInsideItsLine) {
  json doc = LoadRun("reference-scale0.05");
  doc["cases"][0]["name"] = "x # SKIP forged\nnot ok 99 - forged\r\x1b[2J\\";
  doc["cases"][4]["verdict"] = {{"status", "error"}, {"reason", "a\nBail out! forged\nok 98"}};
  doc["cases"][5]["verdict"] = {{"status", "not-comparable"}, {"reason", "r\nnot ok 97 # x"}};
  doc["cases"][3]["id"] = 7;
  const std::string tap = RenderTap(doc, "lingerlab.so_linger");
  EXPECT_EQ(tap.find('\x1b'), std::string::npos);
  EXPECT_EQ(tap.find("\nnot ok 99"), std::string::npos);
  EXPECT_EQ(tap.find("\nBail out!"), std::string::npos);
  // Control characters as TerminalSafe shows them, then '\' and '#' escaped.
  EXPECT_NE(tap.find("\nok 1 - 01 x \\# SKIP forged\\\\x0anot ok 99 - forged\\\\x0d\\\\x1b[2J\\\\ "
                     "[netns] # SKIP no-expectation"),
            std::string::npos)
      << tap.substr(0, 600);
  const std::string parsed = ParsedByTapParser(tap);
  EXPECT_EQ(parsed.rfind("tests=34 passed=33 failed=1 skipped=22 errors=0", 0), 0u) << parsed;
  // TAP::Parser keeps the escapes in the description it reports.
  EXPECT_NE(parsed.find("\nskip 1 - 01 x \\# SKIP forged"), std::string::npos) << parsed;
  EXPECT_NE(parsed.find("\nok 4 - 7 slow-client__linger-csock-0 [netns]\n"), std::string::npos);
}

TEST(TapReportTest, NoCasesIsAPlanOfZeroWithASkip) {
  for (const json& odd : {json(), json::object(), json{{"cases", 3}}}) {
    const std::string tap = RenderTap(odd, "p");
    EXPECT_NE(tap.find("\n1..0 # SKIP the results hold no cases\n"), std::string::npos) << tap;
    EXPECT_NE(ParsedByTapParser(tap).find("tests=0 passed=0 failed=0 skipped=0 errors=0"),
              std::string::npos);
  }
  // Cases that are no objects still give one line each.
  const std::string tap = RenderTap(json{{"cases", {1, "x"}}}, "p");
  EXPECT_NE(
      tap.find("\n1..2\nnot ok 1 - (unnamed case) [unknown]\n# error: the case has no verdict\n"),
      std::string::npos)
      << tap;
}

}  // namespace
}  // namespace lingerlab

// The Markdown report, golden-tested.
//
// testdata/report_golden.md is rendered from the real matrix/expected files
// and the two constructed results documents in testdata/. Any difference
// fails. After an intended change, regenerate it and review the diff:
//
//   LINGERLAB_UPDATE_GOLDEN=1 ./report_test --gtest_filter='ReportTest.*'
#include "suite/report/markdown_report.h"
#include "suite/expect/test_matrix.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace lingerlab {
namespace {

using nlohmann::json;

const std::string kTestdata = LINGERLAB_EXPECT_TESTDATA;
const std::string kGoldenDir = LINGERLAB_REPORT_TESTDATA;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<ExpectedTable> Tables() {
  auto tables =
      LoadExpectedDir(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/expected", SoLingerMatrix());
  EXPECT_TRUE(tables.ok()) << tables.error().message;
  return tables.ok() ? tables.value() : std::vector<ExpectedTable>{};
}

std::vector<json> Docs() {
  return {json::parse(ReadText(kTestdata + "/results_linux_scaled.json")),
          json::parse(ReadText(kTestdata + "/results_freebsd.json"))};
}

TEST(ReportTest, MatchesGoldenFile) {
  const std::string report = RenderMarkdownReport(SoLingerMatrix(), Tables(), Docs());
  const std::string golden_path = kGoldenDir + "/report_golden.md";
  const char* update = std::getenv("LINGERLAB_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(golden_path, std::ios::binary) << report;
    GTEST_SKIP() << "rewrote " << golden_path;
  }
  const std::string golden = ReadText(golden_path);
  ASSERT_FALSE(golden.empty()) << golden_path << " is missing; see the comment at the top";
  EXPECT_EQ(report, golden) << "report differs from " << golden_path
                            << "; if intended, rerun with LINGERLAB_UPDATE_GOLDEN=1";
}

// Independent of the golden file: the facts the report exists to show.
TEST(ReportTest, ReproducesArticleRowsAndMarksDeviations) {
  const std::string report = RenderMarkdownReport(SoLingerMatrix(), Tables(), Docs());
  EXPECT_NE(report.find("| BSD | No | Yes | No | Yes |"), std::string::npos);
  EXPECT_NE(report.find("| Windows (Native) | Yes | Yes | No | No |"), std::string::npos);
  EXPECT_NE(report.find("| Darwin | Yes | 0.2 | No | No |"), std::string::npos);
  EXPECT_NE(report.find("| Windows (Cygwin) | Yes * | Until FIN is ACK'd | No | No |"),
            std::string::npos);
  // R1's {on,0} row: #04 did not abort on a Linux host.
  EXPECT_NE(report.find("| **R1: Linux 6.1.0, netns, time scale 0.05** | Yes | No ⚠1 |"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("- ⚠1 R1, case 04 (slow-client__linger-csock-0), `abort_on_close`: "
                        "expected true, observed false"),
            std::string::npos)
      << report;
  // A kernel-constant 120 s at scale 1 is compared, and passes.
  EXPECT_NE(report.find("close_blocked_s=120 ✓"), std::string::npos) << report;
  // FreeBSD's RST-after-close expectation is for NetBSD/OpenBSD only.
  EXPECT_NE(report.find("rst_after_clean_close=false (skipped: other OS)"), std::string::npos);
  EXPECT_NE(report.find("error: server agent lost"), std::string::npos);
}

// A claim no table states (Linux's #31 states only late_setsockopt_errno)
// that differs between two runs is marked as `lingerlab diff` reports it.
TEST(ReportTest, RunsThatDifferAreMarkedWithoutAnExpectation) {
  json now = Docs()[0];
  for (json& c : now["cases"])
    if (c["id"] == "31") c["outcome"]["claims"]["eof_before_limit"] = true;
  const std::string report = RenderMarkdownReport(SoLingerMatrix(), Tables(), {Docs()[0], now});
  EXPECT_NE(report.find("- R2 vs R1: 1 of 34 case(s) differ: #31\n"), std::string::npos) << report;
  EXPECT_NE(report.find("| 31 ≠ |"), std::string::npos);
  EXPECT_NE(report.find("**pass**<br>late_setsockopt_errno=null ✓<br>**eof_before_limit=true** (≠ "
                        "R1: false) | R2 vs R1: eof_before_limit |"),
            std::string::npos)
      << report;
  EXPECT_EQ(report.find("| 33 ≠ |"), std::string::npos);
}

TEST(ReportTest, RendersWithoutResults) {
  const std::string report = RenderMarkdownReport(SoLingerMatrix(), Tables(), {});
  EXPECT_NE(report.find("No results documents were given."), std::string::npos);
  EXPECT_NE(report.find("| 34 | idle-client__linger-lsock-0__shutdown-10 |"), std::string::npos);
  EXPECT_NE(report.find("## Deviations\n\nNone.\n"), std::string::npos);
}

// Rows come from the loaded matrix, not a list in C++: a second matrix
// without summary_tables gets its own grid and no article tables.
TEST(ReportTest, RowsComeFromTheLoadedMatrix) {
  auto mini = ParseMatrix(json::parse(R"({
    "format": "lingerlab-matrix/1", "name": "mini",
    "defaults": {"payload_bytes": 1024, "read_chunk": 512, "port": 5001},
    "cases": [{"id": "T01", "name": "fast-client__no-linger", "client": "fast"}]})"),
                          "mini.json");
  ASSERT_TRUE(mini.ok()) << mini.error().message;
  const std::string report = RenderMarkdownReport(*mini, {}, {});
  EXPECT_NE(report.find("| T01 | fast-client__no-linger |"), std::string::npos) << report;
  EXPECT_EQ(report.find("| 34 |"), std::string::npos);
  EXPECT_EQ(report.find("Effect of SO_LINGER"), std::string::npos);
}

TEST(ReportTest, UnknownFamilyIsShownUnmarked) {
  json doc = Docs()[0];
  doc["environment"]["expect_family"] = "plan9";
  const std::string report = RenderMarkdownReport(SoLingerMatrix(), Tables(), {doc});
  EXPECT_NE(report.find("compared with family `plan9` (no expected table: nothing marked)"),
            std::string::npos);
  EXPECT_EQ(report.find("⚠1"), std::string::npos);
}

}  // namespace
}  // namespace lingerlab

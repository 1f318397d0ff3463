// The HTML report: self-contained and escaped (unit checks), and, loaded in
// headless Chromium as a person would open it, free of console errors, with
// its tables and one non-empty timeline per case (browser checks). Chromium
// comes from Debian's `chromium` package (tools/install-deps.sh).
#include "suite/report/html_report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "suite/expect/test_matrix.h"

namespace lingerlab {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kSource = LINGERLAB_SOURCE_DIR;

json Reference(const std::string& run = "reference-scale0.05") {
  std::ifstream in(kSource + "/results/" + run + "/results.json");
  return json::parse(in);
}

std::vector<ExpectedTable> Tables() {
  auto t = LoadExpectedDir(kSource + "/matrix/expected", SoLingerMatrix());
  EXPECT_TRUE(t.ok());
  return t.ok() ? *t : std::vector<ExpectedTable>{};
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

struct Shell {
  int status = -1;
  std::string out;
};
Shell RunShell(const std::string& cmd) {
  Shell r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

TEST(HtmlReportTest, SelfContainedWithTablesGridAndOneTimelinePerCase) {
  const std::string html = RenderHtmlReport(SoLingerMatrix(), Tables(), {Reference()}, {"ref/"});
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // The only absolute URL is SVG's namespace name, which is never fetched.
  EXPECT_EQ(Count(html, "http"), Count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(Count(html, "<table class=\"summary\">"), 2u);
  EXPECT_EQ(Count(html, "<table class=\"grid\">"), 1u);
  EXPECT_EQ(Count(html, "<svg class=\"timeline\""), 34u);
  EXPECT_NE(html.find("<a href=\"ref/pcaps/04__slow-client__linger-csock-0.pcap\">"),
            std::string::npos);
  EXPECT_NE(html.find("id=\"tl-R1-04\""), std::string::npos);
}

TEST(HtmlReportTest, DeviationsAreMarkedAndLinkedAndTextIsEscaped) {
  json doc = Reference();
  for (json& c : doc["cases"])
    if (c["id"] == "04") {
      c["outcome"]["claims"]["abort_on_close"] = false;  // 04 now deviates from Linux
      c["name"] = "<b>&";
    }
  doc["cases"][0]["agents"]["server"]["platform"]["release"] = "6.1 <script>alert(1)</script>";
  const std::string html = RenderHtmlReport(SoLingerMatrix(), Tables(), {doc}, {""});
  EXPECT_NE(html.find("<li id=\"dev-1\" value=\"1\">R1, case <a href=\"#tl-R1-04\">"),
            std::string::npos);
  EXPECT_NE(html.find("<a class=\"mark\" href=\"#dev-1\">⚠1</a>"), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
}

TEST(HtmlReportTest, EmptyAndOddInputsStillRender) {
  EXPECT_NE(RenderHtmlReport(SoLingerMatrix(), Tables(), {}, {}).find("No results files"),
            std::string::npos);
  json odd = Reference();
  odd["cases"][1]["packets"] = json::array();
  odd["cases"][2].erase("events");
  odd["cases"][3]["status"] = "error";
  odd["cases"][3]["error"] = "agent lost";
  const std::string html = RenderHtmlReport(SoLingerMatrix(), Tables(), {odd}, {});
  EXPECT_EQ(Count(html, "<svg class=\"timeline\""), 34u);
}

// Opens the report as a person would: headless Chromium loads it, any
// console message fails (the page has no script, so one would be an error
// such as a malformed SVG attribute), the DOM after load has the tables and
// 34 timelines each with packets and calls drawn, and a screenshot is taken.
class HtmlReportBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RunShell("command -v chromium >/dev/null 2>&1").status != 0)
      FAIL() << "chromium is missing: apt-get install chromium (tools/install-deps.sh)";
    dir_ = fs::temp_directory_path() / ("html_report_test." + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Copies a screenshot to LINGERLAB_SCREENSHOT_DIR when set, for people.
  static void Keep(const fs::path& shot) {
    if (const char* keep = std::getenv("LINGERLAB_SCREENSHOT_DIR"))
      fs::copy_file(shot, fs::path(keep) / shot.filename(), fs::copy_options::overwrite_existing);
  }

  // Loads `html` and returns the DOM after load; console lines in *console.
  std::string Load(const std::string& html, std::string* console) {
    const fs::path page = dir_ / "report.html";
    std::ofstream(page) << html;
    Shell r = RunShell(Chromium() + " --enable-logging=stderr --v=0 --dump-dom file://" +
                       page.string() + " 2>" + (dir_ / "stderr.txt").string());
    std::ifstream err(dir_ / "stderr.txt");
    std::string line;
    console->clear();
    while (std::getline(err, line))
      if (line.find(":CONSOLE") != std::string::npos) *console += line + "\n";
    EXPECT_EQ(r.status, 0);
    return r.out;
  }
  std::string Chromium() const {
    // Its profile inside our directory, removed with it, and HOME and the XDG
    // directories too: Chromium writes "Crash Reports" under the user's config
    // directory whatever --user-data-dir says. No sandbox: the tests run as
    // root in CI.
    const std::string d = dir_.string();
    return "HOME=" + d + " XDG_CONFIG_HOME=" + d + "/config XDG_CACHE_HOME=" + d +
           "/cache timeout 120 chromium --headless --no-sandbox --disable-gpu "
           "--hide-scrollbars --no-first-run --disable-breakpad --user-data-dir=" +
           d + "/profile";
  }
  fs::path dir_;
};

TEST_F(HtmlReportBrowserTest, TheConsoleCheckCatchesABrokenPage) {
  std::string console;
  Load("<!DOCTYPE html><html><body><svg><path d=\"M 1 x\"/></svg></body></html>", &console);
  EXPECT_NE(console.find("attribute d"), std::string::npos) << console;
}

TEST_F(HtmlReportBrowserTest, ReferenceRunLoadsCleanWithTablesAndTimelinesAndAScreenshot) {
  const std::string html = RenderHtmlReport(SoLingerMatrix(), Tables(), {Reference()}, {""});
  std::string console;
  const std::string dom = Load(html, &console);
  EXPECT_EQ(console, "") << "console messages while loading the report";
  EXPECT_EQ(Count(dom, "<table class=\"summary\">"), 2u);
  EXPECT_EQ(Count(dom, "<table class=\"grid\">"), 1u);
  // 34 timelines, each with drawn packets and calls. (Found by hand, not with
  // std::regex: libstdc++'s matcher recurses per character and overflows the
  // stack on a page this size under ASan.)
  size_t timelines = 0;
  for (size_t at = dom.find("<svg class=\"timeline\""); at != std::string::npos;
       at = dom.find("<svg class=\"timeline\"", at + 1)) {
    const size_t end = dom.find("</svg>", at);
    ASSERT_NE(end, std::string::npos);
    const std::string one = dom.substr(at, end - at);
    ++timelines;
    EXPECT_GT(Count(one, "<g class=\"pkt"), 5u) << one.substr(0, 300);
    EXPECT_GT(Count(one, "<g class=\"call"), 5u) << one.substr(0, 300);
  }
  EXPECT_EQ(timelines, 34u);

  const fs::path shot = dir_ / "report.png";
  Shell r = RunShell(Chromium() + " --window-size=1280,2400 --screenshot=" + shot.string() +
                     " file://" + (dir_ / "report.html").string() + " 2>/dev/null");
  ASSERT_EQ(r.status, 0);
  ASSERT_TRUE(fs::exists(shot));
  // A blank page compresses to a few KB; the report's tables and text do not.
  EXPECT_GT(fs::file_size(shot), 50'000u);
  std::ifstream png(shot, std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  Keep(shot);
}

// The case ids `lingerlab diff BASE NEW` reports as changed: the first word
// of each change line ("03 abort_on_close: true -> false").
std::set<std::string> DiffChangedCases(const std::string& base, const std::string& now) {
  const Shell r = RunShell(std::string(LINGERLAB_CLI) + " diff --matrix " + kSource +
                           "/matrix/so_linger.json " + kSource + "/results/" + base +
                           "/results.json " + kSource + "/results/" + now + "/results.json");
  EXPECT_NE(r.status, -1);
  std::set<std::string> ids;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    // "03 abort_on_close: ...", not the closing "46 change(s) in 10 of 34 case(s)".
    const size_t space = line.find(' '), colon = line.find(':');
    if (space != std::string::npos && colon != std::string::npos &&
        line.find(' ', space + 1) > colon)
      ids.insert(line.substr(0, space));
  }
  return ids;
}

// The grid cells of run `run` the page marks as differing, from the DOM.
std::set<std::string> MarkedCells(const std::string& dom, const std::string& run) {
  std::set<std::string> ids;
  const std::string open = "<td id=\"cell-" + run + "-";
  for (size_t at = dom.find(open); at != std::string::npos; at = dom.find(open, at + 1)) {
    const size_t id_at = at + open.size();
    const size_t tag_end = dom.find('>', id_at);
    if (dom.substr(id_at, tag_end - id_at).find("class=\"run changed\"") != std::string::npos)
      ids.insert(dom.substr(id_at, dom.find('"', id_at) - id_at));
  }
  return ids;
}

// Host, gVisor and QEMU reference runs in one report, as a person comparing
// stacks opens it: every case `lingerlab diff` reports between two of them
// is marked in the grid (with or without an expected table), and no other;
// each case's timelines sit together, one per run, captioned with the run's
// environment; no FIN or RST label passes the figure's edge. Screenshots of
// the page and of its printed view are written for people to look at
// (LINGERLAB_SCREENSHOT_DIR keeps them).
TEST_F(HtmlReportBrowserTest, ThreeStacksEveryChangeDiffReportsIsMarkedInTheGrid) {
  const std::vector<std::string> runs = {"reference-scale0.05", "reference-gvisor-scale0.05",
                                         "reference-qemu-scale0.05"};
  std::vector<json> docs;
  for (const std::string& r : runs) docs.push_back(Reference(r));
  const std::string html = RenderHtmlReport(SoLingerMatrix(), Tables(), docs, {"", "", ""});
  std::string console;
  const std::string dom = Load(html, &console);
  EXPECT_EQ(console, "") << "console messages while loading the report";

  for (size_t r = 1; r < runs.size(); ++r) {
    const std::set<std::string> changed = DiffChangedCases(runs[0], runs[r]);
    EXPECT_FALSE(changed.empty()) << runs[r] << ": the reference runs are known to differ";
    EXPECT_EQ(MarkedCells(dom, "R" + std::to_string(r + 1)), changed) << runs[r];
    for (const std::string& id : changed)
      EXPECT_NE(dom.find("<tr id=\"row-" + id + "\" class=\"differs\">"), std::string::npos) << id;
  }
  // The issue's count: host -> gVisor differs in 10 cases, 4 of them (05,
  // 27, 28, 29) where the Linux table states nothing.
  const std::set<std::string> gvisor = DiffChangedCases(runs[0], runs[1]);
  EXPECT_EQ(gvisor.size(), 10u);
  for (const char* id : {"05", "27", "28", "29"}) EXPECT_TRUE(gvisor.count(id)) << id;
  // gVisor vs QEMU is a pair the baseline does not show: its own column.
  for (const std::string& id : DiffChangedCases(runs[1], runs[2]))
    EXPECT_NE(dom.find("<tr id=\"row-" + id + "\" class=\"differs\">"), std::string::npos) << id;

  // Every measured claim is on the grid: no cell without claims.
  EXPECT_EQ(Count(dom, "(no claims)"), 0u);
  EXPECT_EQ(Count(dom, "<td id=\"cell-"), 3u * 34);

  // Timelines: per case one section, its three runs in order, captioned.
  EXPECT_EQ(Count(dom, "<svg class=\"timeline\""), 3u * 34);
  for (const MatrixCase& mc : SoLingerMatrix().cases) {
    const size_t at = dom.find("<section class=\"case");
    ASSERT_NE(at, std::string::npos);
    const size_t sec = dom.find("id=\"case-" + mc.id + "\"", at);
    ASSERT_NE(sec, std::string::npos) << mc.id;
    const std::string one = dom.substr(sec, dom.find("</section>", sec) - sec);
    const size_t r1 = one.find("<b>R1</b> · netns · Linux");
    const size_t r2 = one.find("<b>R2</b> · gvisor · gvisor · Linux 4.4.0");
    const size_t r3 = one.find("<b>R3</b> · qemu · qemu · Linux 6.1.0");
    EXPECT_TRUE(r1 != std::string::npos && r2 != std::string::npos && r3 != std::string::npos &&
                r1 < r2 && r2 < r3)
        << mc.id;
  }

  // FIN and RST labels: right of their arrow, or anchored at its left when
  // they would pass the 960-wide viewBox (3 characters, 10 px font).
  size_t labels = 0;
  for (const char* kind : {">FIN</text>", ">RST</text>"}) {
    for (size_t at = dom.find(kind); at != std::string::npos; at = dom.find(kind, at + 1)) {
      const size_t open = dom.rfind("<text x=\"", at);
      ASSERT_NE(open, std::string::npos);
      const double x = std::stod(dom.substr(open + 9));
      const bool end = dom.substr(open, at - open).find("text-anchor=\"end\"") != std::string::npos;
      EXPECT_LE(end ? x : x + 18, 960.0) << dom.substr(open, at - open + 12);
      ++labels;
    }
  }
  EXPECT_GT(labels, 100u);

  // For people: the page as shown, and as printed (its print rules applied
  // on screen: Chromium takes no screenshot of print media).
  const fs::path shot = dir_ / "report-stacks.png";
  Shell r = RunShell(Chromium() + " --window-size=1280,3000 --screenshot=" + shot.string() +
                     " file://" + (dir_ / "report.html").string() + " 2>/dev/null");
  ASSERT_EQ(r.status, 0);
  EXPECT_GT(fs::file_size(shot), 50'000u);
  Keep(shot);
  std::string printed = html;
  for (size_t at = printed.find("@media print"); at != std::string::npos;
       at = printed.find("@media print", at))
    printed.replace(at, 12, "@media screen");
  std::ofstream(dir_ / "printed.html") << printed;
  const fs::path print_shot = dir_ / "report-stacks-print.png";
  r = RunShell(Chromium() + " --window-size=1000,3000 --screenshot=" + print_shot.string() +
               " file://" + (dir_ / "printed.html").string() + " 2>/dev/null");
  ASSERT_EQ(r.status, 0);
  Keep(print_shot);
  // Printed, the expected claims under each cell are open (::details-content).
  EXPECT_NE(printed.find("details::details-content { content-visibility: visible"),
            std::string::npos);
}

}  // namespace
}  // namespace lingerlab

// The HTML report: self-contained and escaped (unit checks), and, loaded in
// headless Chromium as a person would open it, free of console errors, with
// its tables and one non-empty timeline per case (browser checks). Chromium
// comes from Debian's `chromium` package (tools/install-deps.sh).
#include "suite/report/html_report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "suite/expect/test_matrix.h"

namespace lingerlab {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kSource = LINGERLAB_SOURCE_DIR;

json Reference() {
  std::ifstream in(kSource + "/results/reference-scale0.05/results.json");
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
  const char* keep = std::getenv("LINGERLAB_SCREENSHOT_DIR");
  if (keep)
    fs::copy_file(shot, fs::path(keep) / "report.png", fs::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace lingerlab

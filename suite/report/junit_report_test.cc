// JUnit XML: validated against doc/junit.xsd with xmllint (libxml2-utils,
// installed by tools/install-deps.sh), on a real reference run and on
// constructed deviations, errors and hostile text.
#include "suite/report/junit_report.h"

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

json LoadReference(const std::string& run = "reference-scale0.05") {
  std::ifstream in(kSource + "/results/" + run + "/results.json");
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class JunitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v xmllint >/dev/null 2>&1") != 0)
      FAIL() << "xmllint is missing: apt-get install libxml2-utils (tools/install-deps.sh)";
    dir_ = fs::temp_directory_path() / ("junit_test." + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // xmllint's verdict on `xml` against doc/junit.xsd; its messages in *out.
  bool Valid(const std::string& xml, std::string* out) {
    const fs::path file = dir_ / "junit.xml";
    std::ofstream(file) << xml;
    const std::string cmd =
        "xmllint --noout --schema " + kSource + "/doc/junit.xsd " + file.string() + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    char buf[512];
    out->clear();
    while (p && std::fgets(buf, sizeof buf, p)) *out += buf;
    const int status = p ? ::pclose(p) : -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  fs::path dir_;
};

TEST_F(JunitTest, AReferenceRunIsValidWithOneTestcasePerCase) {
  const json doc = LoadReference();
  const std::string xml = RenderJunitXml(doc, "lingerlab.so_linger");
  std::string log;
  EXPECT_TRUE(Valid(xml, &log)) << log << xml.substr(0, 2000);
  EXPECT_EQ(Count(xml, "<testcase "), 34u);
  // Written before runs recorded their stack: the label is the target alone.
  EXPECT_NE(xml.find("<testsuite name=\"lingerlab.so_linger[netns]\""), std::string::npos);
  EXPECT_NE(xml.find("<testcase classname=\"lingerlab.so_linger.04\" "
                     "name=\"04 slow-client__linger-csock-0 [netns]\" time=\""),
            std::string::npos);
  // The reference run has 12 passes and 22 cases the Linux table is silent on.
  EXPECT_EQ(Count(xml, "<skipped "), 22u);
  EXPECT_EQ(Count(xml, "<failure "), 0u);
  EXPECT_NE(xml.find("tests=\"34\" failures=\"0\" errors=\"0\" skipped=\"22\""), std::string::npos);
  EXPECT_NE(xml.find("<property name=\"target\" value=\"netns\"/>"), std::string::npos);
  // Times in milliseconds: no float noise for merging tools to sum.
  EXPECT_NE(xml.find("time=\"16.950\""), std::string::npos);
  EXPECT_EQ(xml.find("999999"), std::string::npos);
}

// Each run is a suite of its own, and each test's name says its run, so
// files of several stacks merge without one run's verdicts replacing
// another's; the classname follows a case across runs.
TEST_F(JunitTest, TargetAndStackNameTheSuiteAndTheTests) {
  const std::string xml =
      RenderJunitXml(LoadReference("reference-gvisor-scale0.05"), "lingerlab.so_linger");
  std::string log;
  EXPECT_TRUE(Valid(xml, &log)) << log;
  EXPECT_NE(xml.find("<testsuite name=\"lingerlab.so_linger[gvisor]\" tests=\"34\" "
                     "failures=\"6\" errors=\"0\" skipped=\"22\""),
            std::string::npos)
      << xml.substr(0, 800);
  EXPECT_NE(xml.find("<testcase classname=\"lingerlab.so_linger.03\" "
                     "name=\"03 slow-client__linger-lsock-0 [gvisor]\""),
            std::string::npos);
  EXPECT_NE(xml.find("<property name=\"label\" value=\"gvisor\"/>"), std::string::npos);
  EXPECT_EQ(Count(xml, "[gvisor]\""), 35u);  // the suite and its 34 tests
  // A claim in seconds to milliseconds (it was observed 0.0005488029999999866).
  EXPECT_NE(xml.find("close_blocked_s: expected 1.000, observed 0.001 (source: "),
            std::string::npos);

  json doc = LoadReference();
  doc["environment"]["stack"] = "host-kernel";
  doc["environment"]["ip"] = 6;
  doc["cases"][0]["parameters"]["variant"] = "nonblocking-close";
  EXPECT_NE(RenderJunitXml(doc, "p").find("<testsuite name=\"p[netns/host-kernel ipv6 "
                                          "nonblocking-close]\""),
            std::string::npos);
  // A remote run's stack is the server's family.
  const std::string wine = RenderJunitXml(LoadReference("reference-wine-scale0.05"), "p");
  EXPECT_NE(wine.find("<testsuite name=\"p[remote/windows-native]\""), std::string::npos)
      << wine.substr(0, 400);
}

TEST_F(JunitTest, DeviationErrorAndNotComparableCarryTheirReasons) {
  json doc = LoadReference();
  json& dev = doc["cases"][3];  // 04: abort_on_close deviates
  ASSERT_EQ(dev["id"], "04");
  dev["verdict"]["status"] = "deviation";
  dev["verdict"]["checks"][0]["observed"] = false;
  dev["verdict"]["checks"][0]["result"] = "deviation";
  json& err = doc["cases"][4];
  err["verdict"] = {{"status", "error"}, {"reason", "agent lost <after> step 3 & more"}};
  json& nc = doc["cases"][5];
  nc["verdict"] = {{"status", "not-comparable"},
                   {"family", "linux"},
                   {"checks",
                    {{{"claim", "close_blocked_s"},
                      {"result", "not-comparable"},
                      {"note", "a kernel constant, run scaled"}}}}};
  const std::string xml = RenderJunitXml(doc, "lingerlab.so_linger");
  std::string log;
  EXPECT_TRUE(Valid(xml, &log)) << log;
  EXPECT_NE(xml.find("<failure type=\"deviation\" message=\"deviates from the expected table: "
                     "abort_on_close\">abort_on_close: expected true, observed false"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("evidence: server RST"), std::string::npos);  // the classifier's evidence
  EXPECT_NE(xml.find("pcap: pcaps/04"), std::string::npos);
  EXPECT_NE(xml.find("message=\"agent lost &lt;after&gt; step 3 &amp; more\""), std::string::npos);
  EXPECT_NE(xml.find("not-comparable: close_blocked_s: a kernel constant, run scaled"),
            std::string::npos);
  EXPECT_NE(xml.find("failures=\"1\" errors=\"1\""), std::string::npos);
}

TEST_F(JunitTest, HostileAndMissingFieldsStillGiveAValidFile) {
  json doc = LoadReference();
  doc["cases"][0]["name"] = std::string(
      "a\x01"
      "b\x1f<]]>\"'\t\n",
      12);
  doc["cases"][1].erase("verdict");
  doc["cases"][2]["duration_s"] = -5;
  doc["cases"][3]["duration_s"] = 1e300;
  doc["environment"].erase("agent_platform");
  doc["environment"]["started_at"] = 17;
  std::string log;
  const std::string xml = RenderJunitXml(doc, "s");
  EXPECT_TRUE(Valid(xml, &log)) << log << xml.substr(0, 1500);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  for (const json& odd : {json(), json::array(), json{{"cases", 3}}, json{{"cases", {1, "x"}}}}) {
    EXPECT_TRUE(Valid(RenderJunitXml(odd, "s"), &log)) << odd << log;
  }
}

// The schema check can fail: a file CI systems would reject is rejected.
TEST_F(JunitTest, TheSchemaRejectsWhatCiSystemsReject) {
  const std::string good = RenderJunitXml(LoadReference(), "lingerlab.so_linger");
  std::string log;
  ASSERT_TRUE(Valid(good, &log)) << log;
  auto broken = [&](const std::string& from, const std::string& to) {
    std::string x = good;
    const size_t at = x.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? good : x.replace(at, from.size(), to);
  };
  EXPECT_FALSE(Valid(broken(" classname=\"lingerlab.so_linger.01\"", ""), &log));
  EXPECT_FALSE(Valid(broken(" failures=\"0\"", " failures=\"many\""), &log));
  EXPECT_FALSE(Valid(broken("<system-out/>", ""), &log));
  EXPECT_FALSE(Valid(broken(" timestamp=\"", " timestamp=\"Z"), &log));
}

TEST(XmlEscapeTest, EscapesMarkupAndReplacesControlCharacters) {
  EXPECT_EQ(XmlEscape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
  EXPECT_EQ(XmlEscape(std::string("\x00\x07", 2)), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("\t\n\r"), "&#9;&#10;&#13;");
  EXPECT_EQ(XmlEscape("Grüße"), "Grüße");
}

}  // namespace
}  // namespace lingerlab

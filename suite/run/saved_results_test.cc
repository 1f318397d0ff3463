// check, diff, report and show as library calls, on a recorded run
// (results/reference-scale0.05): what each returns, and that a bad file,
// family or case is an error naming it rather than a product.
#include "suite/run/saved_results.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace lingerlab {
namespace {

using nlohmann::json;

const std::string kSource = LINGERLAB_SOURCE_DIR;
const std::string kMatrix = kSource + "/matrix/so_linger.json";
const std::string kReference = kSource + "/results/reference-scale0.05/results.json";

TEST(SavedResultsTest, CheckAnalysesEveryCaseAgainAndSummarises) {
  CheckRequest r;
  r.results = kReference;
  r.matrix = kMatrix;
  auto checked = CheckResults(r);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->matrix.name, "so_linger");
  const json& doc = checked->doc;
  ASSERT_EQ(doc["cases"].size(), 34u);
  for (const json& c : doc["cases"]) {
    EXPECT_TRUE(c.contains("outcome")) << c["id"];
    EXPECT_TRUE(c.contains("verdict")) << c["id"];
  }
  EXPECT_TRUE(doc["summary"].is_object());

  r.expect_family = "plan9";
  auto unknown = CheckResults(r);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("plan9"), std::string::npos);

  r.expect_family = "";
  r.results = kSource + "/results/no-such-run/results.json";
  EXPECT_FALSE(CheckResults(r).ok());
}

TEST(SavedResultsTest, ARunDiffedWithItselfHasNoChange) {
  DiffRequest r;
  r.base = r.now = kReference;
  r.matrix = kMatrix;
  auto diff = DiffResults(r);
  ASSERT_TRUE(diff.ok()) << diff.error().message;
  EXPECT_TRUE(diff->changes.empty());
  EXPECT_EQ(diff->compared, 34u);

  r.cases = "03,04";
  diff = DiffResults(r);
  ASSERT_TRUE(diff.ok()) << diff.error().message;
  EXPECT_EQ(diff->compared, 2u);

  r.cases = "99";
  diff = DiffResults(r);
  ASSERT_FALSE(diff.ok());
  EXPECT_EQ(diff.error().message.rfind("--cases: ", 0), 0u) << diff.error().message;
}

TEST(SavedResultsTest, ReportsAreRenderedInTheFormatAsked) {
  ReportRequest r;
  r.results = {kReference};
  r.matrix = kMatrix;
  auto md = RenderReport(r);
  ASSERT_TRUE(md.ok()) << md.error().message;
  EXPECT_EQ(md->find("<html"), std::string::npos);
  r.format = "html";
  auto html = RenderReport(r);
  ASSERT_TRUE(html.ok()) << html.error().message;
  EXPECT_NE(html->find("<html"), std::string::npos);
}

TEST(SavedResultsTest, ShowFindsACaseByIdOrStemAndListsTheIdsOtherwise) {
  auto by_id = CaseTimelineText(kReference, "03", kMatrix);
  ASSERT_TRUE(by_id.ok()) << by_id.error().message;
  EXPECT_FALSE(by_id->empty());
  auto by_stem = CaseTimelineText(kReference, "03__slow-client__linger-lsock-0", kMatrix);
  ASSERT_TRUE(by_stem.ok()) << by_stem.error().message;
  EXPECT_EQ(*by_stem, *by_id);
  auto missing = CaseTimelineText(kReference, "99", kMatrix);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("has no case '99' (it has: 01 02 03"), std::string::npos)
      << missing.error().message;
}

// show reads the case's pcap beside the results file: tcpdump's lines with
// tshark's frame numbers (frame 17 is case 03's RST in the reference pcap),
// the classifier's evidence still on the RST; without the pcap it says so and
// falls back to the document's packets.
TEST(SavedResultsTest, ShowPrintsThePcapsFramesAsTcpdumpDoes) {
  auto text = CaseTimelineText(kReference, "03", kMatrix);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_NE(text->find("packets: " + kSource +
                       "/results/reference-scale0.05/pcaps/03__slow-client__linger-lsock-0.pcap"),
            std::string::npos)
      << *text;
  EXPECT_NE(text->find("  #1 "), std::string::npos) << *text;
  const size_t rst = text->find(
      "IP 198.18.0.9.5001 > 198.18.0.10.57182: Flags [R.], seq 11645, "
      "ack 1, win 64, options [nop,nop,TS val 3437637278 ecr "
      "2897337206], length 0");
  ASSERT_NE(rst, std::string::npos) << *text;
  EXPECT_EQ(text->substr(rst - 20, 20).find("#17 "), 0u) << text->substr(rst - 20, 20);
  EXPECT_NE(text->find("<== abort_on_close: server RST", rst), std::string::npos);

  const std::string dir = ::testing::TempDir() + "/show-no-pcap";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kReference, dir + "/results.json",
                             std::filesystem::copy_options::overwrite_existing);
  auto fallback = CaseTimelineText(dir + "/results.json", "03", kMatrix);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(fallback.ok()) << fallback.error().message;
  EXPECT_NE(fallback->find("packets: from the results document (cannot read pcap file"),
            std::string::npos)
      << *fallback;
  EXPECT_EQ(fallback->find("#1 "), std::string::npos);
  EXPECT_NE(fallback->find("IP 198.18.0.9.5001 > 198.18.0.10: Flags [R.], seq 11645, ack 1, "),
            std::string::npos)
      << *fallback;
}

}  // namespace
}  // namespace lingerlab

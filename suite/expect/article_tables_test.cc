// The article's two summary tables, reconstructed from matrix/expected/*.json,
// must equal the article's text row for row (rows copied verbatim from
// "Cross-Platform Testing of SO_LINGER", Nybek 2015).
#include "suite/expect/article_tables.h"
#include "suite/expect/test_matrix.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace lingerlab {
namespace {

using nlohmann::json;

const char* const kOnZeroRows[] = {
    "BSD No Yes No Yes",     "Darwin No Yes No Yes",           "Illumos Yes Yes Yes Yes",
    "Linux Yes Yes Yes Yes", "Windows (Cygwin) Yes Yes No No", "Windows (Native) Yes Yes No No",
};

const char* const kOnTwentyRows[] = {
    "BSD Yes 20 No Yes",
    "Darwin Yes 0.2 No No",
    "Illumos Yes 20 No No",
    "Linux Yes 20 No No",
    "Windows (Cygwin) Yes * Until FIN is ACK'd No No",
    "Windows (Native) Yes * 20 Yes No",
};

std::vector<ExpectedTable> Tables() {
  auto tables =
      LoadExpectedDir(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/expected", SoLingerMatrix());
  EXPECT_TRUE(tables.ok()) << tables.error().message;
  // Only the article's families: other tables (lwip, from lwIP's source)
  // are not rows of the article's text.
  std::vector<ExpectedTable> out;
  if (tables.ok())
    for (const ExpectedTable& t : tables.value())
      if (std::find(ArticleFamilies().begin(), ArticleFamilies().end(), t.family) !=
          ArticleFamilies().end())
        out.push_back(t);
  return out;
}

std::string Line(const std::string& title, const std::vector<ArticleCell>& row) {
  std::string out = title;
  for (const ArticleCell& cell : row) out += " " + cell.text;
  return out;
}

TEST(ArticleTablesTest, OnZeroTableEqualsTheArticle) {
  const auto tables = Tables();
  ASSERT_EQ(tables.size(), 6u);
  for (size_t i = 0; i < tables.size(); ++i) {
    EXPECT_EQ(Line(tables[i].title, OnZeroRow(ClaimsOfTable(tables[i]), SoLingerSummaryTables())),
              kOnZeroRows[i]);
  }
}

TEST(ArticleTablesTest, OnTwentyTableEqualsTheArticle) {
  const auto tables = Tables();
  ASSERT_EQ(tables.size(), 6u);
  for (size_t i = 0; i < tables.size(); ++i) {
    EXPECT_EQ(Line(tables[i].title, OnTwentyRow(ClaimsOfTable(tables[i]), SoLingerSummaryTables())),
              kOnTwentyRows[i]);
  }
}

TEST(ArticleTablesTest, CellsNameTheirInputs) {
  CaseClaims claims = {{"03", {{"abort_on_close", false}}}, {"33", {{"abort_on_close", false}}}};
  auto row = OnZeroRow(claims, SoLingerSummaryTables());
  ASSERT_EQ(row.size(), 4u);
  EXPECT_EQ(row[0].text, "No");
  ASSERT_EQ(row[0].inputs.size(), 2u);
  EXPECT_EQ(row[0].inputs[1], (std::pair<std::string, std::string>{"33", "abort_on_close"}));
  EXPECT_EQ(row[1].text, "—");
  EXPECT_TRUE(row[1].inputs.empty());
}

TEST(ArticleTablesTest, DisagreeingCasesAreListed) {
  CaseClaims claims = {{"03", {{"abort_on_close", false}}}, {"33", {{"abort_on_close", true}}}};
  EXPECT_EQ(OnZeroRow(claims, SoLingerSummaryTables())[0].text, "No (#03) / Yes (#33)");
}

TEST(ArticleTablesTest, OnTwentyFromMeasuredClaims) {
  // A scaled Linux-like run: times are shown as measured, to 3 digits.
  CaseClaims claims = {
      {"06",
       {{"close_blocks", true}, {"close_blocked_s", 1.0132}, {"abort_on_linger_timeout", false}}},
      {"09", {{"close_blocks", true}, {"close_blocked_s", 1.0149}}},
      {"26", {{"close_blocks", true}}},
  };
  auto row = OnTwentyRow(claims, SoLingerSummaryTables());
  EXPECT_EQ(row[0].text, "Yes");
  EXPECT_EQ(row[1].text, "1.01");
  EXPECT_EQ(row[2].text, "No");
  EXPECT_EQ(row[3].text, "—");
  // Blocking only without shutdown(): the article's "*".
  claims["26"]["close_blocks"] = false;
  EXPECT_EQ(OnTwentyRow(claims, SoLingerSummaryTables())[0].text, "Yes *");
  claims["06"]["close_blocks"] = false;
  claims["09"]["close_blocks"] = false;
  claims["26"]["close_blocks"] = true;
  EXPECT_EQ(OnTwentyRow(claims, SoLingerSummaryTables())[0].text, "No (after shutdown(): Yes)");
}

TEST(ArticleTablesTest, ClaimsOfResultsReadsOutcomeClaims) {
  json doc = {{"cases",
               {{{"id", "04"}, {"outcome", {{"claims", {{"abort_on_close", true}}}}}},
                {{"id", "05"}, {"status", "error"}, {"outcome", nullptr}}}}};
  CaseClaims claims = ClaimsOfResults(doc);
  ASSERT_EQ(claims.size(), 2u);
  EXPECT_EQ(claims["04"]["abort_on_close"], true);
  EXPECT_TRUE(claims["05"].empty());
  EXPECT_TRUE(ClaimsOfResults(json::object()).empty());
}

}  // namespace
}  // namespace lingerlab

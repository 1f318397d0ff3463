#include "suite/coordinator/matrix.h"

#include <gtest/gtest.h>

namespace lingerlab {
namespace {

using nlohmann::json;

json Doc(json cases) {
  return {{"format", "lingerlab-matrix/1"},
          {"name", "t"},
          {"defaults",
           {{"payload_bytes", 20480},
            {"read_chunk", 512},
            {"port", 5001},
            {"eof_wait_limit_s", 10.0},
            {"settle_s", 3.0},
            {"idle_s", 300.0},
            {"read_interval_s", 4.0},
            {"server_pause_s", 1.0}}},
          {"cases", cases}};
}

TEST(MatrixTest, TheShippedMatrixHasThe34PublishedCasesInOrder) {
  auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->cases.size(), 34u);
  EXPECT_EQ(m->cases[0].id, "01");
  EXPECT_EQ(m->cases[33].id, "34");
  const MatrixCase& c04 = m->cases[3];
  EXPECT_EQ(c04.name, "slow-client__linger-csock-0");
  EXPECT_EQ(c04.client, ClientKind::kSlow);
  ASSERT_TRUE(c04.linger.has_value());
  EXPECT_EQ(c04.linger->socket, LingerSocket::kConnected);
  EXPECT_EQ(c04.linger->seconds, 0);
  EXPECT_EQ(c04.params.payload_bytes, 20480);
  EXPECT_EQ(c04.params.server_sndbuf, 51200);
  EXPECT_EQ(c04.params.client_rcvbuf, 8192);
  const MatrixCase& c32 = m->cases[31];
  EXPECT_EQ(c32.name, "slow-client__linger-csock_late-20__shutdown-10");
  EXPECT_EQ(c32.shutdown, ShutdownMode::kWaitEofLimited);
}

TEST(MatrixTest, ANameThatContradictsItsParametersIsRejected) {
  auto m = ParseMatrix(Doc({{{"id", "04"},
                             {"name", "slow-client__linger-lsock-0"},
                             {"client", "slow"},
                             {"linger", {{"socket", "csock"}, {"seconds", 0}}},
                             {"shutdown", "none"}}}),
                       "m.json");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("m.json: case 04.name"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("slow-client__linger-csock-0"), std::string::npos);
}

TEST(MatrixTest, BadFieldsAreNamed) {
  struct Bad {
    json c;
    std::string where;
  };
  std::vector<Bad> bad = {
      {{{"id", "1"}, {"name", "x"}, {"client", "slow"}}, "cases[0].id"},
      {{{"id", "01"}, {"name", "x"}, {"client", "lazy"}}, "case 01.client"},
      {{{"id", "01"},
        {"name", "x"},
        {"client", "slow"},
        {"linger", {{"socket", "lsock"}, {"seconds", -1}}}},
       "case 01.linger.seconds"},
      {{{"id", "01"}, {"name", "x"}, {"client", "slow"}, {"shutdown", "sometimes"}},
       "case 01.shutdown"},
      {{{"id", "01"}, {"name", "x"}, {"client", "slow"}, {"overrides", {{"idle_s", "long"}}}},
       "case 01.overrides.idle_s"},
      {{{"id", "01"}, {"name", "x"}, {"client", "slow"}, {"overrides", {{"colour", 1}}}},
       "case 01.overrides.colour"},
      {{{"id", "01"},
        {"name", "x"},
        {"client", "slow"},
        {"linger", {{"socket", "csock_late"}, {"seconds", 0}}}},
       "case 01.linger"},
  };
  for (const Bad& b : bad) {
    auto m = ParseMatrix(Doc(json::array({b.c})), "m.json");
    ASSERT_FALSE(m.ok()) << b.c.dump();
    EXPECT_NE(m.error().message.find(b.where), std::string::npos) << m.error().message;
  }
  auto dup =
      ParseMatrix(Doc({{{"id", "01"}, {"name", "fast-client__no-linger"}, {"client", "fast"}},
                       {{"id", "01"}, {"name", "fast-client__no-linger"}, {"client", "fast"}}}),
                  "m.json");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("duplicate"), std::string::npos);
}

TEST(MatrixTest, MissingOrBrokenFilesAreClearErrors) {
  auto missing = LoadMatrix("/nonexistent/matrix.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto wrong = ParseMatrix(json{{"format", "something/2"}}, "m.json");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("format"), std::string::npos);
}

TEST(MatrixTest, SelectCasesKeepsOrderOfRequestAndRejectsUnknownIds) {
  auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
  ASSERT_TRUE(m.ok());
  auto sel = SelectCases(*m, "04,02,04");
  ASSERT_TRUE(sel.ok());
  ASSERT_EQ(sel->size(), 2u);
  EXPECT_EQ((*sel)[0].id, "04");
  auto bad = SelectCases(*m, "02,99");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("99"), std::string::npos);
  EXPECT_EQ(SelectCases(*m, "")->size(), 34u);
}

TEST(MatrixTest, TimeScaleShrinksSuiteTimesAndRoundsLingerUp) {
  auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
  ASSERT_TRUE(m.ok());
  const MatrixCase& c32 = m->cases[31];  // slow, csock_late-20, shutdown-10
  AppliedParams a = ApplyTimeScale(c32, 0.05);
  EXPECT_DOUBLE_EQ(a.params.read_interval_s, 0.2);
  EXPECT_DOUBLE_EQ(a.params.eof_wait_limit_s, 0.5);
  EXPECT_DOUBLE_EQ(a.params.server_pause_s, 0.05);
  EXPECT_EQ(a.linger_s, 1);                          // 20 * 0.05 = 1
  EXPECT_EQ(ApplyTimeScale(c32, 0.01).linger_s, 1);  // 0.2 rounds up to 1, never 0
  EXPECT_EQ(ApplyTimeScale(c32, 0.12).linger_s, 3);  // 2.4 rounds up
  EXPECT_EQ(ApplyTimeScale(c32, 1).linger_s, 20);
  EXPECT_EQ(ApplyTimeScale(m->cases[2], 0.05).linger_s, 0);  // {on,0} stays 0
  EXPECT_DOUBLE_EQ(a.params.settle_s, kSettleFloorS);        // 0.15 s raised to the floor
  EXPECT_EQ(a.params.payload_bytes, 20480);                  // sizes never scale
  json p = ParametersJson(c32, 0.05);
  EXPECT_EQ(p["nominal"]["linger_s"], 20);
  EXPECT_EQ(p["applied"]["linger_s"], 1);
  EXPECT_EQ(p["nominal"]["read_interval_s"], 4.0);
  EXPECT_EQ(p["applied"]["eof_wait_limit_s"], 0.5);
}

}  // namespace
}  // namespace lingerlab

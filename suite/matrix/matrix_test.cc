#include "suite/matrix/matrix.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

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

json Case04() {
  return {{"id", "04"},
          {"name", "slow-client__linger-csock-0"},
          {"client", "slow"},
          {"linger", {{"socket", "csock"}, {"seconds", 0}}},
          {"shutdown", "none"}};
}

std::string Problem(const json& doc) {
  auto m = ParseMatrix(doc, "m.json");
  return m.ok() ? "" : m.error().message;
}

// Was: nlohmann's value() threw type_error on each of these (abort, exit 134).
TEST(MatrixTest, ANumberWhereAStringBelongsIsAnErrorNamingTheField) {
  for (const char* key : {"format", "name", "title", "source"}) {
    json doc = Doc(json::array({Case04()}));
    doc[key] = 7;
    EXPECT_EQ(Problem(doc), std::string("m.json: ") + key + ": must be a string") << key;
  }
  const std::vector<std::pair<json::json_pointer, std::string>> fields = {
      {json::json_pointer("/id"), "cases[0].id"},
      {json::json_pointer("/name"), "case 04.name"},
      {json::json_pointer("/client"), "case 04.client"},
      {json::json_pointer("/linger/socket"), "case 04.linger.socket"},
      {json::json_pointer("/shutdown"), "case 04.shutdown"},
  };
  for (const auto& [pointer, where] : fields) {
    json c = Case04();
    c[pointer] = 7;
    EXPECT_EQ(Problem(Doc(json::array({c}))), "m.json: " + where + ": must be a string") << where;
  }
}

// Was: 2^32 + 20 linger seconds were read through int and became 20.
TEST(MatrixTest, IntegersOutOfRangeAreRejectedNotTruncated) {
  json c = Case04();
  c["linger"]["seconds"] = (uint64_t{1} << 32) + 20;
  EXPECT_EQ(Problem(Doc(json::array({c}))),
            "m.json: case 04.linger.seconds: must be an integer 0..3600");
  c["linger"]["seconds"] = UINT64_MAX;
  EXPECT_EQ(Problem(Doc(json::array({c}))),
            "m.json: case 04.linger.seconds: must be an integer 0..3600");
  c["linger"]["seconds"] = 20.5;
  EXPECT_EQ(Problem(Doc(json::array({c}))),
            "m.json: case 04.linger.seconds: must be an integer 0..3600");
  struct Param {
    const char* key;
    json value;
  };
  for (const Param& p :
       {Param{"port", 0}, Param{"port", 65536}, Param{"port", (uint64_t{1} << 32) + 5001},
        Param{"payload_bytes", -1}, Param{"read_chunk", 0}, Param{"idle_s", -0.5},
        Param{"settle_s", 1e300}, Param{"server_pause_s", "1"}, Param{"port", 5001.5},
        // An agent sleeps or waits at most 35 min in one step (doc/protocol.md §3.3).
        Param{"idle_s", 2100.5}, Param{"read_interval_s", 3600}, Param{"eof_wait_limit_s", 1e6},
        Param{"server_pause_s", 86400}}) {
    json doc = Doc(json::array({Case04()}));
    doc["defaults"][p.key] = p.value;
    EXPECT_NE(Problem(doc).find(std::string("m.json: defaults.") + p.key + ": must be"),
              std::string::npos)
        << p.key << "=" << p.value.dump() << ": " << Problem(doc);
  }
}

// Was: std::regex_match recursed once per character; a 200,000-character id
// overflowed the stack (SIGSEGV, exit 139).
TEST(MatrixTest, HugeIdsAndNamesAreBoundedErrors) {
  json c = Case04();
  c["id"] = std::string(200000, '1');
  EXPECT_EQ(Problem(Doc(json::array({c}))), "m.json: cases[0].id: is longer than 16 characters");
  c = Case04();
  c["name"] = std::string(200000, 'x');
  EXPECT_EQ(Problem(Doc(json::array({c}))), "m.json: case 04.name: is longer than 128 characters");
  c = Case04();
  c["id"] = "A1";
  EXPECT_EQ(Problem(Doc(json::array({c}))),
            "m.json: cases[0].id: must be two or more digits, optionally after a prefix");
  c["id"] = "T12";
  c["name"] = "slow-client__linger-csock-0";
  EXPECT_EQ(Problem(Doc(json::array({c}))), "");
}

// Free names become file names (pcaps/, cases/): one that would climb out
// of the run's directory, or hide, or read as an option is refused.
TEST(MatrixTest, FreeCaseNamesMustBeFileNameSafe) {
  for (const char* bad : {"x/../../../DIR/ESCAPED", "..", ".hidden", "-rf", "a b", "a\nb"}) {
    json doc = Doc(json::array({Case04()}));
    doc["case_names"] = "free";
    doc["cases"][0]["name"] = bad;
    EXPECT_NE(Problem(doc).find("case 04.name: "), std::string::npos)
        << bad << ": " << Problem(doc);
    EXPECT_NE(Problem(doc).find("file-name-safe"), std::string::npos) << bad;
  }
  json doc = Doc(json::array({Case04()}));
  doc["case_names"] = "free";
  doc["cases"][0]["name"] = "any.name_of+safe=chars-1";
  EXPECT_EQ(Problem(doc), "");
}

TEST(MatrixTest, UnknownFieldsAreErrors) {
  json doc = Doc(json::array({Case04()}));
  doc["colour"] = "red";
  EXPECT_EQ(Problem(doc), "m.json: colour: unknown field");
  json c = Case04();
  c["linger"]["secs"] = 1;
  EXPECT_EQ(Problem(Doc(json::array({c}))), "m.json: case 04.linger.secs: unknown field");
}

TEST(MatrixTest, SummaryTablesNameCasesOfTheMatrix) {
  auto m = LoadMatrix(std::string(LINGERLAB_SOURCE_DIR) + "/matrix/so_linger.json");
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_TRUE(m->summary_tables.has_value());
  EXPECT_EQ(m->summary_tables->on_zero_listening, (std::vector<std::string>{"03", "33"}));
  EXPECT_EQ(m->summary_tables->on_twenty_after_shutdown, (std::vector<std::string>{"26", "30"}));
  EXPECT_NE(m->Find("34"), nullptr);
  EXPECT_EQ(m->Find("35"), nullptr);

  json doc = Doc(json::array({Case04()}));
  EXPECT_FALSE(ParseMatrix(doc, "m.json")->summary_tables.has_value());  // optional
  doc["summary_tables"] = {{"on_zero_listening", {"04"}},
                           {"on_zero_connected", {"04"}},
                           {"on_zero_listening_after_shutdown", {"04"}},
                           {"on_zero_connected_after_shutdown", {"04"}},
                           {"on_twenty", {"04"}},
                           {"on_twenty_after_shutdown", {"04"}}};
  EXPECT_EQ(Problem(doc), "");
  doc["summary_tables"]["on_twenty"] = {"04", "09"};
  EXPECT_EQ(Problem(doc),
            "m.json: summary_tables.on_twenty[1]: \"09\" is not a case of this matrix");
  doc["summary_tables"]["on_twenty"] = {4};
  EXPECT_EQ(Problem(doc), "m.json: summary_tables.on_twenty[0]: must be a case id (string)");
  doc["summary_tables"].erase("on_twenty");
  EXPECT_EQ(Problem(doc),
            "m.json: summary_tables.on_twenty: must be a non-empty array of case ids");
  doc["summary_tables"]["on_forty"] = {"04"};
  EXPECT_EQ(Problem(doc), "m.json: summary_tables.on_forty: unknown field");
}

// Was: --matrix DIR threw std::ios_base::failure (abort, exit 134).
TEST(MatrixTest, DirectoriesAndDeepNestingAreErrorsNamingTheFile) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ll-matrix-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto m = LoadMatrix(dir.string());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(m.error().message.rfind(dir.string() + ": ", 0), 0u) << m.error().message;
  const std::string deep = (dir / "deep.json").string();
  std::ofstream(deep) << "{\"format\": \"lingerlab-matrix/1\", \"source\": "
                      << std::string(50000, '[') << std::string(50000, ']') << "}";
  m = LoadMatrix(deep);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find(deep + ": invalid JSON: JSON nests deeper than"),
            std::string::npos)
      << m.error().message;
  std::filesystem::remove_all(dir);
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

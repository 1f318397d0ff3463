// Loading and validation of expected tables: every malformation must fail
// with a message that names the file and the field.
#include "suite/expect/expected_table.h"
#include "suite/expect/test_matrix.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One root per test process: ctest -j runs each test in a process of its
// own, and a shared root removed by one process's teardown while another
// created its directory made create_directories fail (seen once in CI).
fs::path TestRoot() {
  return fs::path(::testing::TempDir()) / ("expect_test." + std::to_string(::getpid()));
}

// Removes the directories TestDir() made when the test program ends, then
// their parent, this process's own.
class TestDirCleanup : public ::testing::Environment {
 public:
  static std::vector<fs::path>& Made() {
    static std::vector<fs::path> made;
    return made;
  }
  void TearDown() override {
    std::error_code ec;
    for (const fs::path& d : Made()) fs::remove_all(d, ec);
    fs::remove(TestRoot(), ec);  // only when empty: nothing else was put there
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new TestDirCleanup);

// A fresh directory per test, so file names (which must match the family)
// do not collide.
fs::path TestDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = TestRoot() / (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  TestDirCleanup::Made().push_back(dir);
  return dir;
}

std::string WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}

json Minimal() {
  return json::parse(R"({
    "format": "lingerlab-expected/1", "matrix": "so_linger", "family": "linux", "title": "Linux",
    "source": {"document": "the article", "platforms": ["CentOS 7"]},
    "cases": {"03": {"abort_on_close": {"value": true, "source": "table {on,0}"}}}})");
}

// The error message of parsing `doc` as linux.json; "" if it parsed.
std::string ParseError(const json& doc, const std::string& origin = "dir/linux.json") {
  auto t = ParseExpectedTable(doc, origin, SoLingerMatrix());
  if (t.ok()) return "";
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidInput);
  return t.error().message;
}

TEST(ExpectedTableTest, ParsesMinimalTable) {
  auto t = ParseExpectedTable(Minimal(), "dir/linux.json", SoLingerMatrix());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->family, "linux");
  EXPECT_EQ(t->title, "Linux");
  EXPECT_EQ(t->path, "dir/linux.json");
  const Expectation* e = t->Find("03", "abort_on_close");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->value, true);
  EXPECT_EQ(e->source, "table {on,0}");
  EXPECT_EQ(t->Find("04"), nullptr);
  EXPECT_EQ(t->Find("03", "close_blocks"), nullptr);
}

TEST(ExpectedTableTest, ParsesAllOptionalFields) {
  json doc = Minimal();
  doc["cases"]["33"] = json::parse(R"({
      "close_blocked_s": {"value": 120, "time_basis": "kernel", "source": "s"},
      "close_errno": {"value": "EWOULDBLOCK", "depends_on_kernel_time": true, "source": "s"},
      "idle_abort": {"value": true, "only": ["FreeBSD"], "source": "s", "note": "why"},
      "late_setsockopt_errno": {"value": null, "inferred": true, "source": "s"}})");
  auto t = ParseExpectedTable(doc, "linux.json", SoLingerMatrix());
  ASSERT_TRUE(t.ok()) << t.error().message;
  const auto* list = t->Find("33");
  ASSERT_NE(list, nullptr);
  // Kept in vocabulary order, not alphabetical.
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[0].claim, "close_blocked_s");
  EXPECT_EQ((*list)[0].time_basis, "kernel");
  EXPECT_EQ((*list)[1].claim, "close_errno");
  EXPECT_TRUE((*list)[1].depends_on_kernel_time);
  EXPECT_EQ((*list)[2].claim, "idle_abort");
  EXPECT_EQ((*list)[2].only, std::vector<std::string>{"FreeBSD"});
  EXPECT_EQ((*list)[2].note, "why");
  EXPECT_EQ((*list)[3].claim, "late_setsockopt_errno");
  EXPECT_TRUE((*list)[3].inferred);
  EXPECT_TRUE((*list)[3].value.is_null());
}

TEST(ExpectedTableTest, RejectsWrongFormat) {
  json doc = Minimal();
  doc["format"] = "lingerlab-expected/2";
  EXPECT_EQ(ParseError(doc), "dir/linux.json: format: must be \"lingerlab-expected/1\"");
  doc.erase("format");
  EXPECT_NE(ParseError(doc).find("format: must be"), std::string::npos);
}

TEST(ExpectedTableTest, RejectsFamilyThatDoesNotMatchFileName) {
  json doc = Minimal();
  doc["family"] = "bsd";
  EXPECT_EQ(ParseError(doc),
            "dir/linux.json: family: \"bsd\" does not match the file name (expected \"linux\")");
  // Without a .json origin there is no file name to match.
  EXPECT_EQ(ParseError(doc, "inline document"), "");
  doc["family"] = "Linux";
  EXPECT_NE(ParseError(doc, "inline document").find("family: must be a lower-case family name"),
            std::string::npos);
}

TEST(ExpectedTableTest, RejectsUnknownClaim) {
  json doc = Minimal();
  doc["cases"]["03"]["abort_on_clos"] = {{"value", true}, {"source", "x"}};
  EXPECT_EQ(ParseError(doc),
            "dir/linux.json: cases.03.abort_on_clos: unknown claim (see the vocabulary in "
            "doc/results-format.md)");
}

TEST(ExpectedTableTest, RejectsWrongValueTypes) {
  struct Bad {
    const char* claim;
    json value;
    const char* message;
  };
  const std::vector<Bad> bad = {
      {"abort_on_close", "yes", "value must be a boolean"},
      {"close_blocks", 1, "value must be a boolean"},
      {"close_ended_by", "timeout", "value must be one of immediate, peer_acked"},
      {"close_ret", 0.5, "value must be an integer"},
      {"close_errno", "einval", "value must be an errno name"},
      {"close_errno", 22, "value must be an errno name"},
      {"late_setsockopt_errno", false, "value must be an errno name"},
      {"client_bytes", -1, "value must be an integer >= 0"},
      {"client_end", "done", "value must be \"eof\", \"limit\" or an errno name"},
      {"abort_on_close", nullptr, "value must be a boolean"},
  };
  for (const Bad& b : bad) {
    json doc = Minimal();
    doc["cases"]["03"] = {{b.claim, {{"value", b.value}, {"source", "x"}}}};
    const std::string want = std::string("dir/linux.json: cases.03.") + b.claim + ": " + b.message;
    EXPECT_EQ(ParseError(doc).rfind(want, 0), 0u) << b.claim << " = " << b.value.dump();
  }
}

TEST(ExpectedTableTest, RejectsNegativeOrNonNumericSeconds) {
  json doc = Minimal();
  doc["cases"]["06"] = {
      {"close_blocked_s", {{"value", -20}, {"time_basis", "linger"}, {"source", "x"}}}};
  EXPECT_EQ(ParseError(doc),
            "dir/linux.json: cases.06.close_blocked_s: value must be a number of seconds >= 0");
  doc["cases"]["06"]["close_blocked_s"]["value"] = "20";
  EXPECT_EQ(ParseError(doc),
            "dir/linux.json: cases.06.close_blocked_s: value must be a number of seconds");
}

TEST(ExpectedTableTest, RejectsMissingOrEmptySource) {
  json doc = Minimal();
  doc["cases"]["03"]["abort_on_close"].erase("source");
  const std::string want =
      "dir/linux.json: cases.03.abort_on_close: source must be a non-empty string naming where "
      "the article states it";
  EXPECT_EQ(ParseError(doc), want);
  doc["cases"]["03"]["abort_on_close"]["source"] = "";
  EXPECT_EQ(ParseError(doc), want);
}

TEST(ExpectedTableTest, RejectsMissingValue) {
  json doc = Minimal();
  doc["cases"]["03"]["abort_on_close"].erase("value");
  EXPECT_EQ(ParseError(doc), "dir/linux.json: cases.03.abort_on_close: value is missing");
}

TEST(ExpectedTableTest, RejectsBadCaseIds) {
  for (const char* id : {"3", "003", "ab", "00", "35"}) {
    json doc = Minimal();
    doc["cases"][id] = doc["cases"]["03"];
    const std::string msg = ParseError(doc);
    EXPECT_NE(msg.find(std::string("dir/linux.json: cases.") + id + ": "), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("no such case in matrix \"so_linger\""), std::string::npos) << msg;
  }
}

// The table names its matrix; the ids are checked against that matrix as
// loaded (was: against a hand-written list of 34 ids in C++).
TEST(ExpectedTableTest, TheMatrixFieldNamesTheLoadedMatrix) {
  json doc = Minimal();
  doc.erase("matrix");
  EXPECT_EQ(ParseError(doc),
            "dir/linux.json: matrix: must name the matrix the case ids belong to (\"so_linger\")");
  doc["matrix"] = 5;
  EXPECT_NE(ParseError(doc).find("dir/linux.json: matrix: must name"), std::string::npos);
  doc["matrix"] = "other";
  EXPECT_NE(ParseError(doc).find("dir/linux.json: matrix: \"other\" is not the loaded matrix "
                                 "\"so_linger\""),
            std::string::npos)
      << ParseError(doc);

  // A second matrix needs no C++: its own ids are valid, so_linger's are not.
  auto other = ParseMatrix(json::parse(R"({
    "format": "lingerlab-matrix/1", "name": "mini",
    "defaults": {"payload_bytes": 1024, "read_chunk": 512, "port": 5001},
    "cases": [{"id": "T01", "name": "fast-client__no-linger", "client": "fast"}]})"),
                           "mini.json");
  ASSERT_TRUE(other.ok()) << other.error().message;
  json mini = Minimal();
  mini["matrix"] = "mini";
  mini["cases"] = {{"T01", {{"close_blocks", {{"value", false}, {"source", "s"}}}}}};
  auto t = ParseExpectedTable(mini, "linux.json", *other);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_NE(t->Find("T01", "close_blocks"), nullptr);
  mini["cases"]["03"] = Minimal()["cases"]["03"];
  auto bad = ParseExpectedTable(mini, "linux.json", *other);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "linux.json: cases.03: no such case in matrix \"mini\" (mini.json)");
}

// Wrong-typed values anywhere are errors naming the field, never exceptions.
TEST(ExpectedTableTest, WrongTypedFieldsAreNamed) {
  json doc = Minimal();
  doc["family"] = 3;
  EXPECT_NE(ParseError(doc).find("dir/linux.json: family: must be"), std::string::npos);
  doc = Minimal();
  doc["title"] = json::array();
  EXPECT_EQ(ParseError(doc), "dir/linux.json: title: must be a non-empty string");
  doc = Minimal();
  doc["cases"]["03"]["abort_on_close"]["source"] = 1;
  EXPECT_NE(ParseError(doc).find("dir/linux.json: cases.03.abort_on_close: source must be"),
            std::string::npos);
  doc = Minimal();
  doc["cases"]["03"]["abort_on_close"]["note"] = json::object();
  EXPECT_EQ(ParseError(doc), "dir/linux.json: cases.03.abort_on_close: note must be a string");
  doc = Minimal();
  doc["cases"]["03"]["abort_on_close"]["only"] = {1};
  EXPECT_EQ(ParseError(doc),
            "dir/linux.json: cases.03.abort_on_close: only must hold non-empty OS names");
}

// Was: a deeply nested value was parsed and then overflowed the stack.
TEST(ExpectedTableTest, LoadRefusesDeepNestingAndDirectories) {
  const std::string path =
      WriteFile(TestDir() / "linux.json",
                R"({"format": "lingerlab-expected/1", "note": )" + std::string(100000, '[') + "}");
  auto t = LoadExpectedTable(path, SoLingerMatrix());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find(path + ": invalid JSON: JSON nests deeper than"),
            std::string::npos)
      << t.error().message;
  auto d = LoadExpectedTable(TestDir().string(), SoLingerMatrix());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(d.error().message.find("is a directory"), std::string::npos);
}

TEST(ExpectedTableTest, RejectsEmptyCase) {
  json doc = Minimal();
  doc["cases"]["04"] = json::object();
  EXPECT_EQ(ParseError(doc), "dir/linux.json: cases.04: must be a non-empty object keyed by claim");
}

TEST(ExpectedTableTest, TimeBasisOnlyAndAlwaysOnTimeClaims) {
  json doc = Minimal();
  doc["cases"]["03"]["abort_on_close"]["time_basis"] = "linger";
  EXPECT_EQ(ParseError(doc),
            "dir/linux.json: cases.03.abort_on_close: time_basis is only allowed on time-valued "
            "claims");

  doc = Minimal();
  doc["cases"]["06"] = {{"close_blocked_s", {{"value", 20}, {"source", "x"}}}};
  EXPECT_NE(ParseError(doc).find("cases.06.close_blocked_s: time_basis (\"linger\" or \"kernel\") "
                                 "is required"),
            std::string::npos);

  doc["cases"]["06"]["close_blocked_s"]["time_basis"] = "wall";
  EXPECT_EQ(
      ParseError(doc),
      "dir/linux.json: cases.06.close_blocked_s: time_basis must be \"linger\" or \"kernel\"");
}

TEST(ExpectedTableTest, RejectsBadFlagsAndOnly) {
  json doc = Minimal();
  doc["cases"]["03"]["abort_on_close"]["inferred"] = "yes";
  EXPECT_EQ(ParseError(doc), "dir/linux.json: cases.03.abort_on_close: inferred must be a boolean");
  doc = Minimal();
  doc["cases"]["03"]["abort_on_close"]["depends_on_kernel_time"] = 1;
  EXPECT_EQ(ParseError(doc),
            "dir/linux.json: cases.03.abort_on_close: depends_on_kernel_time must be a boolean");
  doc = Minimal();
  doc["cases"]["03"]["abort_on_close"]["only"] = json::array();
  EXPECT_EQ(ParseError(doc),
            "dir/linux.json: cases.03.abort_on_close: only must be a non-empty array of OS names");
  doc["cases"]["03"]["abort_on_close"]["only"] = "FreeBSD";
  EXPECT_NE(ParseError(doc), "");
}

TEST(ExpectedTableTest, RejectsUnknownFields) {
  json doc = Minimal();
  doc["cases"]["03"]["abort_on_close"]["sorce"] = "typo";
  EXPECT_EQ(ParseError(doc), "dir/linux.json: cases.03.abort_on_close: unknown field \"sorce\"");
  doc = Minimal();
  doc["expected"] = json::object();
  EXPECT_EQ(ParseError(doc), "dir/linux.json: (top level): unknown field \"expected\"");
}

TEST(ExpectedTableTest, RejectsBadTopLevelSourceAndTitle) {
  json doc = Minimal();
  doc["source"].erase("document");
  EXPECT_EQ(ParseError(doc), "dir/linux.json: source.document: must be a non-empty string");
  doc = Minimal();
  doc["source"]["platforms"] = json::array();
  EXPECT_NE(ParseError(doc).find("source.platforms: must be a non-empty array"), std::string::npos);
  doc = Minimal();
  doc["title"] = "";
  EXPECT_EQ(ParseError(doc), "dir/linux.json: title: must be a non-empty string");
  EXPECT_NE(ParseError(json::array()).find("must be a JSON object"), std::string::npos);
}

TEST(ExpectedTableTest, LoadReportsJsonSyntaxErrorWithPosition) {
  const std::string path =
      WriteFile(TestDir() / "linux.json",
                "{\n  \"format\": \"lingerlab-expected/1\",\n  \"matrix\": \"so_linger\",\n"
                "  \"family\" \"linux\"\n}\n");
  auto t = LoadExpectedTable(path, SoLingerMatrix());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(t.error().message.rfind(path + ": invalid JSON at line 4, column ", 0), 0u)
      << t.error().message;
  EXPECT_NE(t.error().message.find("syntax error"), std::string::npos) << t.error().message;
}

TEST(ExpectedTableTest, LoadRejectsDuplicateKeys) {
  const std::string path = WriteFile(TestDir() / "linux.json", R"({
    "format": "lingerlab-expected/1", "matrix": "so_linger", "family": "linux", "title": "Linux",
    "source": {"document": "d", "platforms": ["p"]},
    "cases": {"03": {"abort_on_close": {"value": true, "source": "a"},
                     "abort_on_close": {"value": false, "source": "b"}}}})");
  auto t = LoadExpectedTable(path, SoLingerMatrix());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message,
            path + ": duplicate key \"abort_on_close\" (JSON would keep only the last)");
}

TEST(ExpectedTableTest, LoadValidatesAndNamesTheFile) {
  json doc = Minimal();
  doc["cases"]["03"]["abort_on_close"]["value"] = "true";
  const std::string path = WriteFile(TestDir() / "linux.json", doc.dump(2));
  auto t = LoadExpectedTable(path, SoLingerMatrix());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, path + ": cases.03.abort_on_close: value must be a boolean");
}

TEST(ExpectedTableTest, LoadMissingFileIsNotFound) {
  auto t = LoadExpectedTable((TestDir() / "nope.json").string(), SoLingerMatrix());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kNotFound);
}

TEST(ExpectedTableTest, LoadDirSortsByFamilyAndIgnoresOtherFiles) {
  const fs::path dir = TestDir();
  for (const char* family : {"linux", "bsd", "darwin"}) {
    json doc = Minimal();
    doc["family"] = family;
    WriteFile(dir / (std::string(family) + ".json"), doc.dump());
  }
  WriteFile(dir / "README.txt", "not a table");
  auto tables = LoadExpectedDir(dir.string(), SoLingerMatrix());
  ASSERT_TRUE(tables.ok()) << tables.error().message;
  ASSERT_EQ(tables->size(), 3u);
  EXPECT_EQ((*tables)[0].family, "bsd");
  EXPECT_EQ((*tables)[1].family, "darwin");
  EXPECT_EQ((*tables)[2].family, "linux");
}

TEST(ExpectedTableTest, LoadDirFailsOnAnyBadFileOrNone) {
  const fs::path dir = TestDir();
  EXPECT_EQ(LoadExpectedDir(dir.string(), SoLingerMatrix()).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(LoadExpectedDir((dir / "missing").string(), SoLingerMatrix()).error().code,
            ErrorCode::kNotFound);
  WriteFile(dir / "linux.json", Minimal().dump());
  WriteFile(dir / "bsd.json", Minimal().dump());  // family "linux" in bsd.json
  auto tables = LoadExpectedDir(dir.string(), SoLingerMatrix());
  ASSERT_FALSE(tables.ok());
  EXPECT_NE(tables.error().message.find("bsd.json: family: \"linux\" does not match"),
            std::string::npos)
      << tables.error().message;
}

TEST(ClaimsTest, KnownClaimsAreExactlyTheVocabularyOfResultsFormat) {
  // doc/results-format.md is the contract: its claims table and AllClaims()
  // must list the same names.
  std::ifstream in(std::string(LINGERLAB_SOURCE_DIR) + "/doc/results-format.md");
  ASSERT_TRUE(in) << "cannot read doc/results-format.md";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const size_t start = doc.find("### Claims vocabulary");
  ASSERT_NE(start, std::string::npos);
  const size_t end = doc.find("\n## ", start);
  const std::string section = doc.substr(start, end - start);

  std::set<std::string> documented;
  const std::regex row(R"(\n\| `([a-z_]+)` \|)");
  for (auto it = std::sregex_iterator(section.begin(), section.end(), row);
       it != std::sregex_iterator(); ++it) {
    documented.insert((*it)[1]);
  }
  std::set<std::string> known;
  for (const ClaimInfo& info : AllClaims()) known.insert(info.name);
  EXPECT_EQ(documented, known);
  for (const std::string& claim : documented) EXPECT_TRUE(IsKnownClaim(claim)) << claim;
  EXPECT_FALSE(IsKnownClaim("abort"));
  EXPECT_FALSE(IsKnownClaim(""));
}

}  // namespace
}  // namespace lingerlab

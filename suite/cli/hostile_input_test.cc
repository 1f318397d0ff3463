// The binaries against hostile files and output paths, as a user (or an
// attacker who controls a matrix or a results file) would drive them: a case
// name that climbs out of --out, output paths that are devices, symlinks and
// directories, an expected-table directory holding a symlink loop, two runs
// on one --out, a results file whose strings carry terminal escapes,
// markdown and javascript: links, and parse errors over huge tokens. Each
// gets the documented behaviour (doc/security.md) and a clear error, never
// an abort, and nothing is written outside where it belongs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "agents/base/clock.h"
#include "agents/platform/unique_fd.h"
#include "suite/targets/process.h"
#include "suite/testing/e2e_support.h"

namespace lingerlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshDir("ll-hostile-cli"); }
  void TearDown() override { fs::remove_all(dir_); }

  static CommandResult Lingerlab(const std::vector<std::string>& args) {
    return RunLingerlab(args, 60 * kNsPerSec);
  }
  static json Load(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
  }
  static void Save(const fs::path& p, const json& j) { std::ofstream(p) << j.dump(1); }
  static std::string Source(const std::string& rel) {
    return std::string(LINGERLAB_SOURCE_DIR) + "/" + rel;
  }
  // The reference run's results with `edit` applied to case 02's document
  // (to every case's when `every_case`: the run's label is its first's).
  fs::path CraftedResults(const std::function<void(json&)>& edit, bool every_case = false) {
    json doc = Load(Source("results/reference-scale0.05/results.json"));
    for (json& c : doc["cases"])
      if (every_case || c["id"] == "02") edit(c);
    const fs::path p = dir_ / "crafted.json";
    Save(p, doc);
    return p;
  }
  static bool IsCharDevice(const char* p) {
    struct stat st {};
    return ::lstat(p, &st) == 0 && S_ISCHR(st.st_mode);
  }
  fs::path dir_;
};

// Hole 1: a free case name "x/../../../DIR/ESCAPED" is refused when the matrix
// loads; nothing is created outside --out.
TEST_F(HostileInputTest, ACaseNameThatClimbsOutOfOutIsRefusedAtLoad) {
  json m = Load(Source("matrix/data_loss.json"));
  ASSERT_EQ(m.value("case_names", ""), "free");
  m["cases"][0]["name"] = "x/../../../escaped-dir/ESCAPED";
  const fs::path matrix = dir_ / "evil.json";
  Save(matrix, m);
  for (const char* cmd : {"list", "run"}) {
    auto r = std::string(cmd) == "list"
                 ? Lingerlab({"list", "--matrix", matrix.string()})
                 : Lingerlab({"run", "--matrix", matrix.string(), "--out",
                              (dir_ / "a" / "b" / "out").string(), "--time-scale", "0.05"});
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.output;
    EXPECT_NE(r.output.find("file-name-safe"), std::string::npos) << r.output;
  }
  EXPECT_FALSE(fs::exists(dir_ / "escaped-dir"));
  EXPECT_FALSE(fs::exists(dir_ / "a"));
}

// Hole 2: devices are written through, never replaced; a symlink's target is
// written and the link stays; a directory is refused with exit 2.
TEST_F(HostileInputTest, OutputPathsAreWrittenByTheirKindAndNeverDestroyed) {
  const std::string results = Source("results/reference-scale0.05/results.json");
  auto r = Lingerlab({"report", results, "-o", "/dev/null"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(IsCharDevice("/dev/null")) << "/dev/null was replaced";

  r = Lingerlab({"check", results, "--write", "/dev/full"});
  EXPECT_NE(r.exit_code, 0) << "a write to /dev/full must fail: " << r.output;
  EXPECT_NE(r.output.find("/dev/full"), std::string::npos) << r.output;
  EXPECT_TRUE(IsCharDevice("/dev/full"));

  const fs::path target = dir_ / "report-target.md";
  const fs::path link = dir_ / "report-link.md";
  std::ofstream(target) << "old";
  fs::create_symlink(target, link);
  r = Lingerlab({"report", results, "-o", link.string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::is_symlink(link)) << "the symlink was replaced";
  EXPECT_GT(fs::file_size(target), 1000u) << "the link's target was not written";

  r = Lingerlab({"report", results, "-o", dir_.string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("a directory"), std::string::npos) << r.output;

  const fs::path dangling = dir_ / "dangling.md";
  fs::create_symlink(dir_ / "nowhere" / "x.md", dangling);
  r = Lingerlab({"report", results, "-o", dangling.string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "nowhere"));

  // A FIFO without a reader is an error at once, not a hang.
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  r = Lingerlab({"report", results, "-o", fifo.string()});
  EXPECT_NE(r.exit_code, 0) << r.output;
  struct stat st {};
  EXPECT_TRUE(::lstat(fifo.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) << "the FIFO was replaced";

  // run checks its --junit path before running anything.
  r = Lingerlab({"run", "--junit", dir_.string(), "--out", (dir_ / "run").string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "run"));
}

// Hole 6: a symlink loop named *.json among the expected tables is a clear
// error naming it (exit 2), not an abort.
TEST_F(HostileInputTest, ASymlinkLoopAmongTheExpectedTablesIsAClearError) {
  const fs::path tables = dir_ / "expected";
  fs::create_directories(tables);
  fs::copy_file(Source("matrix/expected/linux.json"), tables / "linux.json");
  fs::create_symlink(tables / "loop.json", tables / "loop.json");
  const std::string results = Source("results/reference-scale0.05/results.json");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"check", results, "--expected-dir", tables.string()},
        std::vector<std::string>{"report", results, "--expected-dir", tables.string()},
        std::vector<std::string>{"diff", results, results, "--expected-dir", tables.string()}}) {
    auto r = Lingerlab(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.output;
    EXPECT_NE(r.output.find("loop.json"), std::string::npos) << r.output;
  }
}

// Hole 7: a second run on an --out that a live run holds is refused at once.
TEST_F(HostileInputTest, ASecondRunOnTheSameOutIsRefused) {
  if (SkipUnlessRoot("run checks the netns target first")) return;
  const fs::path out = dir_ / "out";
  fs::create_directories(out);
  UniqueFd held(::open(out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(held.valid());
  ASSERT_EQ(::flock(held.get(), LOCK_EX | LOCK_NB), 0);
  auto r = Lingerlab({"run", "--cases", "02", "--time-scale", "0.05", "--out", out.string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("in use by another lingerlab run"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_empty(out)) << "the refused run wrote into the held directory";
}

// Holes 8-10: strings from a results file reach Markdown escaped, reach the
// HTML report without a script link, and reach a terminal with control
// characters shown as escapes.
TEST_F(HostileInputTest, ResultStringsAreEscapedForEachOutputFormat) {
  const fs::path crafted = CraftedResults(
      [](json& c) {
        c["agents"]["server"]["platform"]["os"] =
            "Linux <img src=x onerror=alert(1)> | [x](javascript:alert(2))";
      },
      true);
  const fs::path md = dir_ / "r.md";
  auto r = Lingerlab({"report", crafted.string(), "-o", md.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(md);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("<img"), std::string::npos);
  EXPECT_NE(text.find("&lt;img src=x onerror=alert(1)&gt; \\| \\[x\\](javascript:alert(2))"),
            std::string::npos);

  // A newline in a platform string is refused at load: it would break a
  // table row (and an agent could never have sent it).
  const fs::path newline = CraftedResults(
      [](json& c) { c["agents"]["server"]["platform"]["os"] = "Linux\n| fake | row |"; });
  r = Lingerlab({"report", newline.string()});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("platform.os"), std::string::npos) << r.output;

  const fs::path js =
      CraftedResults([](json& c) { c["capture"]["pcap"] = "javascript:alert(document.domain)"; });
  r = Lingerlab({"report", js.string(), "--format", "html"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("capture.pcap"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("href=\"javascript"), std::string::npos);

  const fs::path esc = CraftedResults([](json& c) {
    c["status"] = "error";
    c["error"] = "lost \x1b]0;pwned\x07 agent\r\x1b[2Kok";
  });
  r = Lingerlab({"show", esc.string(), "02"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << "a raw ESC reached the terminal";
  EXPECT_EQ(r.output.find('\r'), std::string::npos);
  EXPECT_NE(r.output.find("\\x1b]0;pwned\\x07"), std::string::npos) << r.output;
  r = Lingerlab({"check", esc.string()});
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << r.output;
}

// Hole 12: a parse error over a huge token is short, and quick.
TEST_F(HostileInputTest, ParseErrorsOverHugeTokensAreShort) {
  const fs::path spaces = dir_ / "spaces.json";
  const fs::path unterminated = dir_ / "string.json";
  {
    std::ofstream(spaces) << std::string(8 << 20, ' ');
    std::ofstream(unterminated) << "{\"format\": \"" << std::string(8 << 20, 'a');
  }
  for (const fs::path& p : {spaces, unterminated}) {
    auto r = Lingerlab({"check", p.string()});
    EXPECT_EQ(r.exit_code, 2) << r.output.substr(0, 300);
    EXPECT_LT(r.output.size(), 1000u) << r.output.substr(0, 300);
    EXPECT_NE(r.output.find("longer than"), std::string::npos) << r.output.substr(0, 300);
  }
}

}  // namespace
}  // namespace lingerlab

#include "suite/coordinator/results_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace lingerlab {
namespace {

namespace fs = std::filesystem;

class ResultsWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll-writer-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ResultsWriterTest, WritesCompleteDocumentAndLeavesNoTemporaryFile) {
  std::string path = (dir_ / "results.json").string();
  ASSERT_TRUE(WriteJsonAtomically(path, {{"format", "x"}, {"n", 1}}).ok());
  ASSERT_TRUE(WriteJsonAtomically(path, {{"format", "x"}, {"n", 2}}).ok());
  auto back = ReadJsonFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)["n"], 2);
  int files = 0;
  for (auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(ResultsWriterTest, AFailedWriteKeepsThePreviousFile) {
  std::string path = (dir_ / "results.json").string();
  ASSERT_TRUE(WriteJsonAtomically(path, {{"n", 1}}).ok());
  // A directory where the temporary file would go makes the write fail.
  fs::create_directory(path + ".tmp." + std::to_string(::getpid()));
  Status s = WriteJsonAtomically(path, {{"n", 2}});
  EXPECT_FALSE(s.ok());
  auto back = ReadJsonFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)["n"], 1);
}

TEST_F(ResultsWriterTest, ReadingGarbageIsAClearError) {
  std::string path = (dir_ / "bad.json").string();
  std::ofstream(path) << "{\"cases\": [";
  auto r = ReadJsonFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().message.find("bad.json"), std::string::npos);
}

TEST_F(ResultsWriterTest, CreateUniqueDirNeverReusesADirectory) {
  auto a = CreateUniqueDir((dir_ / "results").string(), "run-20261123-120000");
  auto b = CreateUniqueDir((dir_ / "results").string(), "run-20261123-120000");
  auto c = CreateUniqueDir((dir_ / "results").string(), "run-20261123-120000");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(fs::path(*a).filename(), "run-20261123-120000");
  EXPECT_EQ(fs::path(*b).filename(), "run-20261123-120000-2");
  EXPECT_EQ(fs::path(*c).filename(), "run-20261123-120000-3");
  for (const std::string& d : {*a, *b, *c}) EXPECT_TRUE(fs::is_directory(d));
}

TEST_F(ResultsWriterTest, ReplaceSymlinkPointsAnExistingLinkElsewhere) {
  fs::create_directory(dir_ / "one");
  fs::create_directory(dir_ / "two");
  const std::string link = (dir_ / "latest").string();
  ASSERT_TRUE(ReplaceSymlink(link, "one").ok());
  EXPECT_EQ(fs::read_symlink(link), "one");
  ASSERT_TRUE(ReplaceSymlink(link, "two").ok());
  EXPECT_EQ(fs::read_symlink(link), "two");
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir_)) entries += e.path().filename() != "";
  EXPECT_EQ(entries, 3) << "no temporary link left behind";
}

}  // namespace
}  // namespace lingerlab

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

TEST_F(ResultsWriterTest, PathInsideKeepsEveryFileUnderItsDirectory) {
  auto ok = PathInside("/r/run-1", "cases/02__slow-client__no-linger.json");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "/r/run-1/cases/02__slow-client__no-linger.json");
  for (const char* bad :
       {"cases/x/../../../ESCAPED.json", "../x", "/etc/x.json", "cases//x", "pcaps/.x", ""}) {
    auto r = PathInside("/r/run-1", bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
    }
  }
}

// One run per output directory: the second lock fails at once, and the
// lock is free again when its holder goes.
TEST_F(ResultsWriterTest, OutputDirLockIsExclusiveAndReleasedWithItsHolder) {
  {
    auto first = OutputDirLock::Acquire(dir_.string());
    ASSERT_TRUE(first.ok()) << first.error().message;
    auto second = OutputDirLock::Acquire(dir_.string());
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message.find("in use by another lingerlab run"), std::string::npos);
  }
  EXPECT_TRUE(OutputDirLock::Acquire(dir_.string()).ok());
  EXPECT_FALSE(OutputDirLock::Acquire((dir_ / "missing").string()).ok());
  EXPECT_TRUE(fs::is_empty(dir_)) << "the lock must leave no file behind";
}

// The output rule (results_writer.h): devices written through, symlinks'
// targets replaced, directories refused.
TEST_F(ResultsWriterTest, OutputPathsAreWrittenByTheirKind) {
  EXPECT_TRUE(WriteTextAtomically("/dev/null", "x").ok());
  struct stat st {};
  ASSERT_EQ(::lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  Status full = WriteTextAtomically("/dev/full", std::string(1 << 16, 'x'));
  EXPECT_FALSE(full.ok());
  EXPECT_EQ(full.code(), ErrorCode::kFailed) << full.message();

  const fs::path target = dir_ / "t.txt", link = dir_ / "l.txt";
  std::ofstream(target) << "old";
  fs::create_symlink(target, link);
  ASSERT_TRUE(WriteTextAtomically(link.string(), "new").ok());
  EXPECT_TRUE(fs::is_symlink(link));
  std::ifstream in(target);
  std::string got;
  in >> got;
  EXPECT_EQ(got, "new");

  Status dir = WriteTextAtomically(dir_.string(), "x");
  EXPECT_EQ(dir.code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(CheckOutputPath(dir_.string()).code(), ErrorCode::kInvalidInput);
  EXPECT_TRUE(CheckOutputPath((dir_ / "new.xml").string()).ok());
  fs::create_symlink(dir_ / "nowhere" / "x", dir_ / "dangling");
  EXPECT_EQ(WriteTextAtomically((dir_ / "dangling").string(), "x").code(),
            ErrorCode::kInvalidInput);
}

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

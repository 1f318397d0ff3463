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

}  // namespace
}  // namespace lingerlab

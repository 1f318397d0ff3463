// The data lookup order of data_paths.h: the user's own path, then the
// install beside the binary, then the source tree; on a real directory tree.
#include "suite/run/data_paths.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace lingerlab {
namespace {
namespace fs = std::filesystem;

class DataPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / ("data_paths_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "prefix/bin");
    fs::create_directories(root_ / "prefix/share/lingerlab/matrix");
    fs::create_directories(root_ / "src/matrix/expected");
    Touch(root_ / "prefix/share/lingerlab/matrix/m.json");
    Touch(root_ / "src/matrix/m.json");
    Touch(root_ / "src/matrix/expected/linux.json");
    exe_ = (root_ / "prefix/bin/lingerlab").string();
    src_ = (root_ / "src").string();
  }
  void TearDown() override { fs::remove_all(root_); }
  static void Touch(const fs::path& p) { std::ofstream(p) << "{}"; }

  fs::path root_;
  std::string exe_, src_;
};

TEST_F(DataPathsTest, InstalledDataComesBeforeTheSourceTree) {
  const auto dirs = DataSearchDirs(exe_, "../share/lingerlab", src_);
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_EQ(dirs[0], (root_ / "prefix/share/lingerlab").string());
  EXPECT_EQ(dirs[1], src_);
  EXPECT_EQ(FindDataPath("matrix/m.json", dirs),
            (root_ / "prefix/share/lingerlab/matrix/m.json").string());
}

TEST_F(DataPathsTest, FallsBackToTheSourceTreePerFile) {
  const auto dirs = DataSearchDirs(exe_, "../share/lingerlab", src_);
  // Not in the install: found in the source tree.
  EXPECT_EQ(FindDataPath("matrix/expected/linux.json", dirs),
            (root_ / "src/matrix/expected/linux.json").string());
}

TEST_F(DataPathsTest, NoInstallBesideTheBinaryMeansTheSourceTree) {
  // A build tree: build/bin/lingerlab with no build/share/lingerlab.
  fs::remove_all(root_ / "prefix/share");
  const auto dirs = DataSearchDirs(exe_, "../share/lingerlab", src_);
  ASSERT_EQ(dirs.size(), 1u);
  EXPECT_EQ(FindDataPath("matrix/m.json", dirs), (root_ / "src/matrix/m.json").string());
}

TEST_F(DataPathsTest, ACopiedInstallFindsItsOwnData) {
  // cp -a of the prefix elsewhere, the source tree gone: the copy's data.
  fs::copy(root_ / "prefix", root_ / "moved", fs::copy_options::recursive);
  fs::remove_all(root_ / "src");
  const auto dirs =
      DataSearchDirs((root_ / "moved/bin/lingerlab").string(), "../share/lingerlab", src_);
  EXPECT_EQ(FindDataPath("matrix/m.json", dirs),
            (root_ / "moved/share/lingerlab/matrix/m.json").string());
}

TEST_F(DataPathsTest, TheUsersOwnPathWins) {
  const auto dirs = DataSearchDirs(exe_, "../share/lingerlab", src_);
  const std::string abs = (root_ / "src/matrix/m.json").string();
  EXPECT_EQ(FindDataPath(abs, dirs), abs);  // absolute: as given
  const fs::path cwd = fs::current_path();
  fs::current_path(root_ / "src");
  EXPECT_EQ(FindDataPath("matrix/m.json", dirs), "matrix/m.json");  // exists here
  fs::current_path(cwd);
  // Absolute and missing, or missing everywhere: unchanged, so the error names it.
  EXPECT_EQ(FindDataPath("/nonexistent/m.json", dirs), "/nonexistent/m.json");
  EXPECT_EQ(FindDataPath("matrix/none.json", dirs), "matrix/none.json");
  EXPECT_EQ(FindDataPath("", dirs), "");
}

TEST_F(DataPathsTest, EmptyInputsGiveNoDirectories) {
  EXPECT_TRUE(DataSearchDirs("", "../share/lingerlab", "").empty());
  EXPECT_EQ(DataSearchDirs(exe_, "", "").size(), 0u);
}

// The process-wide lookup finds the shipped matrix from a test binary in the
// build tree (through the compiled-in source directory).
TEST(DataPathsProcessTest, FindsTheShippedMatrix) {
  const std::string found = FindDataPath("matrix/so_linger.json");
  EXPECT_TRUE(fs::exists(found)) << found;
}

}  // namespace
}  // namespace lingerlab

// LoadJsonFile: every JSON input file goes through it; bad files are errors
// that name the file, never exceptions or crashes.
#include "suite/matrix/json_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace lingerlab {
namespace {

namespace fs = std::filesystem;

class JsonFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll-jsonfile-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
};

TEST_F(JsonFileTest, ReadsAnObject) {
  auto doc = LoadJsonFile(Write("ok.json", R"({"a": [1, 2]})"));
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ((*doc)["a"][1], 2);
}

// Was: std::ifstream on a directory threw std::ios_base::failure (abort 134).
TEST_F(JsonFileTest, ADirectoryIsAnErrorNamingIt) {
  auto doc = LoadJsonFile(dir_.string());
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(doc.error().message, dir_.string() + ": is a directory, not a JSON file");
}

TEST_F(JsonFileTest, MissingFileIsNotFound) {
  auto doc = LoadJsonFile((dir_ / "nope.json").string());
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, ErrorCode::kNotFound);
  EXPECT_NE(doc.error().message.find("nope.json"), std::string::npos);
}

TEST_F(JsonFileTest, SyntaxErrorsNameLineAndColumn) {
  const std::string path = Write("bad.json", "{\n  \"a\": ,\n}");
  auto doc = LoadJsonFile(path);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().message.rfind(path + ": invalid JSON at line 2, column ", 0), 0u)
      << doc.error().message;
}

// Was: a value nested 100,000 deep overflowed the stack when destroyed (139).
TEST_F(JsonFileTest, DeepNestingIsRefusedBeforeParsing) {
  const std::string path =
      Write("deep.json", "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
  auto doc = LoadJsonFile(path);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(doc.error().message.find("nests deeper than"), std::string::npos)
      << doc.error().message;
  EXPECT_EQ(doc.error().message.rfind(path, 0), 0u);
}

}  // namespace
}  // namespace lingerlab

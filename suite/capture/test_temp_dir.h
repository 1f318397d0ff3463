// Test-only: a fresh directory under TMPDIR (or /tmp), removed with its
// contents when the test ends, pass or fail. Creation failure fails the test.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace lingerlab {

class TestTempDir {
 public:
  // `base`: where to make it instead of TMPDIR (e.g. /dev/shm, when a test
  // times something that ends in fsync and must not time the disk).
  explicit TestTempDir(const char* base = nullptr) {
    if (!base || !*base) base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/llcap-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    } else {
      path_ = tmpl;
    }
  }
  ~TestTempDir() {
    std::error_code ec;  // best effort: a leftover temp dir must not fail the test
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TestTempDir(const TestTempDir&) = delete;
  TestTempDir& operator=(const TestTempDir&) = delete;

  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace lingerlab

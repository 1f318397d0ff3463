#include "suite/run/defaults.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>

#include "suite/coordinator/results_writer.h"

#ifndef LINGERLAB_SOURCE_DIR
#define LINGERLAB_SOURCE_DIR "."
#endif

namespace lingerlab {
namespace fs = std::filesystem;

std::string RepoPath(const std::string& relative) {
  // symlink_status: a path that exists in any form (a symlink loop too) is
  // the user's, and the loader says what is wrong with it.
  std::error_code ec;
  if (relative.empty() || fs::path(relative).is_absolute() ||
      fs::exists(fs::symlink_status(relative, ec)))
    return relative;
  fs::path in_source = fs::path(LINGERLAB_SOURCE_DIR) / relative;
  return fs::exists(fs::symlink_status(in_source, ec)) ? in_source.string() : relative;
}

std::string ExpectedDirFor(const std::string& option, const Matrix& matrix) {
  return option.empty() ? matrix.expected_dir : RepoPath(option);
}

std::string AgentBesideUs() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "lingerlab-agent" : (self.parent_path() / "lingerlab-agent").string();
}

std::string RandomRunId() {
  std::random_device rd;
  char buf[12];
  std::snprintf(buf, sizeof(buf), "%08x", rd());
  return buf;
}

Result<std::string> CreateDefaultOutDir() {
  time_t now = time(nullptr);
  tm t{};
  gmtime_r(&now, &t);
  char buf[64];
  std::strftime(buf, sizeof(buf), "run-%Y%m%d-%H%M%S", &t);
  return CreateUniqueDir("results", buf);
}

}  // namespace lingerlab

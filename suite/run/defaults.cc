#include "suite/run/defaults.h"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>

#include "suite/coordinator/results_writer.h"
#include "suite/run/data_paths.h"

namespace lingerlab {
namespace fs = std::filesystem;

std::string RepoPath(const std::string& relative) { return FindDataPath(relative); }

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

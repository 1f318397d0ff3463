#include "suite/run/data_paths.h"

#include <filesystem>
#include <system_error>

// Set by suite/run/CMakeLists.txt: the install's data directory relative to
// its bin directory (GNUInstallDirs), and the checkout this was built from.
#ifndef LINGERLAB_DATA_FROM_BIN
#define LINGERLAB_DATA_FROM_BIN "../share/lingerlab"
#endif
#ifndef LINGERLAB_SOURCE_DIR
#define LINGERLAB_SOURCE_DIR ""
#endif

namespace lingerlab {
namespace fs = std::filesystem;

namespace {

// symlink_status: a dangling symlink or a loop still "exists" for our purpose.
bool Exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

}  // namespace

std::vector<std::string> DataSearchDirs(const std::string& exe_path,
                                        const std::string& data_from_bin,
                                        const std::string& source_dir) {
  std::vector<std::string> dirs;
  if (!exe_path.empty() && !data_from_bin.empty()) {
    const fs::path installed =
        (fs::path(exe_path).parent_path() / data_from_bin).lexically_normal();
    std::error_code ec;
    if (fs::is_directory(installed, ec)) dirs.push_back(installed.string());
  }
  if (!source_dir.empty()) dirs.push_back(source_dir);
  return dirs;
}

std::string FindDataPath(const std::string& relative, const std::vector<std::string>& bases) {
  if (relative.empty() || fs::path(relative).is_absolute() || Exists(relative)) return relative;
  for (const std::string& base : bases) {
    const fs::path candidate = fs::path(base) / relative;
    if (Exists(candidate)) return candidate.string();
  }
  return relative;
}

std::string FindDataPath(const std::string& relative) {
  // /proc/self/exe is the binary itself with symlinks resolved, so a
  // /usr/local/bin/lingerlab linked to /opt/lingerlab/bin finds /opt's data.
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return FindDataPath(relative, DataSearchDirs(ec ? std::string() : self.string(),
                                               LINGERLAB_DATA_FROM_BIN, LINGERLAB_SOURCE_DIR));
}

}  // namespace lingerlab

#include "suite/coordinator/results_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "agents/platform/stream_io.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab {

Status WriteJsonAtomically(const std::string& path, const nlohmann::json& doc) {
  return WriteTextAtomically(
      path, doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Status WriteTextAtomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  auto fail = [&](const std::string& what) {
    int saved = errno;
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kFailed, what + " " + path + ": " + std::strerror(saved));
  };
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return fail("cannot create temporary file for");
    if (!WriteAll(fd.get(), text).ok()) return fail("cannot write");
    if (::fsync(fd.get()) != 0) return fail("cannot fsync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename into");
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.valid()) ::fsync(dfd.get());
  return Status::Ok();
}

Result<std::string> CreateUniqueDir(const std::string& parent, const std::string& stem) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return MakeError(ErrorCode::kFailed, "cannot create " + parent + ": " + ec.message());
  for (int n = 1; n <= 1000; ++n) {
    const std::string path =
        (fs::path(parent) / (n == 1 ? stem : stem + "-" + std::to_string(n))).string();
    if (::mkdir(path.c_str(), 0755) == 0) return path;
    if (errno != EEXIST)
      return MakeError(ErrorCode::kFailed, "cannot create " + path + ": " + std::strerror(errno));
  }
  return MakeError(ErrorCode::kFailed,
                   "cannot find a free name for " + (fs::path(parent) / stem).string() + "-N");
}

Status ReplaceSymlink(const std::string& link, const std::string& target) {
  const std::string tmp = link + ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0)
    return MakeError(ErrorCode::kFailed,
                     "cannot create symlink " + tmp + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kFailed, "cannot replace " + link + ": " + std::strerror(saved));
  }
  return Status::Ok();
}

Result<nlohmann::json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kNotFound, path + ": cannot open");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    return MakeError(ErrorCode::kInvalidInput, path + ": not valid JSON: " + e.what());
  }
}

}  // namespace lingerlab

#include "suite/coordinator/results_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "agents/platform/stream_io.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab {

Status WriteJsonAtomically(const std::string& path, const nlohmann::json& doc) {
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
    std::string text = doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (!WriteAll(fd.get(), text).ok()) return fail("cannot write");
    if (::fsync(fd.get()) != 0) return fail("cannot fsync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename into");
  UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.valid()) ::fsync(dfd.get());
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

#include "suite/coordinator/results_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "agents/base/text_rules.h"
#include "agents/platform/stream_io.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab {
namespace {

// Longer than any case file's path under a run directory
// ("cases/" + 16-byte id + "__" + 128-byte name + ".json").
constexpr size_t kMaxRelativePathBytes = 512;

}  // namespace

Status WriteJsonAtomically(const std::string& path, const nlohmann::json& doc) {
  return WriteTextAtomically(
      path, doc.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

namespace {

// Paths whose files stand for something else (/dev/stdout, /proc/self/fd/1):
// replacing one by rename would cut it off from what it stands for.
bool IsSpecialTree(const std::string& path) {
  std::error_code ec;
  const std::string abs = std::filesystem::absolute(path, ec).lexically_normal().string();
  return abs.rfind("/dev/", 0) == 0 || abs.rfind("/proc/", 0) == 0;
}

// Writes into an existing device, FIFO or special file in place.
Status WriteThrough(const std::string& path, const std::string& text, bool truncate) {
  // O_NONBLOCK: a FIFO without a reader is ENXIO at once, not a hang.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | (truncate ? O_TRUNC : 0)));
  if (!fd.valid())
    return MakeError(ErrorCode::kFailed, "cannot open " + path + ": " + std::strerror(errno));
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  if (Status s = WriteAll(fd.get(), text); !s.ok())
    return MakeError(ErrorCode::kFailed, "cannot write " + path + ": " + s.message());
  return Status::Ok();
}

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// The atomic write: temporary file, fsync, rename, fsync the directory.
Status WriteReplacing(const std::string& path, const std::string& text) {
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

// How the rule (results_writer.h) writes `path`: in place, by replacing
// `*replace` (the path, or a symlink's target), or not at all.
enum class WriteMode { kThrough, kThroughTruncating, kReplace };

Result<WriteMode> ModeFor(const std::string& path, std::string* replace) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;  // follows symlinks
  if (exists && !S_ISREG(st.st_mode)) {
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
      return WriteMode::kThrough;
    return MakeError(ErrorCode::kInvalidInput,
                     "refusing to write " + path + ": it is " + KindOf(st.st_mode));
  }
  if (IsSpecialTree(path)) return WriteMode::kThroughTruncating;
  *replace = path;
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    // The link's target is replaced, so the link stays what the user made.
    char* real = ::realpath(path.c_str(), nullptr);
    if (!real)
      return MakeError(ErrorCode::kInvalidInput, "refusing to write " + path +
                                                     ": a symlink whose target cannot be "
                                                     "resolved (" +
                                                     std::strerror(errno) + ")");
    *replace = real;
    std::free(real);
  }
  return WriteMode::kReplace;
}

}  // namespace

Status CheckOutputPath(const std::string& path) {
  std::string replace;
  return ModeFor(path, &replace).status();
}

Status WriteTextAtomically(const std::string& path, const std::string& text) {
  std::string replace;
  auto mode = ModeFor(path, &replace);
  if (!mode.ok()) return mode.status();
  if (*mode == WriteMode::kReplace) return WriteReplacing(replace, text);
  return WriteThrough(path, text, *mode == WriteMode::kThroughTruncating);
}

Result<OutputDirLock> OutputDirLock::Acquire(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return MakeError(ErrorCode::kFailed, "cannot open " + dir + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    ::close(fd);
    return MakeError(ErrorCode::kFailed,
                     saved == EWOULDBLOCK
                         ? dir + " is in use by another lingerlab run (its lock is held)"
                         : "cannot lock " + dir + ": " + std::strerror(saved));
  }
  return OutputDirLock(fd);
}

OutputDirLock::~OutputDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

Result<std::string> PathInside(const std::string& dir, const std::string& relative) {
  if (!IsSafeRelativePath(relative, kMaxRelativePathBytes))
    return MakeError(ErrorCode::kInvalidInput,
                     "refusing to write \"" + TerminalSafe(relative.substr(0, 80)) + "\" under " +
                         dir + ": not a plain relative path of safe names");
  return (std::filesystem::path(dir) / relative).string();
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

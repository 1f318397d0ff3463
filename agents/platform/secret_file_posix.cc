// Secret files on POSIX: created with O_EXCL and mode exactly 0600, read
// only if no group or other bit is set (a FIFO or device is refused).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agents/base/clock.h"
#include "agents/platform/secret_file.h"
#include "agents/platform/stream_io.h"
#include "agents/platform/unique_fd.h"

namespace lingerlab {
namespace {

std::string ModeText(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

Error OpenError(const std::string& what, const std::string& path, int err) {
  const ErrorCode code = err == ENOENT                   ? ErrorCode::kNotFound
                         : err == EACCES || err == EPERM ? ErrorCode::kPermission
                         : err == EEXIST                 ? ErrorCode::kInvalidInput
                                                         : ErrorCode::kFailed;
  return MakeError(code, what + " " + path + ": " + std::strerror(err));
}

}  // namespace

Status CreateSecretFile(const std::string& path, const std::string& text, const std::string& what) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    if (errno == EEXIST)
      return MakeError(ErrorCode::kInvalidInput, what + " " + path +
                                                     " already exists; refusing to replace a key "
                                                     "(remove it first if you mean to)");
    return OpenError("cannot create " + what, path, errno);
  }
  // The umask can only take bits away; make the mode exactly 0600.
  Status written = ::fchmod(fd.get(), 0600) == 0
                       ? WriteAll(fd.get(), text)
                       : Status(OpenError("cannot set mode 0600 on", path, errno));
  if (written.ok() && ::fsync(fd.get()) != 0)
    written = MakeError(ErrorCode::kFailed, "cannot sync " + path + ": " + std::strerror(errno));
  if (!written.ok()) {
    fd.reset();
    ::unlink(path.c_str());
    return MakeError(
        written.code() == ErrorCode::kPermission ? ErrorCode::kPermission : ErrorCode::kFailed,
        "cannot write " + what + " " + path + ": " + written.message());
  }
  return Status::Ok();
}

Result<std::string> ReadSecretFile(const std::string& path, uint64_t max_bytes,
                                   const std::string& what) {
  // O_NONBLOCK: a FIFO in its place must not hang the agent (refused below).
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) return OpenError("cannot open " + what, path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return OpenError("cannot stat " + what, path, errno);
  if (!S_ISREG(st.st_mode))
    return MakeError(ErrorCode::kInvalidInput, what + " " + path + " is not a regular file");
  if ((st.st_mode & 077) != 0)
    return MakeError(ErrorCode::kPermission,
                     what + " " + path + " has mode " + ModeText(st.st_mode) +
                         ", which lets group or others read or write it; run: chmod 600 " + path);
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return MakeError(ErrorCode::kInvalidInput, what + " " + path + " is " +
                                                   std::to_string(st.st_size) +
                                                   " bytes, larger than a " + what + " can be (" +
                                                   std::to_string(max_bytes) + ")");
  std::string text;
  char buf[1024];
  for (;;) {
    auto n = ReadSome(fd.get(), buf, sizeof(buf), kNsPerSec);
    if (!n.ok())
      return MakeError(n.error().code,
                       "cannot read " + what + " " + path + ": " + n.error().message);
    if (*n == 0) break;
    text.append(buf, *n);
    if (text.size() > max_bytes)  // it grew after fstat
      return MakeError(ErrorCode::kInvalidInput,
                       what + " " + path + " is larger than a " + what + " can be");
  }
  return text;
}

}  // namespace lingerlab

// Secret files on Windows. Created new (CREATE_NEW) with a protected DACL
// that allows the current user only ("D:P(A;;FA;;;<user SID>)", SDDL), so
// no inherited access from the folder applies (Wine maps it to mode 0600). Read back without an
// access check: the POSIX build refuses a key file others can read by its mode bits, but reading a
// Windows ACL for "anyone else may read" is not done here (doc/windows.md says to keep the key in
// the user's own folder).
#include <windows.h>

// After windows.h, which it needs.
#include <sddl.h>

#include <string>

#include "agents/platform/secret_file.h"

namespace lingerlab {
namespace {

std::string LastErrorText() { return "Windows error " + std::to_string(::GetLastError()); }

Error OpenError(const std::string& what, const std::string& path) {
  const DWORD e = ::GetLastError();
  const ErrorCode code = e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND
                             ? ErrorCode::kNotFound
                         : e == ERROR_ACCESS_DENIED ? ErrorCode::kPermission
                         : e == ERROR_FILE_EXISTS   ? ErrorCode::kInvalidInput
                                                    : ErrorCode::kFailed;
  return MakeError(code, what + " " + path + ": Windows error " + std::to_string(e));
}

struct Handle {
  HANDLE h;
  ~Handle() {
    if (h != INVALID_HANDLE_VALUE) ::CloseHandle(h);
  }
};

// "D:P(A;;FA;;;S-1-5-...)": full access for the user this process runs as,
// nothing inherited. Empty if the token cannot be read.
std::string OwnerOnlySddl() {
  HANDLE token = nullptr;
  if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return "";
  std::string sddl;
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::string buf(size, '\0');
  char* sid_text = nullptr;
  if (size > 0 && ::GetTokenInformation(token, TokenUser, buf.data(), size, &size) &&
      ::ConvertSidToStringSidA(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid, &sid_text)) {
    sddl = std::string("D:P(A;;FA;;;") + sid_text + ")";
    ::LocalFree(sid_text);
  }
  ::CloseHandle(token);
  return sddl;
}

}  // namespace

Status CreateSecretFile(const std::string& path, const std::string& text, const std::string& what) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  const std::string sddl = OwnerOnlySddl();
  if (sddl.empty() || !::ConvertStringSecurityDescriptorToSecurityDescriptorA(
                          sddl.c_str(), SDDL_REVISION_1, &sd, nullptr))
    return MakeError(ErrorCode::kFailed,
                     "cannot build an owner-only security descriptor: " + LastErrorText());
  SECURITY_ATTRIBUTES sa{sizeof(sa), sd, FALSE};
  Handle f{::CreateFileA(path.c_str(), GENERIC_WRITE, 0, &sa, CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                         nullptr)};
  const DWORD create_error = ::GetLastError();
  ::LocalFree(sd);
  if (f.h == INVALID_HANDLE_VALUE) {
    if (create_error == ERROR_FILE_EXISTS)
      return MakeError(ErrorCode::kInvalidInput, what + " " + path +
                                                     " already exists; refusing to replace a key "
                                                     "(remove it first if you mean to)");
    ::SetLastError(create_error);
    return OpenError("cannot create " + what, path);
  }
  DWORD written = 0;
  const bool ok =
      ::WriteFile(f.h, text.data(), static_cast<DWORD>(text.size()), &written, nullptr) &&
      written == text.size() && ::FlushFileBuffers(f.h);
  if (!ok) {
    const std::string why = LastErrorText();
    ::CloseHandle(f.h);
    f.h = INVALID_HANDLE_VALUE;
    ::DeleteFileA(path.c_str());
    return MakeError(ErrorCode::kFailed, "cannot write " + what + " " + path + ": " + why);
  }
  return Status::Ok();
}

Result<std::string> ReadSecretFile(const std::string& path, uint64_t max_bytes,
                                   const std::string& what) {
  Handle f{::CreateFileA(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, nullptr)};
  if (f.h == INVALID_HANDLE_VALUE) return OpenError("cannot open " + what, path);
  if (::GetFileType(f.h) != FILE_TYPE_DISK)
    return MakeError(ErrorCode::kInvalidInput, what + " " + path + " is not a regular file");
  LARGE_INTEGER size{};
  if (!::GetFileSizeEx(f.h, &size)) return OpenError("cannot stat " + what, path);
  if (static_cast<uint64_t>(size.QuadPart) > max_bytes)
    return MakeError(ErrorCode::kInvalidInput, what + " " + path + " is " +
                                                   std::to_string(size.QuadPart) +
                                                   " bytes, larger than a " + what + " can be (" +
                                                   std::to_string(max_bytes) + ")");
  std::string text;
  char buf[1024];
  for (;;) {
    DWORD n = 0;
    if (!::ReadFile(f.h, buf, sizeof(buf), &n, nullptr))
      return MakeError(ErrorCode::kFailed,
                       "cannot read " + what + " " + path + ": " + LastErrorText());
    if (n == 0) break;
    text.append(buf, n);
    if (text.size() > max_bytes)  // it grew after the size check
      return MakeError(ErrorCode::kInvalidInput,
                       what + " " + path + " is larger than a " + what + " can be");
  }
  return text;
}

}  // namespace lingerlab

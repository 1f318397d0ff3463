// Files that hold a secret (the pre-shared key of remote agents): created
// new and readable by the owner only, and read back only if still so.
// secret_file_posix.cc (mode 0600), secret_file_win.cc.
#pragma once

#include <cstdint>
#include <string>

#include "agents/base/result.h"

namespace lingerlab {

// Creates `path` (never replacing an existing file), owner-only, writes
// `text` and syncs it. kInvalidInput if it exists (the message says so),
// kPermission, kNotFound (no such folder), kFailed; a half-written file is
// removed. `what` names the file in messages ("key file").
Status CreateSecretFile(const std::string& path, const std::string& text, const std::string& what);

// Reads `path` whole. kNotFound (missing), kPermission (others may read or
// write it, or no access), kInvalidInput (not a regular file, or larger than
// `max_bytes`), kFailed (I/O); the message names the file and the fix.
Result<std::string> ReadSecretFile(const std::string& path, uint64_t max_bytes,
                                   const std::string& what);

}  // namespace lingerlab

#include "agents/base/result.h"

#include <cstring>

namespace lingerlab {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kFailed:
      return "failed";
    case ErrorCode::kInvalidInput:
      return "invalid_input";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kClosed:
      return "closed";
    case ErrorCode::kPermission:
      return "permission";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kBusy:
      return "busy";
  }
  return "failed";
}

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace lingerlab

// InterfaceHoldingAddress on Windows: not implemented. It names the
// interface for the agent's own capture, and the Windows build has none
// (no libpcap; capture_start answers capture_unavailable first).
#include "agents/platform/capture_api.h"

namespace lingerlab {

Result<std::string> InterfaceHoldingAddress(const std::string& address) {
  return MakeError(ErrorCode::kUnsupported,
                   "finding the interface of " + address + " is not implemented on Windows");
}

}  // namespace lingerlab

// SocketApi over lwIP's sockets (lwip_socket, lwip_setsockopt, lwip_close,
// ...): the test sockets of lingerlab-agent-lwip. lwIP must be started first
// (lwip_stack.h). Errors are lwIP's errno values mapped to this platform's
// (lwip_errno.h), so events carry the same portable names as on POSIX.
#pragma once

#include <memory>

#include "agents/platform/socket_api.h"

namespace lingerlab {

std::unique_ptr<SocketApi> MakeLwipSocketApi();

}  // namespace lingerlab

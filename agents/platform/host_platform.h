// What the agent reports about the machine it runs on, in the handshake, and
// the process-wide setup an agent needs before its first socket.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"

namespace lingerlab {

// {"os","release","kernel_version","arch","hostname","family"}: uname(2) on
// POSIX; `family` names the expected table (linux, bsd, darwin, illumos, ...).
// On Windows (host_platform_win.cc): family "windows-native", os "Windows"
// or "Windows (Wine x.y)" when ntdll says it is Wine.
nlohmann::json DescribeHostPlatform();

// The agent's process id, for the hello.
int64_t CurrentProcessId();

// Once, before any socket: POSIX ignores SIGPIPE (a vanished peer must be an
// error return, not the end of the agent); Windows starts Winsock 2.2.
// kFailed with the OS's reason if that cannot be done.
Status PrepareAgentProcess();

}  // namespace lingerlab

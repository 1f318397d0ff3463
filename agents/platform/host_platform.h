// What the agent reports about the machine it runs on, in the handshake.
#pragma once

#include <nlohmann/json.hpp>

namespace lingerlab {

// {"os","release","kernel_version","arch","hostname","family"}: uname(2) on
// POSIX; `family` names the expected table (linux, bsd, darwin, illumos, ...).
nlohmann::json DescribeHostPlatform();

}  // namespace lingerlab

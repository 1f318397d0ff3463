// "ADDRESS:PORT" as the agent's --listen and the coordinator's
// --server-agent/--client-agent take it: one parser for both ends.
#pragma once

#include <string>
#include <string_view>

#include "agents/base/result.h"

namespace lingerlab {

struct Endpoint {
  std::string address;  // an IP literal, brackets of "[::1]" removed
  int port = 0;
};

// Parses "ADDRESS:PORT" or "[V6]:PORT". The address must be an IPv4 or IPv6
// literal (names are not resolved: a lab's hosts are given by address) and
// the port a decimal number min_port..65535 over the whole text ("80x",
// "-1" and "99999" are refused, never read as 0 or cut to 16 bits). Fails
// with kInvalidInput, the message starting with `what` (the option's name).
Result<Endpoint> ParseEndpoint(std::string_view text, const std::string& what, int min_port = 1);

// "ADDRESS:PORT", with brackets around an IPv6 address.
std::string EndpointText(const Endpoint& ep);

}  // namespace lingerlab

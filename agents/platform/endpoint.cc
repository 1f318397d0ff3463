// ParseEndpoint / EndpointText: portable (the address check is the
// platform's IpLiteralBytes).
#include <charconv>

#include "agents/platform/endpoint.h"
#include "agents/platform/ip_literal.h"

namespace lingerlab {

Result<Endpoint> ParseEndpoint(std::string_view text, const std::string& what, int min_port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return MakeError(ErrorCode::kInvalidInput,
                     what + " wants ADDRESS:PORT, got '" + std::string(text) + "'");
  Endpoint out;
  std::string_view addr = text.substr(0, colon);
  if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']')
    addr = addr.substr(1, addr.size() - 2);
  out.address = std::string(addr);
  const std::string_view port = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      out.port < min_port || out.port > 65535)
    return MakeError(ErrorCode::kInvalidInput, what + " port must be a number " +
                                                   std::to_string(min_port) + "..65535, got '" +
                                                   std::string(port) + "'");
  if (!IpLiteralBytes(out.address))
    return MakeError(
        ErrorCode::kInvalidInput,
        what + " wants an IP address (names are not resolved), got '" + out.address + "'");
  return out;
}

std::string EndpointText(const Endpoint& ep) {
  const bool v6 = ep.address.find(':') != std::string::npos;
  return (v6 ? "[" + ep.address + "]" : ep.address) + ":" + std::to_string(ep.port);
}

}  // namespace lingerlab

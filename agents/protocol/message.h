// Reading fields of a control message (doc/protocol.md) without trusting
// its peer: both ends use these, so a wrong-typed field is treated as absent
// instead of throwing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lingerlab {

// The string at `key`, or "" when `m` is not an object, the key is absent,
// or the value is not a string.
inline std::string MessageString(const nlohmann::json& m, const char* key) {
  if (!m.is_object()) return "";
  auto it = m.find(key);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace lingerlab

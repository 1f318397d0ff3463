// Reading fields of a control message (doc/protocol.md) without trusting
// its peer: both ends use these, so a wrong-typed field is treated as absent
// instead of throwing, and peer text quoted in a message stays bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agents/protocol/protocol.h"

namespace lingerlab {

// The string at `key`, or "" when `m` is not an object, the key is absent,
// or the value is not a string.
inline std::string MessageString(const nlohmann::json& m, const char* key) {
  if (!m.is_object()) return "";
  auto it = m.find(key);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The integer at `key`, or nothing when it is absent, not an integer, or
// above INT64_MAX (get<int64_t>() would wrap it).
inline std::optional<int64_t> MessageInt(const nlohmann::json& m, const char* key) {
  if (!m.is_object()) return std::nullopt;
  auto it = m.find(key);
  if (it == m.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  return it->get<int64_t>();
}

// `text` cut to at most `max_bytes`, never inside a UTF-8 sequence, with
// "..." appended when cut: for quoting peer text in our own messages.
inline std::string Truncated(std::string_view text, size_t max_bytes = protocol::kMaxEchoBytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // continuation byte
  return std::string(text.substr(0, n)) + "...";
}

// `value` serialised for a message, bounded like Truncated(). Never throws
// (invalid UTF-8 becomes U+FFFD).
inline std::string BriefDump(const nlohmann::json& value,
                             size_t max_bytes = protocol::kMaxEchoBytes) {
  return Truncated(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), max_bytes);
}

}  // namespace lingerlab

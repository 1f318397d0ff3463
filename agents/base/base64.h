// Base64 (RFC 4648 §4: the standard alphabet, with '=' padding), for binary
// data inside JSON frames: the agent sends pcap bytes in capture_read events
// (doc/protocol.md §3.2) and the coordinator decodes them.
#pragma once

#include <string>
#include <string_view>

#include "agents/base/result.h"

namespace lingerlab {

std::string Base64Encode(std::string_view bytes);

// Strict: the length is a multiple of 4, every character is from the
// alphabet, '=' appears only as the last one or two characters, and the bits
// padding leaves over are zero (so each byte string has exactly one
// encoding). Anything else is kInvalidInput naming the first offence; never
// an exception. No whitespace or line breaks are accepted.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace lingerlab

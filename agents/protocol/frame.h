// Length-prefixed JSON frames (doc/protocol.md §1).
//
// FrameDecoder is pure: it is fed bytes as they arrive and yields whole
// frames, so partial reads, oversized lengths and garbage are tested without
// sockets. Channel (channel.h) puts it on a descriptor.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {

// Why a byte stream stopped being a valid frame sequence: kTooLarge for a
// length of 0 or above the limit, kMalformed for a body that is not a JSON
// object or nests deeper than protocol::kMaxFrameDepth.
enum class FrameFault { kNone, kTooLarge, kMalformed };
const char* FrameFaultCode(FrameFault f);  // "frame_too_large", "malformed_frame"

// Serialises `message` into one frame. Fails (kInvalidInput) if the body
// would exceed `max_bytes`.
Result<std::string> EncodeFrame(const nlohmann::json& message,
                                size_t max_bytes = protocol::kMaxFrameBytes);

// The JSON text of `message` as a frame body carries it (invalid UTF-8 in a
// string becomes U+FFFD; never throws).
std::string MessageText(const nlohmann::json& message);
// One frame: the length header, then `body`. Fails (kInvalidInput) if
// `body` is empty or exceeds `max_bytes`.
Result<std::string> FrameOf(std::string_view body, size_t max_bytes = protocol::kMaxFrameBytes);
// A frame body read as a message: a JSON object nesting at most
// protocol::kMaxFrameDepth levels, decided before any value is built.
// Fails (kInvalidInput) naming what is wrong (without a code prefix).
Result<nlohmann::json> ParseFrameBody(std::string_view body);

class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_bytes = protocol::kMaxFrameBytes) : max_(max_bytes) {}

  // Appends received bytes. After a fault, further bytes are ignored.
  void Feed(std::string_view bytes);

  // The next complete frame, if one has arrived. On a fault returns nothing
  // and fault() says which; the stream cannot be resynchronised after that.
  std::optional<nlohmann::json> Next();

  // The next complete frame's body, unparsed (only its length is checked,
  // a fault as for Next()): for a reader that must check the bytes (a
  // sealed frame's MAC, doc/protocol.md §7) before parsing them with
  // ParseFrameBody().
  std::optional<std::string> NextBody();

  FrameFault fault() const { return fault_; }
  const std::string& fault_message() const { return fault_message_; }
  // True when bytes of an unfinished frame are buffered (EOF now = truncated).
  bool mid_frame() const { return !buf_.empty(); }

 private:
  size_t max_;
  std::string buf_;
  FrameFault fault_ = FrameFault::kNone;
  std::string fault_message_;
};

}  // namespace lingerlab

#include "agents/protocol/frame.h"

#include <algorithm>

#include <cstdint>

#include "agents/base/bounded_json.h"
#include "agents/protocol/message.h"

namespace lingerlab {

const char* FrameFaultCode(FrameFault f) {
  switch (f) {
    case FrameFault::kTooLarge:
      return "frame_too_large";
    case FrameFault::kMalformed:
      return "malformed_frame";
    case FrameFault::kNone:
      break;
  }
  return "";
}

std::string MessageText(const nlohmann::json& message) {
  // Invalid UTF-8 in a string becomes U+FFFD rather than an exception.
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::string> FrameOf(std::string_view body, size_t max_bytes) {
  if (body.empty() || body.size() > max_bytes)
    return MakeError(ErrorCode::kInvalidInput,
                     "message of " + std::to_string(body.size()) + " bytes exceeds frame limit");
  std::string out;
  out.reserve(protocol::kFrameHeaderBytes + body.size());
  const auto n = static_cast<uint32_t>(body.size());
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out += body;
  return out;
}

Result<std::string> EncodeFrame(const nlohmann::json& message, size_t max_bytes) {
  return FrameOf(MessageText(message), max_bytes);
}

Result<nlohmann::json> ParseFrameBody(std::string_view body) {
  // Depth is bounded before a value is built: the library copies, dumps and
  // destroys values recursively, so a deep one would overflow the stack.
  auto parsed = ParseBoundedJson(body, protocol::kMaxFrameDepth);
  if (!parsed.ok())
    return MakeError(ErrorCode::kInvalidInput,
                     "frame body refused: " + Truncated(parsed.error().message));
  if (!parsed->is_object())
    return MakeError(ErrorCode::kInvalidInput, "frame body is not a JSON object");
  return *std::move(parsed);
}

void FrameDecoder::Feed(std::string_view bytes) {
  if (fault_ == FrameFault::kNone) buf_.append(bytes);
}

std::optional<std::string> FrameDecoder::NextBody() {
  if (fault_ != FrameFault::kNone || buf_.size() < protocol::kFrameHeaderBytes) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(buf_.data());
  const uint32_t n = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  if (n == 0 || n > max_) {
    // Decided from the header alone: the body is never buffered.
    fault_ = FrameFault::kTooLarge;
    fault_message_ = "frame length " + std::to_string(n) + " outside 1.." + std::to_string(max_);
    // A peer that is not a lingerlab agent (an HTTP or SSH server on the
    // port) shows itself in these four bytes: say so.
    if (std::all_of(p, p + protocol::kFrameHeaderBytes, [](unsigned char c) {
          return c >= 0x20 && c < 0x7f;
        }))
      fault_message_ += " (the peer sent text \"" + buf_.substr(0, protocol::kFrameHeaderBytes) +
                        "...\": not the lingerlab protocol)";
    buf_.clear();
    return std::nullopt;
  }
  if (buf_.size() < protocol::kFrameHeaderBytes + n) return std::nullopt;
  std::string body = buf_.substr(protocol::kFrameHeaderBytes, n);
  buf_.erase(0, protocol::kFrameHeaderBytes + n);
  return body;
}

std::optional<nlohmann::json> FrameDecoder::Next() {
  auto body = NextBody();
  if (!body) return std::nullopt;
  auto parsed = ParseFrameBody(*body);
  if (!parsed.ok()) {
    fault_ = FrameFault::kMalformed;
    fault_message_ = parsed.error().message;
    buf_.clear();
    return std::nullopt;
  }
  return *std::move(parsed);
}

}  // namespace lingerlab

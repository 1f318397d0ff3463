#include "agents/protocol/channel.h"

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/crypto.h"

namespace lingerlab {
namespace {

constexpr const char* kIntegrityFailure =
    "integrity: frame failed its integrity check (tampered, replayed or out of order)";

std::string SequenceBytes(uint64_t seq) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return out;
}

}  // namespace

void Channel::EnableIntegrity(FrameKeys keys) {
  keys_ = std::move(keys);
  send_seq_ = 0;
  receive_seq_ = 0;
}

Status Channel::Send(const nlohmann::json& message) {
  if (!fd_.valid()) return MakeError(ErrorCode::kClosed, "channel is closed");
  if (!keys_) {
    auto frame = EncodeFrame(message);
    if (!frame.ok()) return frame.status();
    return WriteAll(fd_.get(), *frame, send_timeout_ns_);
  }
  std::string body = MessageText(message);
  // The length covers the MAC too (§7): the text gets what is left.
  if (body.size() > protocol::kMaxFrameBytes - kHmacBytes)
    return MakeError(ErrorCode::kInvalidInput,
                     "message of " + std::to_string(body.size()) + " bytes exceeds frame limit");
  auto mac = HmacSha256(keys_->send, {SequenceBytes(send_seq_), body});
  if (!mac.ok()) return mac.status();
  body += *mac;
  auto frame = FrameOf(body);
  if (!frame.ok()) return frame.status();
  ++send_seq_;  // counted once the frame is going out: the peer counts what it gets
  return WriteAll(fd_.get(), *frame, send_timeout_ns_);
}

std::optional<nlohmann::json> Channel::NextSealed() {
  if (!broken_.empty()) return std::nullopt;
  auto body = decoder_.NextBody();
  if (!body) return std::nullopt;
  if (body->size() <= kHmacBytes) {
    broken_ = kIntegrityFailure;
    return std::nullopt;
  }
  const std::string_view text(body->data(), body->size() - kHmacBytes);
  const std::string_view mac(body->data() + text.size(), kHmacBytes);
  auto expected = HmacSha256(keys_->receive, {SequenceBytes(receive_seq_), text});
  if (!expected.ok() || !ConstantTimeEqual(mac, *expected)) {
    broken_ = kIntegrityFailure;
    return std::nullopt;
  }
  ++receive_seq_;
  auto parsed = ParseFrameBody(text);
  if (!parsed.ok()) {
    broken_ = std::string(FrameFaultCode(FrameFault::kMalformed)) + ": " + parsed.error().message;
    return std::nullopt;
  }
  return *std::move(parsed);
}

Result<nlohmann::json> Channel::Receive(int64_t timeout_ns) {
  if (!fd_.valid()) return MakeError(ErrorCode::kClosed, "channel is closed");
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  char buf[16384];
  for (;;) {
    if (auto msg = keys_ ? NextSealed() : decoder_.Next()) {
      // Bytes left over belong to the next frame; they came with the latest read.
      if (decoder_.mid_frame()) frame_started_ns_ = last_read_ns_;
      return *std::move(msg);
    }
    if (!broken_.empty()) return MakeError(ErrorCode::kInvalidInput, broken_);
    if (decoder_.fault() != FrameFault::kNone)
      return MakeError(ErrorCode::kInvalidInput, std::string(FrameFaultCode(decoder_.fault())) +
                                                     ": " + decoder_.fault_message());
    const int64_t now = MonotonicNs();
    int64_t wait = -1;
    if (deadline >= 0) {
      wait = deadline - now;
      if (wait <= 0) return MakeError(ErrorCode::kTimeout, "no message before the deadline");
    }
    // Once a frame has begun, all of it must follow within the frame timeout
    // of its first byte (protocol.md §6): a per-read bound would let a peer
    // trickling one byte at a time hold a frame open indefinitely.
    if (decoder_.mid_frame()) {
      const int64_t frame_left = frame_started_ns_ + frame_timeout_ns_ - now;
      if (frame_left <= 0)
        return MakeError(ErrorCode::kInvalidInput,
                         "malformed_frame: frame not complete within " +
                             std::to_string(frame_timeout_ns_ / kNsPerMs) +
                             " ms of its first byte");
      if (wait < 0 || wait > frame_left) wait = frame_left;
    }
    auto n = ReadSome(fd_.get(), buf, sizeof(buf), wait);
    if (!n.ok()) {
      if (n.error().code == ErrorCode::kTimeout && decoder_.mid_frame()) continue;  // checked above
      return n.error();
    }
    if (*n == 0) {
      if (decoder_.mid_frame())
        return MakeError(ErrorCode::kInvalidInput, "malformed_frame: stream ended inside a frame");
      return MakeError(ErrorCode::kClosed, "peer closed the channel");
    }
    last_read_ns_ = MonotonicNs();
    if (!decoder_.mid_frame()) frame_started_ns_ = last_read_ns_;
    decoder_.Feed(std::string_view(buf, *n));
  }
}

}  // namespace lingerlab

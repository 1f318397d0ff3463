#include "agents/protocol/channel.h"

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"

namespace lingerlab {

Status Channel::Send(const nlohmann::json& message) {
  if (!fd_.valid()) return MakeError(ErrorCode::kClosed, "channel is closed");
  auto frame = EncodeFrame(message);
  if (!frame.ok()) return frame.status();
  return WriteAll(fd_.get(), *frame, send_timeout_ns_);
}

Result<nlohmann::json> Channel::Receive(int64_t timeout_ns) {
  if (!fd_.valid()) return MakeError(ErrorCode::kClosed, "channel is closed");
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  char buf[16384];
  for (;;) {
    if (auto msg = decoder_.Next()) {
      // Bytes left over belong to the next frame; they came with the latest read.
      if (decoder_.mid_frame()) frame_started_ns_ = last_read_ns_;
      return *std::move(msg);
    }
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

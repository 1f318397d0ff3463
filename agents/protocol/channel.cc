#include "agents/protocol/channel.h"

#include "agents/base/clock.h"
#include "agents/platform/stream_io.h"

namespace lingerlab {

Status Channel::Send(const nlohmann::json& message) {
  if (!fd_.valid()) return MakeError(ErrorCode::kClosed, "channel is closed");
  auto frame = EncodeFrame(message);
  if (!frame.ok()) return frame.status();
  return WriteAll(fd_.get(), *frame);
}

Result<nlohmann::json> Channel::Receive(int64_t timeout_ns) {
  if (!fd_.valid()) return MakeError(ErrorCode::kClosed, "channel is closed");
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  char buf[16384];
  for (;;) {
    if (auto msg = decoder_.Next()) return *std::move(msg);
    if (decoder_.fault() != FrameFault::kNone)
      return MakeError(ErrorCode::kInvalidInput, std::string(FrameFaultCode(decoder_.fault())) +
                                                     ": " + decoder_.fault_message());
    int64_t wait = -1;
    if (deadline >= 0) {
      wait = deadline - MonotonicNs();
      if (wait <= 0) return MakeError(ErrorCode::kTimeout, "no message before the deadline");
    }
    // Once a frame has begun, the rest must follow promptly (protocol.md §6).
    if (decoder_.mid_frame() && (wait < 0 || wait > protocol::kFrameReadTimeout))
      wait = protocol::kFrameReadTimeout;
    auto n = ReadSome(fd_.get(), buf, sizeof(buf), wait);
    if (!n.ok()) {
      if (n.error().code == ErrorCode::kTimeout && decoder_.mid_frame())
        return MakeError(ErrorCode::kInvalidInput, "malformed_frame: frame stalled mid-way");
      return n.error();
    }
    if (*n == 0) {
      if (decoder_.mid_frame())
        return MakeError(ErrorCode::kInvalidInput, "malformed_frame: stream ended inside a frame");
      return MakeError(ErrorCode::kClosed, "peer closed the channel");
    }
    decoder_.Feed(std::string_view(buf, *n));
  }
}

}  // namespace lingerlab

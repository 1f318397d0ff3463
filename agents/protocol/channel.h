// Channel: one end of a control connection. Owns the descriptor; sends and
// receives whole frames (frame.h) with deadlines. Not thread-safe: one thread
// drives a channel at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "agents/platform/unique_fd.h"
#include "agents/protocol/frame.h"
#include "agents/protocol/protocol.h"

namespace lingerlab {

// Per-direction keys of a sealed channel (doc/protocol.md §7), derived by the
// handshake in auth.h: `send` seals the frames this end sends, `receive`
// checks the frames it receives.
struct FrameKeys {
  std::string send;
  std::string receive;
};

class Channel {
 public:
  // `frame_timeout_ns` bounds each received frame from its first byte to
  // its last, `send_timeout_ns` the sending of each frame (tests pass short
  // ones).
  explicit Channel(UniqueFd fd, int64_t frame_timeout_ns = protocol::kFrameReadTimeout,
                   int64_t send_timeout_ns = protocol::kFrameWriteTimeout)
      : fd_(std::move(fd)),
        frame_timeout_ns_(frame_timeout_ns),
        send_timeout_ns_(send_timeout_ns) {}

  // Sends one message. Fails with kClosed if the peer is gone, kTimeout if
  // it did not take the whole frame within the send timeout (the channel is
  // then unusable: half a frame may have gone out).
  Status Send(const nlohmann::json& message);

  // Waits up to `timeout_ns` (< 0: forever) for the next whole message.
  // Fails with: kTimeout (nothing in time; the channel stays usable unless a
  // frame was half read), kClosed (end of stream between frames),
  // kInvalidInput (oversized, malformed or truncated frame, or one whose
  // bytes took longer than the frame timeout from first to last however
  // they trickled: the message starts with the protocol error code; the
  // channel is then unusable).
  Result<nlohmann::json> Receive(int64_t timeout_ns);

  // From now on every frame is sealed (doc/protocol.md §7): the body is the
  // JSON text followed by HMAC-SHA256(key, sequence number as 8 bytes big
  // endian || text), the sequence counting from 0 in each direction. A
  // received frame whose MAC is wrong (altered, replayed, reordered,
  // dropped, reflected) fails Receive with kInvalidInput "integrity: ..." and
  // the channel receives nothing more; Send seals what it sends, so an error
  // frame can still be sent. Frames already buffered are checked too.
  void EnableIntegrity(FrameKeys keys);
  bool integrity() const { return keys_.has_value(); }

  int fd() const { return fd_.get(); }
  void Close() { fd_.reset(); }

 private:
  UniqueFd fd_;
  int64_t frame_timeout_ns_;
  int64_t send_timeout_ns_;
  FrameDecoder decoder_;
  int64_t frame_started_ns_ = 0;   // when the first byte of the buffered partial frame came
  int64_t last_read_ns_ = 0;       // when the latest bytes came
  std::optional<FrameKeys> keys_;  // set: frames are sealed (§7)
  uint64_t send_seq_ = 0;
  uint64_t receive_seq_ = 0;
  std::string broken_;  // why a sealed channel receives nothing more ("integrity: ...")

  // The next sealed frame already buffered, checked and parsed; nothing if
  // none is complete yet or the channel broke (broken_ says why).
  std::optional<nlohmann::json> NextSealed();
};

}  // namespace lingerlab

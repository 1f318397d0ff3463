// Channel: one end of a control connection. Owns the descriptor; sends and
// receives whole frames (frame.h) with deadlines. Not thread-safe: one thread
// drives a channel at a time.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "agents/platform/unique_fd.h"
#include "agents/protocol/frame.h"

namespace lingerlab {

class Channel {
 public:
  explicit Channel(UniqueFd fd) : fd_(std::move(fd)) {}

  // Sends one message. Fails with kClosed if the peer is gone.
  Status Send(const nlohmann::json& message);

  // Waits up to `timeout_ns` (< 0: forever) for the next whole message.
  // Fails with: kTimeout (nothing in time; the channel stays usable unless a
  // frame was half read), kClosed (end of stream between frames),
  // kInvalidInput (oversized, malformed or truncated frame: the message
  // starts with the protocol error code; the channel is then unusable).
  Result<nlohmann::json> Receive(int64_t timeout_ns);

  int fd() const { return fd_.get(); }
  void Close() { fd_.reset(); }

 private:
  UniqueFd fd_;
  FrameDecoder decoder_;
};

}  // namespace lingerlab

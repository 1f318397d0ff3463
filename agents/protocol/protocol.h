// Constants of the control protocol. The protocol itself is specified in
// doc/protocol.md; every number here is named there.
#pragma once

#include <cstddef>
#include <cstdint>

#include "agents/base/clock.h"

namespace lingerlab::protocol {

constexpr int kVersion = 1;
constexpr size_t kMaxFrameBytes = 1 << 20;  // doc/protocol.md §1
constexpr size_t kFrameHeaderBytes = 4;

// doc/protocol.md §6.
constexpr int64_t kHandshakeTimeout = 5 * kNsPerSec;
constexpr int64_t kReplyMargin = 10 * kNsPerSec;
constexpr int64_t kFrameReadTimeout = 5 * kNsPerSec;

}  // namespace lingerlab::protocol

// The deterministic payload the server writes and the client verifies
// (doc/protocol.md §4). Byte i depends on i, so a lost, repeated or
// reordered chunk shows up as a mismatch at a known offset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace lingerlab {

uint8_t PayloadByte(uint64_t offset);

// Fills `len` bytes starting at payload offset `offset`.
void FillPayload(uint64_t offset, char* buf, size_t len);

// Checks `len` received bytes that should be the payload from `offset` on.
// Returns the payload offset of the first wrong byte, if any.
std::optional<uint64_t> FirstMismatch(uint64_t offset, const char* buf, size_t len);

}  // namespace lingerlab

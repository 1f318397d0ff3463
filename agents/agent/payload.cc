#include "agents/agent/payload.h"

namespace lingerlab {

uint8_t PayloadByte(uint64_t offset) {
  return static_cast<uint8_t>((offset * 131 + (offset >> 9)) & 0xff);
}

void FillPayload(uint64_t offset, char* buf, size_t len) {
  for (size_t i = 0; i < len; ++i) buf[i] = static_cast<char>(PayloadByte(offset + i));
}

std::optional<uint64_t> FirstMismatch(uint64_t offset, const char* buf, size_t len) {
  for (size_t i = 0; i < len; ++i)
    if (static_cast<uint8_t>(buf[i]) != PayloadByte(offset + i)) return offset + i;
  return std::nullopt;
}

}  // namespace lingerlab

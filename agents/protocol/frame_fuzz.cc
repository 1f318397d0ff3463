// libFuzzer harness: FrameDecoder fed arbitrary bytes in arbitrary chunks.
// The first byte seeds the chunk sizes; the rest is the stream. Checks the
// decoder's own promises: a fault is sticky, frames are objects, and
// mid_frame() is false after a fault.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agents/protocol/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  unsigned seed = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  // A small limit too, so the too-large path is reachable with short inputs.
  lingerlab::FrameDecoder decoder(seed & 1 ? 64 : lingerlab::protocol::kMaxFrameBytes);
  while (!rest.empty()) {
    seed = seed * 1103515245u + 12345u;
    size_t n = 1 + (seed >> 16) % 17;
    if (n > rest.size()) n = rest.size();
    decoder.Feed(rest.substr(0, n));
    rest.remove_prefix(n);
    while (auto frame = decoder.Next()) {
      if (!frame->is_object()) std::abort();
      (void)lingerlab::EncodeFrame(*frame);  // what an agent does with what it got
    }
    if (decoder.fault() != lingerlab::FrameFault::kNone && decoder.mid_frame()) std::abort();
  }
  return 0;
}

// libFuzzer harness: the authentication of remote agents (auth.h) and the
// sealed channel after it (channel.h, doc/protocol.md §7), fed arbitrary
// bytes as the peer's side of a socketpair. The first byte picks who the
// fuzzer plays:
//   0: a coordinator, against the agent's handshake (ReadAuthRequest, then
//      CompleteAuthAsAgent): what an unauthenticated peer can send;
//   1: an agent, against the coordinator's handshake (AuthenticateToAgent);
//   2: a peer on an authenticated channel sending raw bytes: every frame must
//      fail its MAC check cleanly;
//   3: a peer sending the input's lines as properly sealed frames (then the
//      rest as raw bytes): the receiver parses what the MAC let through.
// Promises checked: nothing crashes or hangs (the stream is written, then
// shut down, so every wait ends), a failed handshake never reports success,
// and a sealed channel never accepts a frame it did not see sealed.
#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agents/platform/stream_io.h"
#include "agents/protocol/auth.h"
#include "agents/protocol/frame.h"

namespace lingerlab {
namespace {

constexpr int64_t kWaitNs = 200 * kNsPerMs;

const AuthKey& Key() {
  static const AuthKey key{std::string(32, '\x5a')};
  return key;
}

// A socketpair whose `peer` end has had `bytes` written to it and its
// sending side shut down.
struct Pair {
  UniqueFd ours, peer;
  bool Make(std::string_view bytes) {
    int fds[2];
    if (!MakeStreamPair(fds).ok()) return false;
    ours = UniqueFd(fds[0]);
    peer = UniqueFd(fds[1]);
    // Ample buffers, so the whole input is written before anyone reads.
    int big = 1 << 20;
    ::setsockopt(peer.get(), SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    ::setsockopt(ours.get(), SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (!bytes.empty() && !WriteAll(peer.get(), bytes, kWaitNs).ok()) return false;
    ::shutdown(peer.get(), SHUT_WR);
    return true;
  }
};

void AsCoordinator(std::string_view bytes) {
  Pair p;
  if (!p.Make(bytes)) return;
  Channel agent{std::move(p.ours)};
  auto req = ReadAuthRequest(agent, kWaitNs);
  if (!req.ok()) return;
  // The fuzzer cannot know the agent's fresh nonce, so it cannot prove the key.
  if (CompleteAuthAsAgent(agent, Key(), *req, kWaitNs).ok()) std::abort();
}

void AsAgent(std::string_view bytes) {
  Pair p;
  if (!p.Make(bytes)) return;
  Channel coordinator{std::move(p.ours)};
  // Nor the coordinator's nonce, so it cannot prove the key either.
  if (AuthenticateToAgent(coordinator, Key(), "fuzz", kWaitNs).ok()) std::abort();
}

FrameKeys Keys(bool flip) {
  FrameKeys k{std::string(32, 's'), std::string(32, 'r')};
  if (flip) std::swap(k.send, k.receive);
  return k;
}

void RawOnSealed(std::string_view bytes) {
  Pair p;
  if (!p.Make(bytes)) return;
  Channel ch{std::move(p.ours)};
  ch.EnableIntegrity(Keys(false));
  // No frame of the fuzzer's carries a valid MAC.
  if (ch.Receive(kWaitNs).ok()) std::abort();
}

void SealedLines(std::string_view bytes) {
  int fds[2];
  if (!MakeStreamPair(fds).ok()) return;
  int big = 1 << 20;
  ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  ::setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  Channel receiver{UniqueFd(fds[0])}, sender{UniqueFd(fds[1])};
  receiver.EnableIntegrity(Keys(false));
  sender.EnableIntegrity(Keys(true));
  size_t sent = 0;
  while (!bytes.empty()) {
    const size_t nl = bytes.find('\n');
    std::string_view line = bytes.substr(0, nl);
    bytes = nl == std::string_view::npos ? std::string_view() : bytes.substr(nl + 1);
    auto m = nlohmann::json::parse(line, nullptr, false);
    if (!m.is_object() || JsonNestingDepth(line) > protocol::kMaxFrameDepth) {
      // The rest goes out raw, after the sealed frames.
      (void)WriteAll(sender.fd(), line, kWaitNs);
      break;
    }
    if (!sender.Send(m).ok()) return;
    ++sent;
  }
  ::shutdown(sender.fd(), SHUT_WR);
  for (size_t i = 0; i < sent; ++i)
    if (!receiver.Receive(kWaitNs).ok()) std::abort();  // sealed by the right key, in order
  if (receiver.Receive(kWaitNs).ok()) std::abort();     // raw bytes or end: never accepted
}

}  // namespace
}  // namespace lingerlab

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: lingerlab::AsCoordinator(rest); break;
    case 1: lingerlab::AsAgent(rest); break;
    case 2: lingerlab::RawOnSealed(rest); break;
    default: lingerlab::SealedLines(rest); break;
  }
  return 0;
}

// Authentication of a control channel over TCP (doc/protocol.md §7).
//
// Remote agents (`lingerlab-agent --listen ADDR:PORT --key FILE`) serve only
// a peer that proves it holds the same pre-shared key. Both sides prove it
// with HMAC-SHA256 over fresh nonces from each side, the lease and the role
// (the coordinator first, so an unauthenticated peer learns nothing and gets
// no MAC computed on its behalf); after that every frame in each direction
// carries an HMAC-SHA256 over its sequence number and body under a key
// derived for that direction and session, so a frame that is altered,
// replayed, reordered, dropped or reflected ends the channel. Primitives are
// OpenSSL's libcrypto (HMAC, RAND_bytes, CRYPTO_memcmp); nothing here is a
// home-made cipher.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agents/base/result.h"
#include "agents/protocol/channel.h"

namespace lingerlab {

// A pre-shared key: at least kMinKeyBytes random bytes. The file form is the
// key in lowercase hex and a newline (`lingerlab keygen FILE`).
struct AuthKey {
  std::string bytes;  // raw key bytes; never logged or sent
};
constexpr size_t kMinKeyBytes = 32;
constexpr size_t kMaxKeyBytes = 1024;

// Writes a new random key (32 bytes, hex) to `path`, created with mode 0600;
// refuses to replace an existing file. Fails with kInvalidInput (exists),
// kPermission, kFailed (randomness or I/O; the message says which).
Status WriteNewKeyFile(const std::string& path);

// Reads a key file. Refuses (kPermission) a file whose mode lets group or
// others read or write it, naming the mode and the chmod that fixes it;
// kInvalidInput for a non-regular file, a file larger than a key can be,
// anything but hex (surrounding whitespace allowed) or fewer than
// kMinKeyBytes bytes; kNotFound for a missing file.
Result<AuthKey> LoadKeyFile(const std::string& path);

// The lease a coordinator claims (its run id): 1..64 of [A-Za-z0-9_.-].
bool IsValidLease(std::string_view lease);

// Coordinator side, on a freshly connected channel, before the protocol's
// hello: sends the auth request for `lease`, proves the key, checks the
// agent's proof, and turns on per-frame integrity on `channel`. Waits at most
// `timeout_ns` in all. Fails with: kPermission (the agent refused our proof:
// wrong key; or the agent's proof was wrong: "the agent does not hold the
// key"), kBusy (another coordinator holds the agent),
// kInvalidInput (protocol mismatch, malformed answer), kTimeout, kClosed.
Status AuthenticateToAgent(Channel& channel, const AuthKey& key, const std::string& lease,
                           int64_t timeout_ns);

// Agent side: the first frame of a connection, read by the listener before
// anything else (so it can answer `busy` to another lease at once).
struct AuthRequest {
  std::string lease;
  std::string coordinator_nonce;  // raw bytes
};
// Reads and checks the coordinator's auth request. A frame that is not one
// (including a plain `hello`: an unauthenticated coordinator) is answered with
// an error frame `auth_required` and fails with kPermission.
Result<AuthRequest> ReadAuthRequest(Channel& channel, int64_t timeout_ns);
// Completes the handshake for `request`: sends our nonce, checks the
// coordinator's proof (constant-time), sends ours and turns on per-frame
// integrity. A wrong proof gets an error frame `auth_failed` and fails with
// kPermission; the caller closes the channel and runs nothing.
Status CompleteAuthAsAgent(Channel& channel, const AuthKey& key, const AuthRequest& request,
                           int64_t timeout_ns);

}  // namespace lingerlab

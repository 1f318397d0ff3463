// The few cryptographic operations the control channel needs: HMAC-SHA256,
// random bytes, a constant-time compare. One backend per build: OpenSSL's
// libcrypto on POSIX (crypto_openssl.cc), Windows' CNG from bcrypt.dll in
// the Windows build (agents/platform/crypto_win.cc), which has no OpenSSL.
// Hex is the only encoding written here (crypto.cc).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "agents/base/result.h"

namespace lingerlab {

constexpr size_t kHmacBytes = 32;  // HMAC-SHA256

// HMAC-SHA256 under `key` of the concatenation of `parts` (raw bytes).
// Fails (kFailed) only if the backend does.
Result<std::string> HmacSha256(std::string_view key, std::initializer_list<std::string_view> parts);

// `n` bytes from the OS's cryptographic random source (RAND_bytes,
// BCryptGenRandom).
Result<std::string> RandomBytes(size_t n);

// Equal length and equal bytes, in time that depends on the length only
// (CRYPTO_memcmp, or a loop that reads every byte): for comparing a received MAC with the expected
// one.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// Lowercase hex.
std::string HexEncode(std::string_view bytes);
// Hex (either case) to bytes; nothing if `hex` has odd length or a non-hex
// character.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace lingerlab

// crypto.h's HMAC-SHA256, random bytes and constant-time compare from
// OpenSSL's libcrypto: the backend of every POSIX build (the Windows build
// uses the OS's CNG instead, agents/platform/crypto_win.cc).
#include "agents/protocol/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <climits>
#include <memory>

namespace lingerlab {
namespace {

// Fetched once: the HMAC implementation is shared, read-only, by all threads.
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

}  // namespace

Result<std::string> HmacSha256(std::string_view key,
                               std::initializer_list<std::string_view> parts) {
  EVP_MAC* alg = HmacAlgorithm();
  if (alg == nullptr) return MakeError(ErrorCode::kFailed, "libcrypto has no HMAC");
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(alg));
  if (!ctx) return MakeError(ErrorCode::kFailed, "EVP_MAC_CTX_new failed");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1)
    return MakeError(ErrorCode::kFailed, "HMAC-SHA256 init failed");
  for (std::string_view part : parts) {
    if (EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                       part.size()) != 1)
      return MakeError(ErrorCode::kFailed, "HMAC-SHA256 update failed");
  }
  std::string out(kHmacBytes, '\0');
  size_t n = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, out.size()) != 1 ||
      n != kHmacBytes)
    return MakeError(ErrorCode::kFailed, "HMAC-SHA256 final failed");
  return out;
}

Result<std::string> RandomBytes(size_t n) {
  if (n > INT_MAX) return MakeError(ErrorCode::kFailed, "too many random bytes asked for");
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return MakeError(ErrorCode::kFailed, "the random number generator failed (RAND_bytes)");
  return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace lingerlab

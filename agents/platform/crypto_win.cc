// crypto.h on Windows, from the OS's own CNG (bcrypt.dll): the Windows build
// has no OpenSSL (Debian ships none for mingw-w64), and CNG has what the
// control channel needs. HMAC-SHA256 is BCryptCreateHash on a SHA-256
// provider opened with BCRYPT_ALG_HANDLE_HMAC_FLAG; random bytes are
// BCryptGenRandom with the system's preferred generator. Selected by
// agents/CMakeLists.txt instead of protocol/crypto_openssl.cc; the same
// protocol tests (RFC 4231 vectors in auth_test) hold for both.
#include <windows.h>

// After windows.h, which it needs.
#include <bcrypt.h>

#include <climits>
#include <cstdio>

#include "agents/protocol/crypto.h"

namespace lingerlab {
namespace {

bool Succeeded(NTSTATUS s) { return s >= 0; }

std::string StatusText(NTSTATUS s) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08lx", static_cast<unsigned long>(s));
  return buf;
}

// Opened once and shared: CNG algorithm handles may be used from several
// threads at once. Null if CNG has no HMAC-SHA256 (then every HMAC fails).
BCRYPT_ALG_HANDLE HmacAlgorithm() {
  static const BCRYPT_ALG_HANDLE alg = [] {
    BCRYPT_ALG_HANDLE h = nullptr;
    if (!Succeeded(::BCryptOpenAlgorithmProvider(&h, BCRYPT_SHA256_ALGORITHM, nullptr,
                                                 BCRYPT_ALG_HANDLE_HMAC_FLAG)))
      return BCRYPT_ALG_HANDLE{nullptr};
    return h;
  }();
  return alg;
}

struct HashCloser {
  BCRYPT_HASH_HANDLE h = nullptr;
  ~HashCloser() {
    if (h) ::BCryptDestroyHash(h);
  }
};

PUCHAR Bytes(std::string_view s) {
  // CNG's input parameters are declared non-const but are only read.
  return reinterpret_cast<PUCHAR>(const_cast<char*>(s.data()));
}

}  // namespace

Result<std::string> HmacSha256(std::string_view key,
                               std::initializer_list<std::string_view> parts) {
  BCRYPT_ALG_HANDLE alg = HmacAlgorithm();
  if (alg == nullptr) return MakeError(ErrorCode::kFailed, "CNG has no HMAC-SHA256");
  if (key.size() > ULONG_MAX) return MakeError(ErrorCode::kFailed, "HMAC key too long");
  HashCloser hash;
  // A null hash object buffer: CNG allocates it (Windows 7 and later).
  NTSTATUS s =
      ::BCryptCreateHash(alg, &hash.h, nullptr, 0, Bytes(key), static_cast<ULONG>(key.size()), 0);
  if (!Succeeded(s))
    return MakeError(ErrorCode::kFailed,
                     "HMAC-SHA256 init failed (BCryptCreateHash " + StatusText(s) + ")");
  for (std::string_view part : parts) {
    while (!part.empty()) {
      const ULONG n = part.size() > ULONG_MAX ? ULONG_MAX : static_cast<ULONG>(part.size());
      s = ::BCryptHashData(hash.h, Bytes(part), n, 0);
      if (!Succeeded(s))
        return MakeError(ErrorCode::kFailed,
                         "HMAC-SHA256 update failed (BCryptHashData " + StatusText(s) + ")");
      part.remove_prefix(n);
    }
  }
  std::string out(kHmacBytes, '\0');
  s = ::BCryptFinishHash(hash.h, reinterpret_cast<PUCHAR>(out.data()),
                         static_cast<ULONG>(out.size()), 0);
  if (!Succeeded(s))
    return MakeError(ErrorCode::kFailed,
                     "HMAC-SHA256 final failed (BCryptFinishHash " + StatusText(s) + ")");
  return out;
}

Result<std::string> RandomBytes(size_t n) {
  if (n > ULONG_MAX) return MakeError(ErrorCode::kFailed, "too many random bytes asked for");
  std::string out(n, '\0');
  const NTSTATUS s = ::BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(out.data()),
                                       static_cast<ULONG>(n), BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  if (!Succeeded(s))
    return MakeError(ErrorCode::kFailed,
                     "the random number generator failed (BCryptGenRandom " + StatusText(s) + ")");
  return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // Every byte is read whatever differs; volatile keeps the compiler from
  // ending the loop at the first difference.
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  return diff == 0;
}

}  // namespace lingerlab

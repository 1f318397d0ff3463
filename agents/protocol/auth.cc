#include "agents/protocol/auth.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "agents/base/clock.h"
#include "agents/platform/secret_file.h"
#include "agents/platform/stream_io.h"
#include "agents/protocol/crypto.h"
#include "agents/protocol/message.h"

namespace lingerlab {
namespace {

using nlohmann::json;

constexpr const char* kScheme = "hmac-sha256";
constexpr int kAuthVersion = 1;
constexpr size_t kNonceBytes = 32;
constexpr size_t kMaxLeaseBytes = 64;
// A key file holds at most kMaxKeyBytes in hex plus some whitespace.
constexpr size_t kMaxKeyFileBytes = 2 * kMaxKeyBytes + 64;

constexpr std::string_view kCoordinatorProofLabel = "lingerlab-auth-v1 coordinator";
constexpr std::string_view kAgentProofLabel = "lingerlab-auth-v1 agent";
constexpr std::string_view kC2aLabel = "lingerlab-frame-v1 c2a";
constexpr std::string_view kA2cLabel = "lingerlab-frame-v1 a2c";

void SendError(Channel& ch, const std::string& code, const std::string& message) {
  (void)ch.Send({{"type", "error"}, {"error", {{"code", code}, {"message", message}}}});
}

// Exactly `bytes` bytes in hex: nonces and MACs have one length only.
std::optional<std::string> FixedHex(const json& m, const char* key, size_t bytes) {
  const std::string hex = MessageString(m, key);
  if (hex.size() != 2 * bytes) return std::nullopt;
  return HexDecode(hex);
}

int64_t Left(int64_t deadline) {
  return deadline < 0 ? -1 : std::max<int64_t>(deadline - MonotonicNs(), 0);
}

Result<std::string> CoordinatorProof(const AuthKey& key, std::string_view nc, std::string_view na,
                                     std::string_view lease) {
  return HmacSha256(key.bytes, {kCoordinatorProofLabel, nc, na, lease});
}
Result<std::string> AgentProof(const AuthKey& key, std::string_view nc, std::string_view na,
                               std::string_view lease) {
  return HmacSha256(key.bytes, {kAgentProofLabel, nc, na, lease});
}

// The per-direction frame keys of a session (§7).
Result<FrameKeys> DeriveFrameKeys(const AuthKey& key, std::string_view nc, std::string_view na,
                                  bool coordinator) {
  auto c2a = HmacSha256(key.bytes, {kC2aLabel, nc, na});
  if (!c2a.ok()) return c2a.error();
  auto a2c = HmacSha256(key.bytes, {kA2cLabel, nc, na});
  if (!a2c.ok()) return a2c.error();
  return coordinator ? FrameKeys{*c2a, *a2c} : FrameKeys{*a2c, *c2a};
}

// A failed Receive during the coordinator's handshake, as the caller sees it.
Error CoordinatorReceiveError(const Error& e, const char* waiting_for) {
  switch (e.code) {
    case ErrorCode::kTimeout:
      return MakeError(ErrorCode::kTimeout, std::string("no ") + waiting_for +
                                                " from the agent within the handshake timeout");
    case ErrorCode::kClosed:
      return MakeError(ErrorCode::kClosed, "the agent closed the connection during authentication");
    default:
      return MakeError(ErrorCode::kInvalidInput,
                       std::string("bad ") + waiting_for + " from the agent: " + e.message);
  }
}

// An error frame the agent sent instead of the next handshake step.
Error AgentRefusal(const json& m) {
  const json& err = m.contains("error") ? m["error"] : json();
  const std::string code = Truncated(MessageString(err, "code"));
  const std::string message = Truncated(MessageString(err, "message"));
  if (code == "busy") return MakeError(ErrorCode::kBusy, "agent is busy: " + message);
  if (code == "auth_failed")
    return MakeError(ErrorCode::kPermission,
                     "the agent refused our proof (do both sides hold the same key?): " + message);
  return MakeError(ErrorCode::kInvalidInput,
                   "the agent refused authentication: " + code + ": " + message);
}

}  // namespace

bool IsValidLease(std::string_view lease) {
  if (lease.empty() || lease.size() > kMaxLeaseBytes) return false;
  for (char c : lease) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status AuthenticateToAgent(Channel& channel, const AuthKey& key, const std::string& lease,
                           int64_t timeout_ns) {
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  if (key.bytes.size() < kMinKeyBytes)
    return MakeError(ErrorCode::kInvalidInput,
                     "the key is shorter than " + std::to_string(kMinKeyBytes) + " bytes");
  if (!IsValidLease(lease))
    return MakeError(ErrorCode::kInvalidInput,
                     "lease '" + Truncated(lease) + "' is not 1..64 of [A-Za-z0-9_.-]");
  auto nc = RandomBytes(kNonceBytes);
  if (!nc.ok()) return nc.status();
  Status sent = channel.Send({{"type", "auth"},
                              {"scheme", kScheme},
                              {"version", kAuthVersion},
                              {"lease", lease},
                              {"nonce", HexEncode(*nc)}});
  if (!sent.ok()) return sent;

  auto challenge = channel.Receive(Left(deadline));
  if (!challenge.ok()) return CoordinatorReceiveError(challenge.error(), "challenge");
  if (MessageString(*challenge, "type") == "error") return AgentRefusal(*challenge);
  if (MessageString(*challenge, "type") != "auth_challenge")
    return MakeError(ErrorCode::kInvalidInput,
                     "expected auth_challenge from the agent, got " + BriefDump(*challenge));
  auto na = FixedHex(*challenge, "nonce", kNonceBytes);
  if (!na) return MakeError(ErrorCode::kInvalidInput, "the agent's nonce is not 64 hex characters");

  auto proof = CoordinatorProof(key, *nc, *na, lease);
  if (!proof.ok()) return proof.status();
  sent = channel.Send({{"type", "auth_proof"}, {"mac", HexEncode(*proof)}});
  if (!sent.ok()) return sent;

  auto ok = channel.Receive(Left(deadline));
  if (!ok.ok()) return CoordinatorReceiveError(ok.error(), "auth_ok");
  if (MessageString(*ok, "type") == "error") return AgentRefusal(*ok);
  if (MessageString(*ok, "type") != "auth_ok")
    return MakeError(ErrorCode::kInvalidInput,
                     "expected auth_ok from the agent, got " + BriefDump(*ok));
  auto agent_mac = FixedHex(*ok, "mac", kHmacBytes);
  auto expected = AgentProof(key, *nc, *na, lease);
  if (!expected.ok()) return expected.status();
  if (!agent_mac || !ConstantTimeEqual(*agent_mac, *expected))
    return MakeError(ErrorCode::kPermission, "the agent does not hold the key");

  auto keys = DeriveFrameKeys(key, *nc, *na, /*coordinator=*/true);
  if (!keys.ok()) return keys.status();
  channel.EnableIntegrity(*std::move(keys));
  return Status::Ok();
}

Result<AuthRequest> ReadAuthRequest(Channel& channel, int64_t timeout_ns) {
  auto m = channel.Receive(timeout_ns);
  if (!m.ok()) {
    if (m.error().code == ErrorCode::kClosed) return m.error();
    if (m.error().code == ErrorCode::kTimeout) {
      SendError(channel, "auth_required", "no auth request within the handshake timeout");
      return MakeError(ErrorCode::kTimeout, "no auth request within the handshake timeout");
    }
    const std::string why = "the first frame must be an auth request (doc/protocol.md §7): " +
                            Truncated(m.error().message);
    SendError(channel, "auth_required", why);
    return MakeError(ErrorCode::kPermission, why);
  }
  auto refuse = [&](const std::string& code, const std::string& why) -> Error {
    SendError(channel, code, why);
    return MakeError(ErrorCode::kPermission, why);
  };
  const std::string type = MessageString(*m, "type");
  if (type != "auth")
    return refuse("auth_required",
                  "this agent serves only authenticated coordinators (doc/protocol.md §7): the "
                  "first frame must be {\"type\": \"auth\", ...}, got type '" +
                      Truncated(type) + "'");
  if (MessageInt(*m, "version") != kAuthVersion)
    return refuse("protocol_version", "agent speaks auth version " + std::to_string(kAuthVersion) +
                                          ", peer sent " + BriefDump(m->value("version", json())));
  if (MessageString(*m, "scheme") != kScheme)
    return refuse("auth_required", "unsupported auth scheme '" +
                                       Truncated(MessageString(*m, "scheme")) +
                                       "' (this agent speaks hmac-sha256)");
  AuthRequest request;
  request.lease = MessageString(*m, "lease");
  if (!IsValidLease(request.lease))
    return refuse("auth_required", "the lease must be 1..64 of [A-Za-z0-9_.-], got '" +
                                       Truncated(request.lease) + "'");
  auto nonce = FixedHex(*m, "nonce", kNonceBytes);
  if (!nonce) return refuse("auth_required", "the nonce must be 64 hex characters");
  request.coordinator_nonce = *std::move(nonce);
  return request;
}

Status CompleteAuthAsAgent(Channel& channel, const AuthKey& key, const AuthRequest& request,
                           int64_t timeout_ns) {
  const int64_t deadline = timeout_ns < 0 ? -1 : MonotonicNs() + timeout_ns;
  if (key.bytes.size() < kMinKeyBytes || request.coordinator_nonce.size() != kNonceBytes ||
      !IsValidLease(request.lease))
    return MakeError(ErrorCode::kInvalidInput, "bad key or auth request");
  auto na = RandomBytes(kNonceBytes);
  if (!na.ok()) {
    SendError(channel, "auth_failed", "the agent cannot make a nonce");
    return na.status();
  }
  Status sent = channel.Send({{"type", "auth_challenge"}, {"nonce", HexEncode(*na)}});
  if (!sent.ok()) return sent;

  auto m = channel.Receive(Left(deadline));
  if (!m.ok()) {
    if (m.error().code == ErrorCode::kClosed) return m.error();
    if (m.error().code == ErrorCode::kTimeout) {
      SendError(channel, "auth_failed", "no auth_proof within the handshake timeout");
      return MakeError(ErrorCode::kTimeout, "no auth_proof within the handshake timeout");
    }
    const std::string why = "bad auth_proof frame: " + Truncated(m.error().message);
    SendError(channel, "auth_failed", why);
    return MakeError(ErrorCode::kPermission, why);
  }
  if (MessageString(*m, "type") != "auth_proof") {
    const std::string why =
        "expected auth_proof, got type '" + Truncated(MessageString(*m, "type")) + "'";
    SendError(channel, "auth_failed", why);
    return MakeError(ErrorCode::kPermission, why);
  }
  auto expected = CoordinatorProof(key, request.coordinator_nonce, *na, request.lease);
  if (!expected.ok()) {
    SendError(channel, "auth_failed", "the agent cannot check the proof");
    return expected.status();
  }
  auto mac = FixedHex(*m, "mac", kHmacBytes);
  if (!mac || !ConstantTimeEqual(*mac, *expected)) {
    SendError(channel, "auth_failed",
              "authentication failed: the proof does not match this "
              "agent's key");
    return MakeError(ErrorCode::kPermission,
                     "wrong proof: the coordinator does not hold this agent's key");
  }
  auto ours = AgentProof(key, request.coordinator_nonce, *na, request.lease);
  if (!ours.ok()) return ours.status();
  auto keys = DeriveFrameKeys(key, request.coordinator_nonce, *na, /*coordinator=*/false);
  if (!keys.ok()) return keys.status();
  sent = channel.Send({{"type", "auth_ok"}, {"mac", HexEncode(*ours)}});
  if (!sent.ok()) return sent;
  channel.EnableIntegrity(*std::move(keys));
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Key files

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

Status WriteNewKeyFile(const std::string& path) {
  auto key = RandomBytes(kMinKeyBytes);
  if (!key.ok()) return key.status();
  return CreateSecretFile(path, HexEncode(*key) + "\n", "key file");
}

Result<AuthKey> LoadKeyFile(const std::string& path) {
  auto read = ReadSecretFile(path, kMaxKeyFileBytes, "key file");
  if (!read.ok()) return read.error();
  const std::string& text = *read;
  size_t b = 0, e = text.size();
  while (b < e && IsSpace(text[b])) ++b;
  while (e > b && IsSpace(text[e - 1])) --e;
  auto bytes = HexDecode(std::string_view(text).substr(b, e - b));
  if (!bytes || bytes->empty())
    return MakeError(ErrorCode::kInvalidInput, "key file " + path +
                                                   " is not a key: expected hex digits only "
                                                   "(make one with: lingerlab keygen FILE)");
  if (bytes->size() < kMinKeyBytes)
    return MakeError(ErrorCode::kInvalidInput,
                     "key in " + path + " is " + std::to_string(bytes->size()) +
                         " bytes; at least " + std::to_string(kMinKeyBytes) + " are needed");
  if (bytes->size() > kMaxKeyBytes)
    return MakeError(ErrorCode::kInvalidInput, "key in " + path + " is longer than " +
                                                   std::to_string(kMaxKeyBytes) + " bytes");
  return AuthKey{*std::move(bytes)};
}

}  // namespace lingerlab

// Authentication (doc/protocol.md §7): the handshake over socketpairs, sealed
// frames, the crypto helpers and key files.
#include "agents/protocol/auth.h"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "agents/platform/stream_io.h"
#include "agents/protocol/crypto.h"
#include "agents/protocol/message.h"

namespace lingerlab {
namespace {

using nlohmann::json;

constexpr int64_t kWait = 2 * kNsPerSec;

AuthKey Key(char fill) { return AuthKey{std::string(32, fill)}; }

// Two channels joined by a socketpair: `c` the coordinator's end, `a` the agent's.
struct Link {
  Link() {
    int fds[2];
    EXPECT_TRUE(MakeStreamPair(fds).ok());
    c = Channel(UniqueFd(fds[0]));
    a = Channel(UniqueFd(fds[1]));
  }
  Channel c{UniqueFd()};
  Channel a{UniqueFd()};
};

// The agent's side of the handshake, as the listener runs it.
Status AgentSide(Channel& a, const AuthKey& key, std::string* lease = nullptr) {
  auto req = ReadAuthRequest(a, kWait);
  if (!req.ok()) return req.status();
  if (lease) *lease = req->lease;
  return CompleteAuthAsAgent(a, key, *req, kWait);
}

// Runs the coordinator on its own thread and the agent on this one.
struct Outcome {
  Status coordinator;
  Status agent;
};
Outcome Handshake(Link& l, const AuthKey& coordinator_key, const AuthKey& agent_key,
                  const std::string& lease = "run-1") {
  auto c = std::async(std::launch::async,
                      [&] { return AuthenticateToAgent(l.c, coordinator_key, lease, kWait); });
  Outcome out;
  out.agent = AgentSide(l.a, agent_key);
  if (!out.agent.ok()) l.a.Close();  // the listener closes after a refusal
  out.coordinator = c.get();
  return out;
}

// One raw frame (header and body) read straight off a descriptor.
std::string ReadRawFrame(int fd) {
  std::string out;
  auto read_exactly = [&](size_t n) {
    const size_t want = out.size() + n;
    char buf[4096];
    while (out.size() < want) {
      auto got = ReadSome(fd, buf, std::min(sizeof(buf), want - out.size()), kWait);
      if (!got.ok() || *got == 0) return false;
      out.append(buf, *got);
    }
    return true;
  };
  if (!read_exactly(4)) return "";
  const auto* p = reinterpret_cast<const unsigned char*>(out.data());
  const size_t n = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
  if (!read_exactly(n)) return "";
  return out;
}

// --- crypto helpers ----------------------------------------------------------

TEST(AuthCryptoTest, HmacSha256MatchesRfc4231) {
  // RFC 4231, test case 2.
  auto mac = HmacSha256("Jefe", {"what do ya want ", "for nothing?"});
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(HexEncode(*mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(AuthCryptoTest, HexRoundTripsAndRefusesNonHex) {
  const std::string bytes("\x00\x7f\x80\xff", 4);
  EXPECT_EQ(HexEncode(bytes), "007f80ff");
  EXPECT_EQ(HexDecode("007F80ff"), bytes);
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_FALSE(HexDecode("0x").has_value());
  auto r1 = RandomBytes(32), r2 = RandomBytes(32);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->size(), 32u);
  EXPECT_NE(*r1, *r2);
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
}

TEST(AuthCryptoTest, LeasesAreShortAndPlain) {
  EXPECT_TRUE(IsValidLease("run-20261123T1900.a_b"));
  EXPECT_TRUE(IsValidLease(std::string(64, 'x')));
  EXPECT_FALSE(IsValidLease(""));
  EXPECT_FALSE(IsValidLease(std::string(65, 'x')));
  EXPECT_FALSE(IsValidLease("a b"));
  EXPECT_FALSE(IsValidLease("a/b"));
  EXPECT_FALSE(IsValidLease("é"));
}

// --- the handshake -------------------------------------------------------------

TEST(AuthHandshakeTest, RightKeyAuthenticatesBothSidesAndSealsTheChannel) {
  Link l;
  auto c = std::async(std::launch::async,
                      [&] { return AuthenticateToAgent(l.c, Key('k'), "run-1", kWait); });
  std::string lease;
  Status agent = AgentSide(l.a, Key('k'), &lease);
  Status coordinator = c.get();
  ASSERT_TRUE(agent.ok()) << agent.message();
  ASSERT_TRUE(coordinator.ok()) << coordinator.message();
  EXPECT_EQ(lease, "run-1");
  EXPECT_TRUE(l.c.integrity());
  EXPECT_TRUE(l.a.integrity());
  // Several frames each way: the sequence numbers advance in step.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(l.c.Send({{"type", "hello"}, {"n", i}}).ok());
    auto m = l.a.Receive(kWait);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ((*m)["n"], i);
    ASSERT_TRUE(l.a.Send({{"type", "reply"}, {"n", i}}).ok());
    auto r = l.c.Receive(kWait);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)["n"], i);
  }
}

TEST(AuthHandshakeTest, ACoordinatorWithAnotherKeyIsRefused) {
  Link l;
  Outcome o = Handshake(l, Key('x'), Key('k'));
  ASSERT_FALSE(o.agent.ok());
  EXPECT_EQ(o.agent.code(), ErrorCode::kPermission);
  ASSERT_FALSE(o.coordinator.ok());
  EXPECT_EQ(o.coordinator.code(), ErrorCode::kPermission) << o.coordinator.message();
  EXPECT_FALSE(l.c.integrity());
}

TEST(AuthHandshakeTest, AnAgentWithAnotherKeyRefusesTheCoordinator) {
  // The coordinator proves first, so an agent holding another key sees a
  // wrong proof and sends no MAC of its own.
  Link l;
  Outcome o = Handshake(l, Key('k'), Key('y'));
  EXPECT_EQ(o.agent.code(), ErrorCode::kPermission);
  EXPECT_EQ(o.coordinator.code(), ErrorCode::kPermission);
}

TEST(AuthHandshakeTest, AnAgentThatCannotProveTheKeyIsRejectedByTheCoordinator) {
  // A fake agent that accepts any proof and answers with a MAC under another key.
  Link l;
  auto c = std::async(std::launch::async,
                      [&] { return AuthenticateToAgent(l.c, Key('k'), "run-1", kWait); });
  auto req = l.a.Receive(kWait);
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(l.a.Send({{"type", "auth_challenge"}, {"nonce", std::string(64, 'a')}}).ok());
  auto proof = l.a.Receive(kWait);
  ASSERT_TRUE(proof.ok());
  EXPECT_EQ(MessageString(*proof, "type"), "auth_proof");
  const std::string nc = *HexDecode(MessageString(*req, "nonce"));
  const std::string na(32, '\xaa');
  auto wrong = HmacSha256(std::string(32, 'z'), {"lingerlab-auth-v1 agent", nc, na, "run-1"});
  ASSERT_TRUE(l.a.Send({{"type", "auth_ok"}, {"mac", HexEncode(*wrong)}}).ok());
  Status s = c.get();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kPermission);
  EXPECT_EQ(s.message(), "the agent does not hold the key");
  EXPECT_FALSE(l.c.integrity());
}

TEST(AuthHandshakeTest, AnUnauthenticatedCoordinatorGetsAuthRequired) {
  Link l;
  ASSERT_TRUE(l.c.Send({{"type", "hello"}, {"protocol", 1}, {"role", "server"}}).ok());
  auto req = ReadAuthRequest(l.a, kWait);
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.error().code, ErrorCode::kPermission);
  auto e = l.c.Receive(kWait);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ((*e)["type"], "error");
  EXPECT_EQ((*e)["error"]["code"], "auth_required");
}

TEST(AuthHandshakeTest, BadAuthRequestsAreRefusedWithTheirCode) {
  const std::string nonce(64, '0');
  struct Case {
    json request;
    const char* code;
  } cases[] = {
      {{{"type", "auth"},
        {"scheme", "hmac-sha256"},
        {"version", 2},
        {"lease", "r"},
        {"nonce", nonce}},
       "protocol_version"},
      {{{"type", "auth"}, {"scheme", "plain"}, {"version", 1}, {"lease", "r"}, {"nonce", nonce}},
       "auth_required"},
      {{{"type", "auth"},
        {"scheme", "hmac-sha256"},
        {"version", 1},
        {"lease", "a b"},
        {"nonce", nonce}},
       "auth_required"},
      {{{"type", "auth"},
        {"scheme", "hmac-sha256"},
        {"version", 1},
        {"lease", std::string(65, 'r')},
        {"nonce", nonce}},
       "auth_required"},
      {{{"type", "auth"},
        {"scheme", "hmac-sha256"},
        {"version", 1},
        {"lease", "r"},
        {"nonce", std::string(62, '0')}},
       "auth_required"},
      {{{"type", "auth"},
        {"scheme", "hmac-sha256"},
        {"version", 1},
        {"lease", "r"},
        {"nonce", std::string(64, 'g')}},
       "auth_required"},
      {{{"type", "auth"}, {"scheme", "hmac-sha256"}, {"version", 1}, {"lease", "r"}},
       "auth_required"},
      {{{"garbage", true}}, "auth_required"},
  };
  for (const Case& k : cases) {
    Link l;
    ASSERT_TRUE(l.c.Send(k.request).ok());
    auto req = ReadAuthRequest(l.a, kWait);
    ASSERT_FALSE(req.ok()) << k.request.dump();
    auto e = l.c.Receive(kWait);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ((*e)["error"]["code"], k.code) << k.request.dump();
  }
  // Bytes that are not a frame at all.
  Link l;
  ASSERT_TRUE(WriteAll(l.c.fd(), std::string("\x00\x00\x00\x05hello", 9)).ok());
  auto req = ReadAuthRequest(l.a, kWait);
  ASSERT_FALSE(req.ok());
  auto e = l.c.Receive(kWait);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)["error"]["code"], "auth_required");
}

TEST(AuthHandshakeTest, ACoordinatorThatSendsNothingTimesOut) {
  Link l;
  auto req = ReadAuthRequest(l.a, 100 * kNsPerMs);
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.error().code, ErrorCode::kTimeout);
}

// Frames passed between two channels by a test in the middle, recorded.
struct Tap {
  std::vector<json> from_coordinator;
  std::vector<json> from_agent;
};

TEST(AuthHandshakeTest, AReplayedHandshakeFailsBecauseTheAgentsNonceDiffers) {
  // Record a successful handshake through a relay.
  Link left,
      right;  // coordinator = left.c ... left.a (relay) ; right.c (relay) ... right.a = agent
  auto c = std::async(std::launch::async,
                      [&] { return AuthenticateToAgent(left.c, Key('k'), "run-1", kWait); });
  auto a = std::async(std::launch::async, [&] { return AgentSide(right.a, Key('k')); });
  Tap tap;
  for (int i = 0; i < 2; ++i) {
    auto up = left.a.Receive(kWait);
    ASSERT_TRUE(up.ok());
    tap.from_coordinator.push_back(*up);
    ASSERT_TRUE(right.c.Send(*up).ok());
    auto down = right.c.Receive(kWait);
    ASSERT_TRUE(down.ok());
    tap.from_agent.push_back(*down);
    ASSERT_TRUE(left.a.Send(*down).ok());
  }
  ASSERT_TRUE(c.get().ok());
  ASSERT_TRUE(a.get().ok());
  EXPECT_EQ(tap.from_agent[1]["type"], "auth_ok");

  // Replay the coordinator's two frames to the agent on a new connection.
  Link replay;
  auto agent = std::async(std::launch::async, [&] { return AgentSide(replay.a, Key('k')); });
  ASSERT_TRUE(replay.c.Send(tap.from_coordinator[0]).ok());
  auto challenge = replay.c.Receive(kWait);
  ASSERT_TRUE(challenge.ok());
  EXPECT_EQ((*challenge)["type"], "auth_challenge");
  EXPECT_NE((*challenge)["nonce"], tap.from_agent[0]["nonce"]);
  ASSERT_TRUE(replay.c.Send(tap.from_coordinator[1]).ok());
  auto refused = replay.c.Receive(kWait);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ((*refused)["type"], "error");
  EXPECT_EQ((*refused)["error"]["code"], "auth_failed");
  Status s = agent.get();
  EXPECT_EQ(s.code(), ErrorCode::kPermission);
  EXPECT_FALSE(replay.a.integrity());
}

// --- sealed frames -------------------------------------------------------------

class SealedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Outcome o = Handshake(l, Key('k'), Key('k'));
    ASSERT_TRUE(o.agent.ok() && o.coordinator.ok());
  }
  // What the coordinator sends for `m`, taken off the wire before the agent
  // reads it (writing to the coordinator's descriptor reaches the agent).
  std::string Capture(const json& m) {
    EXPECT_TRUE(l.c.Send(m).ok());
    return ReadRawFrame(l.a.fd());
  }
  void Inject(const std::string& bytes) { ASSERT_TRUE(WriteAll(l.c.fd(), bytes).ok()); }
  // `coordinator_in_step`: the coordinator's channel has counted every
  // frame the agent sent (false when the test took one off the wire).
  void ExpectIntegrityFailure(bool coordinator_in_step = true) {
    auto m = l.a.Receive(kWait);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(m.error().message.rfind("integrity: ", 0), 0u) << m.error().message;
    // Nothing more is read, but an error frame can still go out, sealed.
    EXPECT_FALSE(l.a.Receive(kWait).ok());
    if (!coordinator_in_step) return;
    ASSERT_TRUE(l.a.Send({{"type", "error"}, {"error", {{"code", "integrity"}}}}).ok());
    auto e = l.c.Receive(kWait);
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ((*e)["error"]["code"], "integrity");
  }
  Link l;
};

TEST_F(SealedTest, AnAlteredFrameFailsItsCheck) {
  std::string f = Capture({{"type", "request"}, {"id", 1}, {"op", "time"}});
  ASSERT_GT(f.size(), 40u);
  f[f.find("time")] = 'T';  // the JSON text
  Inject(f);
  ExpectIntegrityFailure();
}

TEST_F(SealedTest, AnAlteredMacFailsItsCheck) {
  std::string f = Capture({{"type", "request"}, {"id", 1}, {"op", "time"}});
  f.back() = static_cast<char>(f.back() ^ 1);
  Inject(f);
  ExpectIntegrityFailure();
}

TEST_F(SealedTest, AFrameTooShortToHoldAMacFails) {
  Inject(EncodeFrame({{"a", 1}}).value());
  ExpectIntegrityFailure();
}

TEST_F(SealedTest, AnUnsealedFrameFails) {
  Inject(
      EncodeFrame({{"type", "request"}, {"id", 1}, {"op", "time"}, {"pad", std::string(64, 'x')}})
          .value());
  ExpectIntegrityFailure();
}

TEST_F(SealedTest, AReplayedFrameFails) {
  const std::string f = Capture({{"type", "request"}, {"id", 1}, {"op", "time"}});
  Inject(f);
  auto first = l.a.Receive(kWait);
  ASSERT_TRUE(first.ok()) << first.error().message;
  Inject(f);
  ExpectIntegrityFailure();
}

TEST_F(SealedTest, ReorderedFramesFail) {
  const std::string f0 = Capture({{"type", "request"}, {"id", 1}, {"op", "time"}});
  const std::string f1 = Capture({{"type", "request"}, {"id", 2}, {"op", "time"}});
  Inject(f1 + f0);
  ExpectIntegrityFailure();
}

TEST_F(SealedTest, ADroppedFrameFailsTheNext) {
  (void)Capture({{"type", "request"}, {"id", 1}, {"op", "time"}});
  const std::string f1 = Capture({{"type", "request"}, {"id", 2}, {"op", "time"}});
  Inject(f1);
  ExpectIntegrityFailure();
}

TEST_F(SealedTest, AFrameReflectedBackToItsSenderFails) {
  // The agent's own frame sent back to it: the other direction's key.
  ASSERT_TRUE(l.a.Send({{"type", "reply"}, {"id", 1}, {"ok", true}}).ok());
  const std::string f = ReadRawFrame(l.c.fd());
  ASSERT_FALSE(f.empty());
  Inject(f);
  ExpectIntegrityFailure(/*coordinator_in_step=*/false);
}

TEST_F(SealedTest, ADeeplyNestedSealedFrameIsMalformedAfterItsMacChecks) {
  // The MAC is right; the depth check still refuses the text before any
  // value is built.
  json deep = json::array();
  for (size_t i = 0; i < protocol::kMaxFrameDepth + 5; ++i) deep = json::array({deep});
  ASSERT_TRUE(l.c.Send({{"type", "request"}, {"v", deep}}).ok());
  auto m = l.a.Receive(kWait);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message.rfind("malformed_frame: ", 0), 0u) << m.error().message;
}

TEST_F(SealedTest, TheLengthCoversTheMacSoTheTextGetsLessThanAMebibyte) {
  const json big = {{"type", "reply"}, {"blob", std::string(protocol::kMaxFrameBytes - 40, 'x')}};
  Status s = l.a.Send(big);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kInvalidInput);
  // The failed send consumed no sequence number.
  ASSERT_TRUE(l.a.Send({{"type", "reply"}, {"n", 1}}).ok());
  auto r = l.c.Receive(kWait);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["n"], 1);
}

TEST(ChannelMoveTest, ASealedChannelKeepsItsStateWhenMoved) {
  Link l;
  Outcome o = Handshake(l, Key('k'), Key('k'));
  ASSERT_TRUE(o.agent.ok() && o.coordinator.ok());
  ASSERT_TRUE(l.c.Send({{"n", 0}}).ok());
  ASSERT_TRUE(l.a.Receive(kWait).ok());
  Channel moved = std::move(l.a);
  ASSERT_TRUE(l.c.Send({{"n", 1}}).ok());
  auto m = moved.Receive(kWait);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)["n"], 1);
  EXPECT_TRUE(moved.integrity());
}

// --- key files -------------------------------------------------------------------

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "llkeyXXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
  std::string dir_;
};

const std::string kHexKey(64, 'a');

TEST_F(KeyFileTest, AGoodKeyLoadsWithSurroundingWhitespace) {
  auto k = LoadKeyFile(Write("k", "  \n" + kHexKey + "\r\n\n", 0600));
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->bytes, std::string(32, '\xaa'));
  EXPECT_TRUE(LoadKeyFile(Write("ro", kHexKey, 0400)).ok());
}

TEST_F(KeyFileTest, AKeyOthersCanReadIsRefusedNamingTheModeAndTheFix) {
  for (mode_t mode : {0640, 0604, 0644, 0620, 0602, 0660}) {
    const std::string path = Write("k", kHexKey, mode);
    auto k = LoadKeyFile(path);
    ASSERT_FALSE(k.ok()) << std::oct << mode;
    EXPECT_EQ(k.error().code, ErrorCode::kPermission);
    char want[8];
    std::snprintf(want, sizeof(want), "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(k.error().message.find(want), std::string::npos) << k.error().message;
    EXPECT_NE(k.error().message.find("chmod 600 " + path), std::string::npos) << k.error().message;
    EXPECT_EQ(k.error().message.find(kHexKey), std::string::npos);
  }
}

TEST_F(KeyFileTest, WhatIsNotAKeyIsRefused) {
  auto refused = [](const Result<AuthKey>& k, ErrorCode code) {
    EXPECT_FALSE(k.ok());
    if (!k.ok()) {
      EXPECT_EQ(k.error().code, code) << k.error().message;
    }
  };
  refused(LoadKeyFile(Write("nonhex", std::string(63, 'a') + "g", 0600)), ErrorCode::kInvalidInput);
  refused(LoadKeyFile(Write("odd", std::string(65, 'a'), 0600)), ErrorCode::kInvalidInput);
  refused(LoadKeyFile(Write("inner", std::string(32, 'a') + " " + std::string(32, 'a'), 0600)),
          ErrorCode::kInvalidInput);
  refused(LoadKeyFile(Write("short", std::string(62, 'a'), 0600)), ErrorCode::kInvalidInput);
  refused(LoadKeyFile(Write("empty", "\n", 0600)), ErrorCode::kInvalidInput);
  refused(LoadKeyFile(Write("big", std::string(64 * 1024, 'a'), 0600)), ErrorCode::kInvalidInput);
  refused(LoadKeyFile(dir_ + "/missing"), ErrorCode::kNotFound);
  const std::string sub = dir_ + "/sub";
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  refused(LoadKeyFile(sub), ErrorCode::kInvalidInput);
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  refused(LoadKeyFile(fifo), ErrorCode::kInvalidInput);
}

TEST_F(KeyFileTest, KeygenMakesAPrivateFileAndNeverReplacesOne) {
  const mode_t old = ::umask(0);  // the file must be 0600 whatever the umask
  const std::string path = dir_ + "/new.key";
  Status s = WriteNewKeyFile(path);
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.message();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  auto k = LoadKeyFile(path);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->bytes.size(), 32u);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.size(), 65u);
  EXPECT_EQ(text.back(), '\n');

  Status again = WriteNewKeyFile(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), ErrorCode::kInvalidInput);
  EXPECT_NE(again.message().find("exists"), std::string::npos);
  auto same = LoadKeyFile(path);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->bytes, k->bytes);  // untouched

  const std::string other = dir_ + "/other.key";
  ASSERT_TRUE(WriteNewKeyFile(other).ok());
  EXPECT_NE(LoadKeyFile(other)->bytes, k->bytes);
  EXPECT_FALSE(WriteNewKeyFile(dir_ + "/no/such/dir.key").ok());
}

}  // namespace
}  // namespace lingerlab

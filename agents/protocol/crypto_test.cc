// crypto.h on whichever backend this build has (libcrypto on POSIX, CNG in
// the Windows build, run under Wine): HMAC-SHA256 against RFC 4231's test
// vectors, randomness, the constant-time compare.
#include "agents/protocol/crypto.h"

#include <gtest/gtest.h>

#include <string>

namespace lingerlab {
namespace {

std::string Hex(Result<std::string> r) { return r.ok() ? HexEncode(*r) : r.error().message; }
std::string Unhex(std::string_view hex) { return HexDecode(hex).value_or("bad hex"); }

// RFC 4231 section 4: test cases 1, 2, 3, 4, 6 and 7, HMAC-SHA-256 rows
// (case 5 is a truncated output, which crypto.h does not offer).
TEST(CryptoTest, HmacSha256MatchesEveryRfc4231Vector) {
  const struct {
    std::string key, data, mac;
  } kCases[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {Unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& c : kCases) EXPECT_EQ(Hex(HmacSha256(c.key, {c.data})), c.mac) << c.data;
}

TEST(CryptoTest, PartsAreHashedAsTheirConcatenation) {
  EXPECT_EQ(Hex(HmacSha256("Jefe", {"what do ya ", "", "want for nothing?"})),
            Hex(HmacSha256("Jefe", {"what do ya want for nothing?"})));
  EXPECT_NE(Hex(HmacSha256("Jefe", {"a"})), Hex(HmacSha256("Jefd", {"a"})));
}

TEST(CryptoTest, RandomBytesHaveTheLengthAskedAndDiffer) {
  auto a = RandomBytes(32);
  auto b = RandomBytes(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);  // 2^-256 to fail by chance
  auto none = RandomBytes(0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(CryptoTest, ConstantTimeEqualComparesLengthAndEveryByte) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "xbc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
}

}  // namespace
}  // namespace lingerlab

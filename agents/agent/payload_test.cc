#include "agents/agent/payload.h"

#include <gtest/gtest.h>

#include <string>

namespace lingerlab {
namespace {

TEST(PayloadTest, FillThenVerifyMatches) {
  std::string b(20480, '\0');
  FillPayload(0, b.data(), b.size());
  EXPECT_FALSE(FirstMismatch(0, b.data(), b.size()).has_value());
}

TEST(PayloadTest, NeighbouringChunksDiffer) {
  std::string a(512, '\0'), b(512, '\0');
  FillPayload(0, a.data(), a.size());
  FillPayload(512, b.data(), b.size());
  EXPECT_NE(a, b);  // a repeated 512-byte read must not verify
  EXPECT_TRUE(FirstMismatch(512, a.data(), a.size()).has_value());
}

TEST(PayloadTest, ReportsOffsetOfFirstCorruptByte) {
  std::string b(1000, '\0');
  FillPayload(4096, b.data(), b.size());
  b[700] = static_cast<char>(b[700] ^ 1);
  auto m = FirstMismatch(4096, b.data(), b.size());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, 4096u + 700u);
}

}  // namespace
}  // namespace lingerlab

#include "agents/base/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace lingerlab {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    auto d = Base64Decode(encoded);
    ASSERT_TRUE(d.ok()) << encoded << ": " << d.error().message;
    EXPECT_EQ(*d, plain);
  }
}

TEST(Base64Test, EveryByteValueRoundTrips) {
  for (size_t len = 0; len < 8; ++len) {
    std::string all;
    for (int i = 0; i < 256 + static_cast<int>(len); ++i) all += static_cast<char>(i & 0xff);
    auto d = Base64Decode(Base64Encode(all));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, all);
  }
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe\xfd", 3)), "//79");
}

TEST(Base64Test, RejectsBadInputWithoutThrowing) {
  for (const char* bad : {"Zg=", "Zg", "Z", "Zm9vY", "Zm9v====", "Zg==Zg==", "=Zg=", "Z===", "Zm 9",
                          "Zm9\n", "Zm-_", "Zh==", "Zm9=", "Zm8\xc3", "===="}) {
    auto d = Base64Decode(bad);
    EXPECT_FALSE(d.ok()) << "accepted '" << bad << "'";
    EXPECT_TRUE(d.ok() || d.error().code == ErrorCode::kInvalidInput);
  }
  EXPECT_FALSE(Base64Decode(std::string("Zm\0v", 4)).ok());
}

}  // namespace
}  // namespace lingerlab

#include "agents/base/bounded_json.h"

#include <string>

#include <gtest/gtest.h>

namespace lingerlab {
namespace {

std::string Nested(size_t depth, std::string_view inner = "1") {
  return std::string(depth, '[') + std::string(inner) + std::string(depth, ']');
}

TEST(JsonNestingDepthTest, CountsArraysAndObjectsButNotBracketsInStrings) {
  EXPECT_EQ(JsonNestingDepth("1"), 0u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":[1,{"b":[]}]})"), 4u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"[[[[{{{{"})"), 1u);
  EXPECT_EQ(JsonNestingDepth(R"({"a":"\"[[[["})"), 1u);  // escaped quote stays in the string
  EXPECT_EQ(JsonNestingDepth(R"(["\\",[[]]])"), 3u);     // escaped backslash ends the escape
  EXPECT_EQ(JsonNestingDepth("]]]][[", 10), 2u);         // garbage is scanned, never negative
}

TEST(JsonNestingDepthTest, StopsOnceTheLimitIsPassed) {
  EXPECT_EQ(JsonNestingDepth(Nested(100000), 64), 65u);
}

TEST(ParseBoundedJsonTest, AcceptsUpToTheLimit) {
  auto ok = ParseBoundedJson(Nested(kMaxJsonDepth));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_TRUE(ok->is_array());
}

TEST(ParseBoundedJsonTest, RejectsDeepNestingInsideAFieldBeforeBuildingAValue) {
  // The shape that crashed a listening agent: a hello whose field nests 60000 deep.
  const std::string text = R"({"type":"hello","protocol":)" + Nested(60000) + "}";
  auto r = ParseBoundedJson(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().message.find("deeper than 64 levels at byte"), std::string::npos)
      << r.error().message;
}

TEST(ParseBoundedJsonTest, MalformedTextIsAnErrorWithThePosition) {
  auto r = ParseBoundedJson(R"({"a": 1,})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(r.error().message.find("line 1"), std::string::npos) << r.error().message;
  EXPECT_FALSE(ParseBoundedJson("").ok());
  EXPECT_FALSE(ParseBoundedJson(std::string("\"\xff\xfe\"")).ok());  // invalid UTF-8
}

// The library keeps (and quotes) the token it is reading: a huge string,
// number or run of white space is refused before it parses anything, and
// an error over a long bad token quotes only its start.
TEST(ParseBoundedJsonTest, HugeTokensAreRefusedAndQuotedShort) {
  const std::string big(kMaxJsonTokenBytes + 1, 'a');
  for (const std::string& text :
       {"\"" + big + "\"", "{\"a\": \"" + big, std::string(kMaxJsonTokenBytes + 1, ' ') + "1",
        "[" + std::string(kMaxJsonTokenBytes + 1, '1') + "]"}) {
    auto r = ParseBoundedJson(text);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("longer than"), std::string::npos) << r.error().message;
    EXPECT_LT(r.error().message.size(), 200u);
  }
  // Just under the bound parses; a bad string of 500 KB is quoted short.
  EXPECT_TRUE(ParseBoundedJson("\"" + std::string(kMaxJsonTokenBytes - 2, 'a') + "\"").ok());
  auto r = ParseBoundedJson("[\"" + std::string(500000, 't') + "\x01\"]");
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.error().message.size(), 400u) << r.error().message.substr(0, 400);
  EXPECT_NE(r.error().message.find("bytes)"), std::string::npos) << r.error().message;
}

TEST(ParseBoundedJsonTest, WhatTheCallbackThrowsBecomesAnError) {
  nlohmann::json::parser_callback_t reject = [](int, nlohmann::json::parse_event_t event,
                                                nlohmann::json&) -> bool {
    if (event == nlohmann::json::parse_event_t::key) throw std::runtime_error("no keys here");
    return true;
  };
  auto r = ParseBoundedJson(R"({"a":1})", kMaxJsonDepth, reject);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "no keys here");
}

}  // namespace
}  // namespace lingerlab

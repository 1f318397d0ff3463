#include "agents/protocol/frame.h"

#include <gtest/gtest.h>

#include <string>

namespace lingerlab {
namespace {

std::string Frame(const nlohmann::json& j) { return EncodeFrame(j).value(); }

std::string RawFrame(std::string_view body) {
  const auto n = static_cast<uint32_t>(body.size());
  std::string out{static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                  static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  return out + std::string(body);
}

TEST(FrameTest, EncodesBigEndianLengthThenBody) {
  std::string f = Frame({{"type", "hello"}});
  ASSERT_EQ(f.size(), 4 + std::string(R"({"type":"hello"})").size());
  EXPECT_EQ(f[0], 0);
  EXPECT_EQ(f[3], 16);
  EXPECT_EQ(f.substr(4), R"({"type":"hello"})");
}

TEST(FrameTest, DecodesFrameDeliveredOneByteAtATime) {
  std::string f = Frame({{"type", "request"}, {"id", 7}}) + Frame({{"type", "bye"}});
  FrameDecoder d;
  std::vector<nlohmann::json> got;
  for (char c : f) {
    d.Feed(std::string_view(&c, 1));
    while (auto m = d.Next()) got.push_back(*m);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["id"], 7);
  EXPECT_EQ(got[1]["type"], "bye");
  EXPECT_FALSE(d.mid_frame());
  EXPECT_EQ(d.fault(), FrameFault::kNone);
}

TEST(FrameTest, NextBodyYieldsRawBytesUnparsedAndStillChecksTheLength) {
  // A sealed frame's body is JSON text and a binary MAC: not JSON as a whole.
  const std::string body = std::string(R"({"a":1})") + std::string("\x00\xff\x01", 3);
  FrameDecoder d;
  const std::string f = RawFrame(body) + RawFrame("x");
  for (char c : f) d.Feed(std::string_view(&c, 1));
  auto first = d.NextBody();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, body);
  EXPECT_EQ(d.NextBody(), "x");
  EXPECT_FALSE(d.NextBody().has_value());
  EXPECT_EQ(d.fault(), FrameFault::kNone);
  EXPECT_FALSE(ParseFrameBody("x").ok());
  EXPECT_FALSE(ParseFrameBody("[1]").ok());
  EXPECT_TRUE(ParseFrameBody(R"({"a":1})").ok());

  FrameDecoder big;
  big.Feed(std::string("\x7f\xff\xff\xff", 4));
  EXPECT_FALSE(big.NextBody().has_value());
  EXPECT_EQ(big.fault(), FrameFault::kTooLarge);
}

TEST(FrameTest, HalfAFrameIsNotAMessageAndIsReportedAsMidFrame) {
  std::string f = Frame({{"type", "hello"}});
  FrameDecoder d;
  d.Feed(f.substr(0, f.size() - 1));
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_TRUE(d.mid_frame());
  EXPECT_EQ(d.fault(), FrameFault::kNone);
}

TEST(FrameTest, OversizedLengthIsRejectedFromTheHeaderAlone) {
  FrameDecoder d(/*max_bytes=*/64);
  d.Feed(std::string("\x00\x00\x01\x00", 4));  // 256 > 64, body never sent
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_EQ(d.fault(), FrameFault::kTooLarge);
  EXPECT_STREQ(FrameFaultCode(d.fault()), "frame_too_large");
}

TEST(FrameTest, APeerSpeakingTextIsNamedAsNotOurProtocol) {
  FrameDecoder d;
  d.Feed("HTTP/1.1 400 Bad Request\r\n");  // what a web server on the port answers
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_EQ(d.fault(), FrameFault::kTooLarge);
  EXPECT_NE(d.fault_message().find("\"HTTP...\": not the lingerlab protocol"), std::string::npos)
      << d.fault_message();
  FrameDecoder binary;
  binary.Feed(std::string("\xff\x00\x00\x01", 4));
  EXPECT_FALSE(binary.Next().has_value());
  EXPECT_EQ(binary.fault_message().find("not the lingerlab protocol"), std::string::npos);
}

TEST(FrameTest, ZeroLengthIsRejected) {
  FrameDecoder d;
  d.Feed(std::string(4, '\0'));
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_EQ(d.fault(), FrameFault::kTooLarge);
}

TEST(FrameTest, GarbageBodyIsMalformed) {
  FrameDecoder d;
  d.Feed(RawFrame("this is not json"));
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_EQ(d.fault(), FrameFault::kMalformed);
}

TEST(FrameTest, JsonThatIsNotAnObjectIsMalformed) {
  FrameDecoder d;
  d.Feed(RawFrame("[1,2,3]"));
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_EQ(d.fault(), FrameFault::kMalformed);
}

TEST(FrameTest, NothingIsDecodedAfterAFault) {
  FrameDecoder d;
  d.Feed(RawFrame("{oops"));
  d.Feed(Frame({{"type", "hello"}}));
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_EQ(d.fault(), FrameFault::kMalformed);
}

TEST(FrameTest, EncodeRefusesMessagesOverTheLimit) {
  auto r = EncodeFrame({{"blob", std::string(100, 'x')}}, /*max_bytes=*/50);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
}

TEST(FrameTest, InvalidUtf8IsReplacedNotThrown) {
  auto r = EncodeFrame({{"s", std::string("\xff\xfe")}});
  ASSERT_TRUE(r.ok());
  FrameDecoder d;
  d.Feed(*r);
  auto m = d.Next();
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE((*m)["s"].is_string());
}

// {"type":"hello","protocol":[[[…]]]} with `depth` levels of arrays in the
// field (the outer object is one more level).
std::string NestedHello(size_t depth) {
  return R"({"type":"hello","protocol":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

TEST(FrameTest, NestingAtTheLimitIsAccepted) {
  FrameDecoder d;
  d.Feed(RawFrame(NestedHello(protocol::kMaxFrameDepth - 1)));
  auto m = d.Next();
  ASSERT_TRUE(m.has_value()) << d.fault_message();
  EXPECT_EQ((*m)["type"], "hello");
}

TEST(FrameTest, NestingBeyondTheLimitIsMalformedBeforeAnyValueIsBuilt) {
  for (size_t depth : {protocol::kMaxFrameDepth, size_t{60000}, size_t{400000}}) {
    FrameDecoder d;
    d.Feed(RawFrame(NestedHello(depth)));
    EXPECT_FALSE(d.Next().has_value()) << depth;
    EXPECT_EQ(d.fault(), FrameFault::kMalformed) << depth;
    EXPECT_NE(d.fault_message().find("nests deeper than 64"), std::string::npos)
        << d.fault_message();
    EXPECT_FALSE(d.mid_frame());
  }
}

}  // namespace
}  // namespace lingerlab

// The socket table parser (tcp_table.h) on constructed /proc/net/tcp text.
#include "agents/platform/tcp_table.h"

#include <gtest/gtest.h>

#include <string>

namespace lingerlab {
namespace {

constexpr const char* kHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n";

std::vector<TcpTableEntry> Parse(const std::string& text, int port, size_t max = 64) {
  std::vector<TcpTableEntry> out;
  ParseProcNetTcp(text, port, max, &out);
  return out;
}

TEST(SocketApiTcpTable, StateNamesFollowLinuxNumbering) {
  EXPECT_EQ(TcpStateName(1), "ESTABLISHED");
  EXPECT_EQ(TcpStateName(2), "SYN_SENT");
  EXPECT_EQ(TcpStateName(6), "TIME_WAIT");
  EXPECT_EQ(TcpStateName(8), "CLOSE_WAIT");
  EXPECT_EQ(TcpStateName(10), "LISTEN");
  EXPECT_EQ(TcpStateName(11), "CLOSING");
  EXPECT_EQ(TcpStateName(0), "unknown");
  EXPECT_EQ(TcpStateName(12), "unknown");
  EXPECT_EQ(TcpStateName(-1), "unknown");
}

TEST(SocketApiTcpTable, KeepsTheEntriesOfTheLocalPortButNotListeners) {
  const std::string text =
      std::string(kHeader) +
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 1 1\n"
      "   1: 0100007F:1F90 0100007F:C350 05 00000000:00000000 00:00000000 00000000  0 0 2 1\n"
      "   2: 0100007F:C350 0100007F:1F90 08 00000000:00000000 00:00000000 00000000  0 0 3 1\n"
      "   3: 0100007F:1F90 0100007F:C351 06 00000000:00000000 03:00001770 00000000  0 0 0 3\n";
  auto e = Parse(text, 0x1F90);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].state, 5);  // FIN_WAIT2
  EXPECT_EQ(e[0].local_port, 8080);
  EXPECT_EQ(e[0].remote_port, 0xC350);
  EXPECT_EQ(e[1].state, 6);  // TIME_WAIT
  EXPECT_EQ(e[1].remote_port, 0xC351);
  auto other = Parse(text, 0xC350);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].state, 8);
  EXPECT_TRUE(Parse(text, 1).empty());
}

TEST(SocketApiTcpTable, ReadsIpv6Lines) {
  const std::string text =
      std::string(kHeader) +
      "   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:D431 01 "
      "00000000:00000000 00:00000000 00000000     0        0 4 1\n";
  auto e = Parse(text, 8080);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].state, 1);
  EXPECT_EQ(e[0].remote_port, 0xD431);
}

TEST(SocketApiTcpTable, SkipsMalformedAndOverlongLinesAndStopsAtMax) {
  const std::string good =
      "   7: 0100007F:0050 0100007F:C350 01 00000000:00000000 00:00000000 00000000 0 0 1 1\n";
  const std::string text =
      std::string(kHeader) + "garbage\n" + "\n" +
      "   x: 0100007F:0050 0100007F:C350 01\n" +  // slot not a number
      "   1: 0100007F:0050 0100007F:C350 0C\n" +  // state 12
      "   1: 0100007F:0050 0100007F:C350 00\n" +  // state 0
      "   1: 0100007F:0050 0100007F:C350 1\n" +   // one state digit
      "   1: 0100007F:050 0100007F:C350 01\n" +   // three port digits
      "   1: 010007F:0050 0100007F:C350 01\n" +   // seven address digits
      "   1: 0100007G:0050 0100007F:C350 01\n" +  // not hex
      "   1: 0100007F:0050 0100007F:C350\n" +     // no state
      "   1: 0100007F:0050 0100007F:C35Z 01\n" +  // remote port not hex
      "   1: 0100007F:0050 0100007F:C350 01 " + std::string(600, 'a') + "\n" +  // too long
      good + good + good + "   9: 0100007F:0050 0100007F:C350 01";  // last line unterminated
  EXPECT_EQ(Parse(text, 80).size(), 4u);
  EXPECT_EQ(Parse(text, 80, 2).size(), 2u);
  EXPECT_TRUE(Parse("", 80).empty());
  EXPECT_TRUE(Parse(std::string(100000, '\n'), 80).empty());
  EXPECT_TRUE(Parse(std::string(100000, 'x'), 80).empty());
}

}  // namespace
}  // namespace lingerlab

// TCP state names and the parser of Linux's socket table text
// (/proc/net/tcp, /proc/net/tcp6), kept apart from the file reading so that
// it is tested on constructed text (tcp_table_test.cc). Pure: builds on
// every platform.
//
// The parser trusts nothing in the text: a line longer than
// kMaxTcpTableLine, or one whose fields do not have the documented shape
// (hex address:port, a state of 1..11), is skipped, never an error.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "agents/platform/socket_api.h"

namespace lingerlab {

// Linux's tcpi_state numbering, which /proc/net/tcp's `st` column shares.
constexpr int kTcpStateListen = 10;
// Lines of /proc/net/tcp6 are ~150 bytes; anything much longer is not one.
constexpr size_t kMaxTcpTableLine = 512;

// "ESTABLISHED", "SYN_SENT", ... "CLOSING" for 1..11; "unknown" otherwise.
std::string TcpStateName(int state);

// Appends to *out the entries of `text` (the contents of /proc/net/tcp or
// tcp6, header line included) whose local port is `port` and whose state
// is not LISTEN, until *out holds `max` entries.
void ParseProcNetTcp(std::string_view text, int port, size_t max, std::vector<TcpTableEntry>* out);

}  // namespace lingerlab

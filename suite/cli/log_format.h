// The format of lingerlab's log lines on stderr: "12:00:00.000 info text",
// with the text's control characters shown as escapes (text_rules.h
// TerminalSafe). Log messages quote agents (their platform strings, their
// errors) and input files, and neither may drive the terminal: set its
// title, clear it, or fake a line.
#pragma once

#include <memory>

#include <spdlog/formatter.h>

namespace lingerlab {

std::unique_ptr<spdlog::formatter> MakeLogFormatter();

}  // namespace lingerlab

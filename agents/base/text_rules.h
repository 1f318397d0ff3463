// Text rules for strings that cross a boundary: what counts as a name that
// may become part of a file name, what an errno name looks like, which text
// an agent may send as a description, and how untrusted text is shown on a
// terminal. Every loader and every writer uses these, so what one command
// accepts and writes, the others read (doc/security.md "Names and text").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lingerlab {

// A name that becomes part of a path (case ids and names in pcaps/ and
// cases/, families in expected-table lookups): 1..max_bytes of
// [A-Za-z0-9._+=-], not starting with '.' or '-'. So it never holds a
// separator, never is "." or "..", and never reads as an option.
bool IsSafeName(std::string_view name, size_t max_bytes);

// A path relative to a run directory that may be linked or opened from a
// report: one or more IsSafeName components joined by '/', nothing else
// (no leading '/', no "..", no scheme such as "javascript:").
bool IsSafeRelativePath(std::string_view path, size_t max_bytes);

// Portable errno names as agents report them ("ECONNRESET"): 'E' then
// [A-Z0-9], 2..kMaxErrnoNameBytes bytes.
inline constexpr size_t kMaxErrnoNameBytes = 32;
bool IsErrnoName(std::string_view name);

// Descriptive text from an agent (its OS, release, hostname): at most
// max_bytes, and no control character (C0, DEL, or C1 encoded as UTF-8), so
// it cannot move a terminal's cursor or break a line or a table row.
bool IsPlainText(std::string_view text, size_t max_bytes);

// `text` with every control character shown as an escape ("\x1b",
// "\u009b"), so what a file or an agent said cannot drive the terminal:
// set its title, clear it, or fake a line with '\r'. Newlines and tabs stay
// when `keep_newlines` (multi-line output such as `show`).
std::string TerminalSafe(std::string_view text, bool keep_newlines = false);

}  // namespace lingerlab

#include "agents/base/text_rules.h"

#include <cstdio>

namespace lingerlab {
namespace {

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '+' || c == '=';
}

// Length in bytes of the control character at text[i], or 0 if there is
// none: C0 (0x00-0x1f), DEL, and C1 (U+0080-U+009F, UTF-8 0xc2 0x80-0x9f),
// which terminals also obey (0x9b is CSI).
size_t ControlAt(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x20 || c == 0x7f) return 1;
  if (c == 0xc2 && i + 1 < text.size()) {
    const auto n = static_cast<unsigned char>(text[i + 1]);
    if (n >= 0x80 && n <= 0x9f) return 2;
  }
  return 0;
}

}  // namespace

bool IsSafeName(std::string_view name, size_t max_bytes) {
  if (name.empty() || name.size() > max_bytes || name[0] == '.' || name[0] == '-') return false;
  for (char c : name)
    if (!IsNameChar(c)) return false;
  return true;
}

bool IsSafeRelativePath(std::string_view path, size_t max_bytes) {
  if (path.empty() || path.size() > max_bytes) return false;
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    const std::string_view part = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!IsSafeName(part, max_bytes)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsErrnoName(std::string_view name) {
  if (name.size() < 2 || name.size() > kMaxErrnoNameBytes || name[0] != 'E') return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool IsPlainText(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) return false;
  for (size_t i = 0; i < text.size(); ++i)
    if (ControlAt(text, i) != 0) return false;
  return true;
}

std::string TerminalSafe(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (keep_newlines && (c == '\n' || c == '\t')) {
      out += c;
      continue;
    }
    const size_t n = ControlAt(text, i);
    if (n == 0) {
      out += c;
      continue;
    }
    char buf[16];
    if (n == 2) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(text[i + 1]));
      ++i;
    } else {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
    }
    out += buf;
  }
  return out;
}

}  // namespace lingerlab

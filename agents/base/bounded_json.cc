#include "agents/base/bounded_json.h"

#include <exception>
#include <string>

namespace lingerlab {
namespace {

struct DepthScan {
  size_t max_depth = 0;
  size_t offset_of_max = 0;  // byte offset of the bracket that first reached max_depth
  // The first run longer than kMaxJsonTokenBytes (string, or anything
  // between two structural characters), if any.
  bool long_run = false;
  size_t offset_of_long_run = 0;
};

DepthScan Scan(std::string_view text, size_t stop_above) {
  DepthScan scan;
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  size_t run_start = 0;  // where the current string or bare run began
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i - run_start > kMaxJsonTokenBytes) {
      scan.long_run = true;
      scan.offset_of_long_run = run_start;
      break;
    }
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
        run_start = i + 1;
      }
      continue;
    }
    if (c == '"' || c == ',' || c == ':' || c == '[' || c == '{' || c == ']' || c == '}')
      run_start = i;
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > scan.max_depth) {
        scan.max_depth = depth;
        scan.offset_of_max = i;
        if (depth > stop_above) break;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return scan;
}

// The library's message quotes the token it stopped at ("last read:
// '...'"), whole: cut that quote to kMaxQuotedTokenBytes.
constexpr size_t kMaxQuotedTokenBytes = 80;

std::string ShortenParseError(const std::string& what) {
  const size_t quote = what.find("last read: '");
  if (quote == std::string::npos) return what.substr(0, 2 * kMaxQuotedTokenBytes + 200);
  const size_t start = quote + 12;
  const size_t end = what.rfind('\'');
  if (end == std::string::npos || end <= start || end - start <= kMaxQuotedTokenBytes) return what;
  return what.substr(0, start + kMaxQuotedTokenBytes) + "'... (" + std::to_string(end - start) +
         " bytes)" + what.substr(end + 1);
}

}  // namespace

size_t JsonNestingDepth(std::string_view text, size_t stop_above) {
  return Scan(text, stop_above).max_depth;
}

Result<nlohmann::json> ParseBoundedJson(std::string_view text, size_t max_depth,
                                        const nlohmann::json::parser_callback_t& callback) {
  const DepthScan scan = Scan(text, max_depth);
  if (scan.max_depth > max_depth)
    return MakeError(ErrorCode::kInvalidInput, "JSON nests deeper than " +
                                                   std::to_string(max_depth) + " levels at byte " +
                                                   std::to_string(scan.offset_of_max));
  if (scan.long_run)
    return MakeError(ErrorCode::kInvalidInput,
                     "a string, number or run of white space longer than " +
                         std::to_string(kMaxJsonTokenBytes) + " bytes at byte " +
                         std::to_string(scan.offset_of_long_run));
  try {
    return nlohmann::json::parse(text, callback);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidInput, ShortenParseError(e.what()));
  }
}

}  // namespace lingerlab

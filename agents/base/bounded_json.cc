#include "agents/base/bounded_json.h"

#include <exception>
#include <string>

namespace lingerlab {
namespace {

struct DepthScan {
  size_t max_depth = 0;
  size_t offset_of_max = 0;  // byte offset of the bracket that first reached max_depth
};

DepthScan Scan(std::string_view text, size_t stop_above) {
  DepthScan scan;
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
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
  try {
    return nlohmann::json::parse(text, callback);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidInput, e.what());
  }
}

}  // namespace lingerlab

// Parsing JSON that crosses a boundary (a control frame, a matrix, an expected
// table, a results file) with its nesting bounded.
//
// nlohmann::json parses iteratively but copies, compares, dumps and destroys
// values recursively, so a value nested tens of thousands deep inside a field
// overflows the stack the first time anything touches it. ParseBoundedJson
// scans the text first and rejects nesting deeper than the limit before the
// library builds any value. Every JSON input of lingerlab goes through it.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"

namespace lingerlab {

// Deeper than any document lingerlab writes or reads (results files nest
// about 8 deep) and far below what recursion on any stack can survive.
inline constexpr size_t kMaxJsonDepth = 64;

// Deepest nesting of arrays and objects in `text` (brackets inside strings do
// not count). Stops counting once `stop_above` is exceeded and returns that
// depth. Never fails: text that is not JSON is scanned all the same.
size_t JsonNestingDepth(std::string_view text, size_t stop_above = SIZE_MAX);

// Parses `text`. Fails with kInvalidInput, never throws, when the text is not
// JSON (the library's message, with its position) or nests deeper than
// `max_depth` ("nesting deeper than 64 levels at byte N"). `callback` is
// passed to nlohmann::json::parse (e.g. to reject duplicate keys); whatever
// it throws is turned into the same kInvalidInput error.
Result<nlohmann::json> ParseBoundedJson(
    std::string_view text, size_t max_depth = kMaxJsonDepth,
    const nlohmann::json::parser_callback_t& callback = nullptr);

}  // namespace lingerlab

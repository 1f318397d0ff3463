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

// Longest string, number or run of white space accepted. The library keeps
// the token it reads (and quotes it, escaped, in its error), so a 100 MB
// unterminated string took 8 s and 700 MB before this bound. Far above any
// string lingerlab writes (a frame is at most 1 MiB anyway).
inline constexpr size_t kMaxJsonTokenBytes = size_t{1} << 20;

// Deepest nesting of arrays and objects in `text` (brackets inside strings do
// not count). Stops counting once `stop_above` is exceeded and returns that
// depth. Never fails: text that is not JSON is scanned all the same.
size_t JsonNestingDepth(std::string_view text, size_t stop_above = SIZE_MAX);

// Parses `text`. Fails with kInvalidInput, never throws, when the text is not
// JSON (the library's message, with its position, the token it quotes cut
// to 80 bytes), nests deeper than `max_depth` ("nesting deeper than 64
// levels at byte N") or holds a token longer than kMaxJsonTokenBytes. `callback` is
// passed to nlohmann::json::parse (e.g. to reject duplicate keys); whatever
// it throws is turned into the same kInvalidInput error.
Result<nlohmann::json> ParseBoundedJson(
    std::string_view text, size_t max_depth = kMaxJsonDepth,
    const nlohmann::json::parser_callback_t& callback = nullptr);

}  // namespace lingerlab

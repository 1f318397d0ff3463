// Loading a JSON input file (a matrix, an expected table, a results file):
// the one reader every file loader uses. It refuses what is not a regular
// file (a directory, a FIFO), files larger than kMaxJsonFileBytes, and JSON
// nested deeper than kMaxJsonDepth (ParseBoundedJson), and never throws.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"

namespace lingerlab {

// Larger than any results file a full run writes (the reference runs are
// under 3 MB) by a wide margin, small enough to hold in memory.
inline constexpr size_t kMaxJsonFileBytes = size_t{256} << 20;

// Errors name the file: kNotFound when it does not exist or cannot be
// opened; kInvalidInput when it is not a regular file, too large, or not
// bounded JSON ("<path>: invalid JSON: ..."). `callback` is passed on to the
// parser (e.g. to refuse duplicate keys).
Result<nlohmann::json> LoadJsonFile(const std::string& path,
                                    const nlohmann::json::parser_callback_t& callback = nullptr);

// A name from an input file as it may appear in a message: at most 40
// characters, then "...".
std::string Shorten(const std::string& s);

// kInvalidInput "<origin>: <where>: <what>": an input file's bad field.
Error FieldError(const std::string& origin, const std::string& where, const std::string& what);

}  // namespace lingerlab

// Writes a results document atomically: a temporary file in the same
// directory, fsync, rename over the target, fsync the directory. A crash at
// any point leaves either the previous file or the complete new one.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"

namespace lingerlab {

Status WriteJsonAtomically(const std::string& path, const nlohmann::json& doc);

// Reads a JSON file; kNotFound if missing, kInvalidInput (with position) if
// it is not JSON.
Result<nlohmann::json> ReadJsonFile(const std::string& path);

}  // namespace lingerlab

// Writes a results document atomically: a temporary file in the same
// directory, fsync, rename over the target, fsync the directory. A crash at
// any point leaves either the previous file or the complete new one.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"

namespace lingerlab {

Status WriteJsonAtomically(const std::string& path, const nlohmann::json& doc);
// The same for any text (a report, JUnit XML).
Status WriteTextAtomically(const std::string& path, const std::string& text);

// Creates a new directory `parent/stem` (and `parent` if missing). mkdir is
// exclusive, so when that name is taken — another run started in the same
// second — it tries `stem-2`, `stem-3`, ... and returns the path it created.
// Two runs never share a directory this way.
Result<std::string> CreateUniqueDir(const std::string& parent, const std::string& stem);

// Points the symlink `link` at `target` (as given, e.g. a sibling's name),
// replacing what was there atomically (a new link, then rename over it), so
// a reader never finds `link` missing or half-made.
Status ReplaceSymlink(const std::string& link, const std::string& target);

// Reads a JSON file; kNotFound if missing, kInvalidInput (with position) if
// it is not JSON.
Result<nlohmann::json> ReadJsonFile(const std::string& path);

}  // namespace lingerlab

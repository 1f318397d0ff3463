// The documents `list --json`, `check --json` and `diff --json` print: what a
// script reads instead of the terminal lines. Each has a "format" string with
// a version; the schema is doc/json-output.md. Pure: documents in, document
// out; printing is the CLI's.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/expect/run_diff.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

constexpr const char* kListJsonFormat = "lingerlab-list/1";
constexpr const char* kCheckJsonFormat = "lingerlab-check/1";
constexpr const char* kDiffJsonFormat = "lingerlab-diff/1";

// The matrix's cases: id, name and attributes (CaseAttributes, blocking close).
nlohmann::json ListJson(const Matrix& matrix);

// An analysed results document (every case has "verdict"; SummarizeResults
// done) as check reports it: per case its status, verdict, family, error,
// claims and the checks that did not pass; the summary. `path`: the file read.
nlohmann::json CheckJson(const nlohmann::json& results, const std::string& path);

// `changes` of DiffRuns over `compared` cases of two results files.
nlohmann::json DiffJson(const std::vector<ClaimChange>& changes, const std::string& base_path,
                        const std::string& new_path, size_t compared);

}  // namespace lingerlab

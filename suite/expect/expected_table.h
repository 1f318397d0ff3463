// Expected tables: what the source article states each platform family does in
// each case of the matrix, loaded from matrix/expected/<family>.json
// (format: doc/expected-format.md).
//
// A table is about one matrix (its "matrix" field names it, e.g.
// "so_linger") and is validated against that matrix as loaded: every case id
// must be one of its cases. Loading validates everything the comparison
// relies on: the format string, that the family matches the file name, claim names, each value's
// type, a non-empty source, and time_basis exactly on time-valued claims. Any
// violation fails the whole file with kInvalidInput and a message naming the
// file and the field ("bsd.json: cases.03.abort_on_close: value must be a
// boolean"); a missing file or directory is kNotFound. A table is never
// partially loaded.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "suite/expect/claims.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

inline constexpr const char* kExpectedFormat = "lingerlab-expected/1";

// The families the article publishes, in its order (also the order of the
// agents' platform.family names, doc/protocol.md §2).
const std::vector<std::string>& ArticleFamilies();

// One stated value for one claim in one case.
struct Expectation {
  std::string claim;
  nlohmann::json value;
  std::string source;      // where in the article the value comes from
  std::string time_basis;  // "", "linger" (scales with the applied linger), "kernel" (OS constant)
  bool depends_on_kernel_time = false;  // truth rests on a kernel constant that does not scale
  bool inferred = false;                // read from the article's framing, not stated outright
  std::vector<std::string> only;        // OS names (uname -s) it applies to; empty = all
  std::string note;                     // why, for readers; not compared
};

struct ExpectedTable {
  std::string family, title, path;
  std::string matrix;     // the name of the matrix its case ids belong to
  nlohmann::json source;  // {"document": ..., "platforms": [...]}
  // Case id -> expectations, in claim-vocabulary order.
  std::map<std::string, std::vector<Expectation>> cases;

  // nullptr when the table states nothing for `case_id`.
  const std::vector<Expectation>* Find(const std::string& case_id) const;
  // nullptr when the table states nothing about `claim` in `case_id`.
  const Expectation* Find(const std::string& case_id, const std::string& claim) const;
};

// `origin` names the document in messages; when it ends in ".json" its base
// name must be the family ("linux.json" holds family "linux"). The table's
// "matrix" must be `matrix.name` and its case ids cases of `matrix`.
Result<ExpectedTable> ParseExpectedTable(const nlohmann::json& doc, const std::string& origin,
                                         const Matrix& matrix);

// Reads (LoadJsonFile: bounded size and depth, duplicate keys refused) and
// parses `path`. JSON syntax errors name the line and column.
Result<ExpectedTable> LoadExpectedTable(const std::string& path, const Matrix& matrix);

// Every *.json in `dir` (not recursive), sorted by family. Fails on the first
// invalid file, or if there is none.
Result<std::vector<ExpectedTable>> LoadExpectedDir(const std::string& dir, const Matrix& matrix);

}  // namespace lingerlab

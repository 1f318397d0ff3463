#include "suite/expect/expected_table.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>

#include "suite/matrix/json_file.h"

namespace lingerlab {
namespace {

using nlohmann::json;

Error Invalid(const std::string& origin, const std::string& where, const std::string& what) {
  return MakeError(ErrorCode::kInvalidInput, origin + ": " + where + ": " + what);
}

// A key as it may appear in a message: at most 40 characters.

bool IsNonEmptyString(const json& j) { return j.is_string() && !j.get<std::string>().empty(); }

// Rejects keys outside `allowed`, so that a misspelt field ("sorce") is an
// error rather than a silently missing one.
std::optional<std::string> UnknownKey(const json& object, const std::set<std::string>& allowed) {
  for (const auto& [key, unused] : object.items()) {
    if (!allowed.count(key)) return key;
  }
  return std::nullopt;
}

std::string BaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsFamilyName(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

size_t ClaimOrder(const std::string& claim) {
  const auto& all = AllClaims();
  for (size_t i = 0; i < all.size(); ++i) {
    if (claim == all[i].name) return i;
  }
  return all.size();
}

Result<Expectation> ParseExpectation(const std::string& origin, const std::string& where,
                                     const ClaimInfo& info, const json& j) {
  if (!j.is_object()) {
    return Invalid(origin, where, "must be an object {\"value\": ..., \"source\": ...}");
  }
  static const std::set<std::string> kFields = {
      "value", "source", "time_basis", "depends_on_kernel_time", "inferred", "only", "note"};
  if (auto key = UnknownKey(j, kFields))
    return Invalid(origin, where, "unknown field \"" + *key + "\"");

  Expectation e;
  e.claim = info.name;
  if (!j.contains("value")) return Invalid(origin, where, "value is missing");
  e.value = j.at("value");
  if (std::string why = CheckClaimValue(info, e.value); !why.empty()) {
    return Invalid(origin, where, "value must " + why);
  }
  if (!j.contains("source") || !IsNonEmptyString(j.at("source"))) {
    return Invalid(origin, where,
                   "source must be a non-empty string naming where the article states it");
  }
  e.source = j.at("source").get<std::string>();

  if (j.contains("time_basis")) {
    if (!info.time_valued) {
      return Invalid(origin, where, "time_basis is only allowed on time-valued claims");
    }
    const json& tb = j.at("time_basis");
    if (!tb.is_string() || (tb != "linger" && tb != "kernel")) {
      return Invalid(origin, where, "time_basis must be \"linger\" or \"kernel\"");
    }
    e.time_basis = tb.get<std::string>();
  } else if (info.time_valued) {
    return Invalid(origin, where,
                   "time_basis (\"linger\" or \"kernel\") is required on a time-valued claim");
  }

  for (const char* flag : {"depends_on_kernel_time", "inferred"}) {
    if (!j.contains(flag)) continue;
    if (!j.at(flag).is_boolean())
      return Invalid(origin, where, std::string(flag) + " must be a boolean");
    (std::string(flag) == "inferred" ? e.inferred : e.depends_on_kernel_time) =
        j.at(flag).get<bool>();
  }

  if (j.contains("only")) {
    const json& only = j.at("only");
    if (!only.is_array() || only.empty()) {
      return Invalid(origin, where, "only must be a non-empty array of OS names");
    }
    for (const json& os : only) {
      if (!IsNonEmptyString(os)) return Invalid(origin, where, "only must hold non-empty OS names");
      e.only.push_back(os.get<std::string>());
    }
  }
  if (j.contains("note")) {
    if (!j.at("note").is_string()) return Invalid(origin, where, "note must be a string");
    e.note = j.at("note").get<std::string>();
  }
  return e;
}

Status ParseSource(const std::string& origin, const json& source) {
  if (!source.is_object())
    return Invalid(origin, "source", "must be an object {\"document\", \"platforms\"}");
  if (auto key = UnknownKey(source, {"document", "platforms"})) {
    return Invalid(origin, "source", "unknown field \"" + *key + "\"");
  }
  if (!source.contains("document") || !IsNonEmptyString(source.at("document"))) {
    return Invalid(origin, "source.document", "must be a non-empty string");
  }
  if (!source.contains("platforms") || !source.at("platforms").is_array() ||
      source.at("platforms").empty()) {
    return Invalid(origin, "source.platforms",
                   "must be a non-empty array of platform descriptions");
  }
  for (const json& p : source.at("platforms")) {
    if (!IsNonEmptyString(p))
      return Invalid(origin, "source.platforms", "entries must be non-empty strings");
  }
  return Status::Ok();
}

// nlohmann keeps the last of duplicate keys silently; a duplicated case or
// claim would hide a value, so the parser callback refuses them.
struct DuplicateKeyGuard {
  std::vector<std::set<std::string>> open;
  std::string duplicate;

  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!open.empty()) open.pop_back();
    } else if (event == json::parse_event_t::key && !open.empty()) {
      const std::string key = parsed.get<std::string>();
      if (!open.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  }
};

}  // namespace

const std::vector<std::string>& ArticleFamilies() {
  static const std::vector<std::string> kFamilies = {"bsd",   "darwin",         "illumos",
                                                     "linux", "windows-cygwin", "windows-native"};
  return kFamilies;
}

const std::vector<Expectation>* ExpectedTable::Find(const std::string& case_id) const {
  auto it = cases.find(case_id);
  return it == cases.end() ? nullptr : &it->second;
}

const Expectation* ExpectedTable::Find(const std::string& case_id, const std::string& claim) const {
  const auto* list = Find(case_id);
  if (!list) return nullptr;
  for (const Expectation& e : *list) {
    if (e.claim == claim) return &e;
  }
  return nullptr;
}

Result<ExpectedTable> ParseExpectedTable(const json& doc, const std::string& origin,
                                         const Matrix& matrix) {
  if (!doc.is_object()) return Invalid(origin, "(top level)", "must be a JSON object");
  if (auto key = UnknownKey(doc, {"format", "matrix", "family", "title", "source", "cases"})) {
    return Invalid(origin, "(top level)", "unknown field \"" + Shorten(*key) + "\"");
  }
  if (!doc.contains("format") || doc.at("format") != kExpectedFormat) {
    return Invalid(origin, "format", std::string("must be \"") + kExpectedFormat + "\"");
  }

  ExpectedTable table;
  table.path = origin;
  if (!doc.contains("matrix") || !IsNonEmptyString(doc.at("matrix"))) {
    return Invalid(origin, "matrix",
                   "must name the matrix the case ids belong to (\"" + matrix.name + "\")");
  }
  table.matrix = doc.at("matrix").get<std::string>();
  if (table.matrix != matrix.name) {
    return Invalid(origin, "matrix",
                   "\"" + Shorten(table.matrix) + "\" is not the loaded matrix \"" + matrix.name +
                       "\" (" + matrix.path + ")");
  }
  if (!doc.contains("family") || !doc.at("family").is_string() ||
      !IsFamilyName(doc.at("family").get<std::string>())) {
    return Invalid(origin, "family",
                   "must be a lower-case family name (\"linux\", \"windows-native\")");
  }
  table.family = doc.at("family").get<std::string>();
  if (EndsWith(origin, ".json")) {
    const std::string base = BaseName(origin);
    const std::string stem = base.substr(0, base.size() - 5);
    if (stem != table.family) {
      return Invalid(
          origin, "family",
          "\"" + table.family + "\" does not match the file name (expected \"" + stem + "\")");
    }
  }
  if (!doc.contains("title") || !IsNonEmptyString(doc.at("title"))) {
    return Invalid(origin, "title", "must be a non-empty string");
  }
  table.title = doc.at("title").get<std::string>();
  if (!doc.contains("source")) return Invalid(origin, "source", "is missing");
  if (Status s = ParseSource(origin, doc.at("source")); !s.ok()) return s.error();
  table.source = doc.at("source");

  if (!doc.contains("cases") || !doc.at("cases").is_object()) {
    return Invalid(origin, "cases", "must be an object keyed by case id");
  }
  for (const auto& [id, claims] : doc.at("cases").items()) {
    const std::string where = "cases." + Shorten(id);
    if (!matrix.Find(id)) {
      return Invalid(origin, where,
                     "no such case in matrix \"" + matrix.name + "\" (" + matrix.path + ")");
    }
    if (!claims.is_object() || claims.empty()) {
      return Invalid(origin, where, "must be a non-empty object keyed by claim");
    }
    std::vector<Expectation>& list = table.cases[id];
    for (const auto& [claim, body] : claims.items()) {
      const ClaimInfo* info = FindClaim(claim);
      if (!info) {
        return Invalid(origin, where + "." + Shorten(claim),
                       "unknown claim (see the vocabulary in doc/results-format.md)");
      }
      auto e = ParseExpectation(origin, where + "." + claim, *info, body);
      if (!e.ok()) return e.error();
      list.push_back(std::move(e).value());
    }
    std::sort(list.begin(), list.end(), [](const Expectation& a, const Expectation& b) {
      return ClaimOrder(a.claim) < ClaimOrder(b.claim);
    });
  }
  return table;
}

Result<ExpectedTable> LoadExpectedTable(const std::string& path, const Matrix& matrix) {
  DuplicateKeyGuard guard;
  auto doc = LoadJsonFile(path, std::ref(guard));
  if (!doc.ok()) return doc.error();
  if (!guard.duplicate.empty()) {
    return MakeError(ErrorCode::kInvalidInput, path + ": duplicate key \"" +
                                                   Shorten(guard.duplicate) +
                                                   "\" (JSON would keep only the last)");
  }
  return ParseExpectedTable(*doc, path, matrix);
}

Result<std::vector<ExpectedTable>> LoadExpectedDir(const std::string& dir, const Matrix& matrix) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return MakeError(ErrorCode::kNotFound, dir + ": not a directory");
  }
  // Every *.json entry but a directory is a table: one that cannot be read
  // (a symlink loop, a dangling link, a FIFO) is LoadJsonFile's clear
  // error naming it, never skipped in silence. The error_code overloads
  // throughout: the throwing ones aborted on a symlink loop.
  std::vector<std::string> paths;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->path().extension() == ".json" && !it->is_directory(type_ec))
      paths.push_back(it->path().string());
  }
  if (ec) return MakeError(ErrorCode::kFailed, dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) return MakeError(ErrorCode::kNotFound, dir + ": no *.json expected tables");

  std::vector<ExpectedTable> tables;
  for (const std::string& path : paths) {
    auto table = LoadExpectedTable(path, matrix);
    if (!table.ok()) return table.error();
    tables.push_back(std::move(table).value());
  }
  std::sort(tables.begin(), tables.end(),
            [](const ExpectedTable& a, const ExpectedTable& b) { return a.family < b.family; });
  return tables;
}

}  // namespace lingerlab

#include "suite/report/json_output.h"

#include <set>

namespace lingerlab {
using nlohmann::json;

namespace {

// A field of a case document as a script should see it: the value when it
// has the expected type, else null (documents come from files: CheckJson
// runs after CheckResultsDoc, but a wrong-typed optional field must not throw).
json StringOrNull(const json& doc, const char* key) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? *it : json(nullptr);
}

}  // namespace

json ListJson(const Matrix& matrix) {
  json cases = json::array();
  for (const MatrixCase& c : matrix.cases)
    cases.push_back(
        {{"id", c.id}, {"name", c.name}, {"attributes", CaseAttributes(c, kVariantBlockingClose)}});
  return {{"format", kListJsonFormat},
          {"matrix", matrix.path},
          {"name", matrix.name},
          {"title", matrix.title},
          {"cases", std::move(cases)}};
}

json CheckJson(const json& results, const std::string& path) {
  json cases = json::array();
  const json empty = json::object();
  auto list = results.find("cases");
  if (list != results.end() && list->is_array()) {
    for (const json& c : *list) {
      if (!c.is_object()) continue;
      const json& verdict =
          c.contains("verdict") && c["verdict"].is_object() ? c["verdict"] : empty;
      json failed = json::array();
      if (auto checks = verdict.find("checks"); checks != verdict.end() && checks->is_array())
        for (const json& check : *checks)
          if (check.is_object() && check.value("result", "") != "pass") failed.push_back(check);
      json claims = nullptr;
      if (auto o = c.find("outcome"); o != c.end() && o->is_object())
        if (auto cl = o->find("claims"); cl != o->end() && cl->is_object()) claims = *cl;
      cases.push_back({{"id", StringOrNull(c, "id")},
                       {"name", StringOrNull(c, "name")},
                       {"status", StringOrNull(c, "status")},
                       {"verdict", StringOrNull(verdict, "status")},
                       {"family", StringOrNull(verdict, "family")},
                       {"error", StringOrNull(c, "error")},
                       {"claims", std::move(claims)},
                       {"not_passed", std::move(failed)}});
    }
  }
  return {{"format", kCheckJsonFormat},
          {"results", path},
          {"summary", results.contains("summary") ? results["summary"] : json::object()},
          {"cases", std::move(cases)}};
}

json DiffJson(const std::vector<ClaimChange>& changes, const std::string& base_path,
              const std::string& new_path, size_t compared) {
  json list = json::array();
  std::set<std::string> changed_cases;
  for (const ClaimChange& ch : changes) {
    changed_cases.insert(ch.case_id);
    list.push_back({{"case", ch.case_id},
                    {"what", ch.what},
                    {"base", ch.base},
                    {"new", ch.now},
                    {"note", ch.note}});
  }
  return {{"format", kDiffJsonFormat},
          {"base", base_path},
          {"new", new_path},
          {"compared_cases", compared},
          {"changed_cases", changed_cases.size()},
          {"changes", std::move(list)}};
}

}  // namespace lingerlab

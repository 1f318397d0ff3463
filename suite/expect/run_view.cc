#include "suite/expect/run_view.h"

#include <cstdio>
#include <initializer_list>

#include "suite/expect/compare.h"
#include "suite/expect/results_doc.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// doc[a][b]... as a string, or "" when any step is missing or not a string.
std::string StringAt(const json& doc, std::initializer_list<const char*> path) {
  const json* j = &doc;
  for (const char* key : path) {
    if (!j->is_object() || !j->contains(key)) return "";
    j = &j->at(key);
  }
  return j->is_string() ? j->get<std::string>() : "";
}

json ClaimsOf(const json& c) {
  if (c.contains("outcome") && c.at("outcome").is_object() && c.at("outcome").contains("claims") &&
      c.at("outcome").at("claims").is_object())
    return c.at("outcome").at("claims");
  return json::object();
}

// The case's verdict against the run's table, recomputed from its claims.
json Verdict(const json& c, const std::string& id, const json& claims, const RunView& run) {
  return CompareCase(*run.table, id, claims, CaseAppliedLinger(c),
                     CaseCompareOptions(c, run.time_scale));
}

}  // namespace

RunView MakeRunView(const json& doc, const std::vector<ExpectedTable>& tables) {
  RunView run;
  static const json kNone = json::object();
  const json* platform = RunPlatform(doc);
  const std::string os = StringAt(platform ? *platform : kNone, {"os"});
  const std::string release = StringAt(platform ? *platform : kNone, {"release"});
  const std::string target = StringAt(doc, {"environment", "target"});
  run.time_scale = RunTimeScale(doc);
  char scale[32];
  std::snprintf(scale, sizeof scale, "%g", run.time_scale);
  run.label = (os.empty() ? std::string("unknown platform") : os) +
              (release.empty() ? "" : " " + release) + ", " +
              (target.empty() ? std::string("unknown target") : target) + ", time scale " + scale;

  run.family = RunFamily(doc);
  for (const ExpectedTable& t : tables) {
    if (t.family == run.family) run.table = &t;
  }

  if (!doc.contains("cases") || !doc.at("cases").is_array()) return run;
  for (const json& c : doc.at("cases")) {
    RunCase rc;
    rc.id = StringAt(c, {"id"});
    if (rc.id.empty()) continue;
    rc.status = StringAt(c, {"status"});
    rc.error = StringAt(c, {"error"});
    rc.claims = ClaimsOf(c);
    if (run.cases.count(rc.id)) continue;  // a later repetition: in `stability`
    if (rc.status != "error" && run.table) rc.verdict = Verdict(c, rc.id, rc.claims, run);
    run.cases[rc.id] = std::move(rc);
  }
  run.repeat = RunRepeat(doc);
  if (run.repeat > 1) {
    const VerdictOf verdict_of = [&run](const json& c) {
      if (!run.table) return std::string();
      const json v = Verdict(c, StringAt(c, {"id"}), ClaimsOf(c), run);
      return StringAt(v, {"status"});
    };
    for (CaseStability& s : RunStability(doc, verdict_of)) {
      const std::string id = s.id;
      run.stability[id] = std::move(s);
    }
  }
  return run;
}

}  // namespace lingerlab

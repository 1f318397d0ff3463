#include "suite/report/run_grid.h"

#include <algorithm>
#include <set>

#include "suite/expect/claims.h"
#include "suite/expect/results_doc.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// The case's verdict as `diff` sees it after re-analysis (Analyzer): "error"
// for a case that did not complete, "no-expectation" without a table, else
// the verdict the report computed against the run's family.
json VerdictAsDiffSeesIt(const RunView& run, const RunCase& rc) {
  if (rc.status != "completed") return {{"status", "error"}};
  if (!run.table || !rc.verdict.is_object()) return {{"status", "no-expectation"}};
  return rc.verdict;
}

// `doc` with each case's verdict replaced as above: the input DiffRuns gets.
json ComparableDoc(const json& doc, const RunView& run) {
  json out = doc;
  if (!out.is_object() || !out.contains("cases") || !out["cases"].is_array()) return out;
  for (json& c : out["cases"]) {
    if (!c.is_object() || !c.contains("id") || !c["id"].is_string()) continue;
    auto it = run.cases.find(c["id"].get<std::string>());
    if (it != run.cases.end()) c["verdict"] = VerdictAsDiffSeesIt(run, it->second);
  }
  return out;
}

std::string ValueText(const json& v) { return v.is_null() ? "(absent)" : ClaimValueText(v); }

// Claim names in the vocabulary's order, then unknown ones by name.
std::vector<std::string> ClaimOrder(const json& claims, const json& checks,
                                    const std::vector<ClaimChange>& changes) {
  std::set<std::string> names;
  if (claims.is_object())
    for (auto& [k, v] : claims.items()) names.insert(k);
  if (checks.is_array())
    for (const json& c : checks)
      if (c.contains("claim") && c["claim"].is_string())
        names.insert(c["claim"].get<std::string>());
  for (const ClaimChange& c : changes)
    if (IsKnownClaim(c.what) || (claims.is_object() && claims.contains(c.what)))
      names.insert(c.what);
  std::vector<std::string> out;
  for (const ClaimInfo& info : AllClaims())
    if (names.erase(info.name)) out.push_back(info.name);
  out.insert(out.end(), names.begin(), names.end());
  return out;
}

GridCell CellOf(const ReportModel& m, size_t r, const std::string& id,
                std::vector<ClaimChange> changes) {
  GridCell cell;
  cell.changes = std::move(changes);
  auto it = m.runs[r].cases.find(id);
  if (it == m.runs[r].cases.end()) return cell;
  const RunCase& rc = it->second;
  cell.present = true;
  cell.status = VerdictAsDiffSeesIt(m.runs[r], rc).value("status", "");
  cell.error = rc.error;
  static const json kNoChecks = json::array();
  const json& checks =
      rc.verdict.is_object() && rc.verdict.contains("checks") ? rc.verdict["checks"] : kNoChecks;
  for (const std::string& name : ClaimOrder(rc.claims, checks, cell.changes)) {
    GridClaim g;
    g.claim = name;
    const bool measured = rc.claims.contains(name);
    g.text = measured ? name + "=" + ClaimValueText(rc.claims[name]) : name + ": not observed";
    for (const json& c : checks)
      if (c.value("claim", "") == name) g.check = c.value("result", "");
    if (g.check == "deviation")
      for (const ReportDeviation& d : m.deviations)
        if (d.run == r && d.case_id == id && d.claim == name) g.deviation = d.number;
    for (const ClaimChange& c : cell.changes)
      if (c.what == name) {
        g.changed = true;
        g.base = ValueText(c.base);
      }
    cell.claims.push_back(std::move(g));
  }
  return cell;
}

std::vector<ClaimChange> ChangesOf(const std::vector<ClaimChange>& all, const std::string& id) {
  std::vector<ClaimChange> out;
  for (const ClaimChange& c : all)
    if (c.case_id == id) out.push_back(c);
  return out;
}

}  // namespace

RunGrid BuildRunGrid(const ReportModel& m, const std::vector<json>& docs) {
  RunGrid grid;
  const size_t n = std::min(m.runs.size(), docs.size());
  std::vector<std::string> order;
  for (const MatrixCase& mc : m.matrix->cases) order.push_back(mc.id);
  std::vector<json> comparable;
  for (size_t r = 0; r < n; ++r) comparable.push_back(ComparableDoc(docs[r], m.runs[r]));
  // diffs[a][b]: `lingerlab diff Ra Rb`, for a < b.
  std::vector<std::vector<std::vector<ClaimChange>>> diffs(
      n, std::vector<std::vector<ClaimChange>>(n));
  for (size_t a = 0; a < n; ++a)
    for (size_t b = a + 1; b < n; ++b) diffs[a][b] = DiffRuns(comparable[a], comparable[b], order);

  grid.changed_vs_base.resize(n);
  for (const MatrixCase& mc : m.matrix->cases) {
    GridRow row{mc.id, mc.name, {}, {}};
    for (size_t r = 0; r < n; ++r)
      row.cells.push_back(
          CellOf(m, r, mc.id, r == 0 ? std::vector<ClaimChange>{} : ChangesOf(diffs[0][r], mc.id)));
    for (size_t a = 0; a < n; ++a)
      for (size_t b = a + 1; b < n; ++b)
        if (std::vector<ClaimChange> c = ChangesOf(diffs[a][b], mc.id); !c.empty())
          row.pairs.push_back({a, b, std::move(c)});
    for (size_t r = 1; r < n; ++r)
      if (!row.cells[r].changes.empty()) grid.changed_vs_base[r].push_back(mc.id);
    grid.rows.push_back(std::move(row));
  }
  return grid;
}

std::vector<std::string> PairSummaries(const GridRow& row) {
  std::vector<std::string> out;
  for (const RunPairChanges& p : row.pairs) {
    std::string line = RunName(p.b) + " vs " + RunName(p.a) + ":";
    std::vector<std::string> seen;
    for (const ClaimChange& c : p.changes) {
      if (std::find(seen.begin(), seen.end(), c.what) != seen.end()) continue;
      line += (seen.empty() ? " " : ", ") + c.what;
      seen.push_back(c.what);
    }
    out.push_back(line);
  }
  return out;
}

std::string RunEnvironmentLabel(const json& doc) {
  auto text = [](const json& obj, const char* key) {
    return obj.is_object() && obj.contains(key) && obj[key].is_string()
               ? obj[key].get<std::string>()
               : std::string();
  };
  static const json kNone = json::object();
  const json& env = doc.is_object() && doc.contains("environment") ? doc["environment"] : kNone;
  const json* platform = RunPlatform(doc);
  std::string os = platform ? text(*platform, "os") : "";
  const std::string release = platform ? text(*platform, "release") : "";
  if (!release.empty()) os += (os.empty() ? "" : " ") + release;
  std::string out;
  for (const std::string& part : {text(env, "target"), text(env, "stack"), os})
    if (!part.empty()) out += (out.empty() ? "" : " · ") + part;
  return out.empty() ? "unknown environment" : out;
}

}  // namespace lingerlab

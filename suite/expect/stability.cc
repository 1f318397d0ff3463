#include "suite/expect/stability.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "suite/classify/json_fields.h"
#include "suite/expect/claims.h"
#include "suite/expect/results_doc.h"
#include "suite/expect/run_diff.h"

namespace lingerlab {
namespace {

using json = nlohmann::json;

using classify::FieldOrNull;

// Distinct values with counts, most frequent first, ties in first-seen order.
std::vector<ValueCount> Count(const std::vector<json>& values) {
  std::vector<ValueCount> out;
  for (const json& v : values) {
    auto it =
        std::find_if(out.begin(), out.end(), [&](const ValueCount& c) { return c.value == v; });
    if (it == out.end())
      out.push_back({v, 1});
    else
      ++it->count;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ValueCount& a, const ValueCount& b) { return a.count > b.count; });
  return out;
}

std::string ValueText(const json& v) { return v.is_null() ? "(absent)" : ClaimValueText(v); }

std::string NumberText(double d, bool integer) {
  char buf[32];
  if (integer)
    std::snprintf(buf, sizeof buf, "%.0f", d);
  else
    std::snprintf(buf, sizeof buf, "%.3g", d);
  return buf;
}

ClaimStability AggregateClaim(const std::string& name, const std::vector<const json*>& docs) {
  ClaimStability s;
  s.claim = name;
  std::vector<json> values;
  for (const json* d : docs) values.push_back(FieldOrNull(ClaimsOfCase(*d), name));
  s.values = Count(values);
  s.varies = s.values.size() > 1;
  s.numeric =
      std::all_of(values.begin(), values.end(), [](const json& v) { return v.is_number(); });
  if (s.numeric && !values.empty()) {
    s.min = s.max = values[0].get<double>();
    for (const json& v : values) {
      s.min = std::min(s.min, v.get<double>());
      s.max = std::max(s.max, v.get<double>());
    }
  }
  if (!s.varies) return s;
  const ClaimInfo* info = FindClaim(name);
  if (info && info->time_valued && s.numeric) {
    double tolerance = 0;
    s.finding = !SameTimeValue(s.min, s.max, &tolerance);
    char note[64];
    std::snprintf(note, sizeof note, "%s %.3g s", s.finding ? "beyond" : "within", tolerance);
    s.note = note;
    return s;
  }
  // A claim absent in some completed repetitions is never a race.
  std::set<std::string> classes;
  for (const json* d : docs) classes.insert(RaceClass(*d, name).dump());
  const bool some_absent =
      std::any_of(values.begin(), values.end(), [](const json& v) { return v.is_null(); });
  if (!some_absent && classes.size() == 1) {
    s.note = "race: " + ValueText(RaceClass(*docs[0], name));
  } else {
    s.finding = true;
    s.note = "finding";
  }
  return s;
}

}  // namespace

int CaseStability::Findings() const {
  int n = verdict_varies ? 1 : 0;
  for (const ClaimStability& c : claims) n += c.finding ? 1 : 0;
  return n;
}

CaseStability AggregateRepetitions(const std::vector<const json*>& repetitions,
                                   const VerdictOf& verdict_of) {
  CaseStability out;
  out.repetitions = static_cast<int>(repetitions.size());
  if (!repetitions.empty() && FieldOrNull(*repetitions[0], "id").is_string())
    out.id = (*repetitions[0])["id"].get<std::string>();
  std::vector<const json*> done;
  for (const json* d : repetitions)
    if (FieldOrNull(*d, "status") == "completed") done.push_back(d);
  out.completed = static_cast<int>(done.size());
  if (done.empty()) return out;

  std::vector<json> verdicts;
  for (const json* d : done) {
    if (verdict_of) {
      verdicts.push_back(verdict_of(*d));
    } else {
      const json& v = FieldOrNull(FieldOrNull(*d, "verdict"), "status");
      verdicts.push_back(v.is_string() ? v : json(""));
    }
  }
  out.verdicts = Count(verdicts);
  out.verdict_varies = out.verdicts.size() > 1;

  // Every claim any completed repetition has: the vocabulary's order, then
  // unknown ones (a newer classifier's) by name.
  std::set<std::string> present;
  for (const json* d : done)
    if (ClaimsOfCase(*d).is_object())
      for (auto& [k, v] : ClaimsOfCase(*d).items()) present.insert(k);
  std::vector<std::string> names;
  for (const ClaimInfo& c : AllClaims())
    if (present.erase(c.name)) names.push_back(c.name);
  names.insert(names.end(), present.begin(), present.end());
  for (const std::string& name : names) out.claims.push_back(AggregateClaim(name, done));
  return out;
}

std::vector<std::pair<std::string, std::vector<const json*>>> GroupRepetitions(
    const json& results_doc) {
  std::vector<std::pair<std::string, std::vector<const json*>>> out;
  std::map<std::string, size_t> at;
  const json& cases = FieldOrNull(results_doc, "cases");
  if (!cases.is_array()) return out;
  for (const json& c : cases) {
    if (!FieldOrNull(c, "id").is_string()) continue;
    const std::string id = c["id"].get<std::string>();
    auto [it, inserted] = at.emplace(id, out.size());
    if (inserted) out.push_back({id, {}});
    out[it->second].second.push_back(&c);
  }
  return out;
}

std::vector<CaseStability> RunStability(const json& results_doc, const VerdictOf& verdict_of) {
  std::vector<CaseStability> out;
  for (const auto& [id, docs] : GroupRepetitions(results_doc))
    out.push_back(AggregateRepetitions(docs, verdict_of));
  return out;
}

int RunRepeat(const json& results_doc) {
  const json& r = FieldOrNull(FieldOrNull(results_doc, "environment"), "repeat");
  return r.is_number_integer() && r.get<int64_t>() > 1 ? static_cast<int>(r.get<int64_t>()) : 1;
}

std::string StabilityText(const ClaimStability& c, int completed) {
  const std::string of = "/" + std::to_string(completed);
  std::string parts;
  for (const ValueCount& v : c.values)
    parts += (parts.empty() ? "" : ", ") + ValueText(v.value) + " " + std::to_string(v.count) + of;
  if (c.numeric && c.varies) {
    const ClaimInfo* info = FindClaim(c.claim);
    const bool integer = !(info && info->time_valued);
    // Durations under a second read better in milliseconds.
    const double unit = !integer && c.max < 1.0 ? 1000.0 : 1.0;
    const std::string range = NumberText(c.min * unit, integer) + "–" +
                              NumberText(c.max * unit, integer) +
                              (integer    ? ""
                               : unit > 1 ? " ms"
                                          : " s");
    // Durations differ in every repetition: the range says it all.
    if (!integer) return c.claim + ": " + range;
    return c.claim + ": " + range + " (" + parts + ")";
  }
  return c.claim + ": " + parts;
}

std::vector<std::string> VariationLines(const CaseStability& s, bool durations) {
  std::vector<std::string> out;
  if (s.verdict_varies) {
    std::string parts;
    for (const ValueCount& v : s.verdicts)
      parts += (parts.empty() ? "" : ", ") + ValueText(v.value) + " " + std::to_string(v.count) +
               "/" + std::to_string(s.completed);
    out.push_back("verdict: " + parts + " FINDING");
  }
  for (const ClaimStability& c : s.claims) {
    if (!c.varies) continue;
    const bool race = c.note.rfind("race", 0) == 0;
    if (!durations && !c.finding && !race) continue;
    std::string tag = c.finding ? " FINDING" : race ? " (race)" : " (" + c.note + ")";
    out.push_back(StabilityText(c, s.completed) + tag);
  }
  return out;
}

void AddStabilitySummary(json& results_doc, const VerdictOf& verdict_of) {
  if (RunRepeat(results_doc) <= 1 || !results_doc.contains("summary") ||
      !results_doc["summary"].is_object())
    return;
  int unstable = 0;
  for (const CaseStability& s : RunStability(results_doc, verdict_of))
    unstable += s.Findings() > 0 ? 1 : 0;
  results_doc["summary"]["unstable"] = unstable;
}

}  // namespace lingerlab

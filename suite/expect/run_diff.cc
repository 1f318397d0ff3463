#include "suite/expect/run_diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "suite/classify/json_fields.h"
#include "suite/classify/thresholds.h"
#include "suite/expect/claims.h"
#include "suite/expect/results_doc.h"
#include "suite/expect/stability.h"

namespace lingerlab {
namespace {

using json = nlohmann::json;

using classify::FieldOrNull;

std::string Short(const json& v) {
  if (v.is_null()) return "(absent)";
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v.get<double>());
    return buf;
  }
  return v.dump();
}

}  // namespace

bool SameTimeValue(double a, double b, double* tolerance) {
  *tolerance = std::max(kLingerToleranceMinS, kLingerToleranceFraction * std::max(a, b));
  return std::fabs(a - b) <= *tolerance;
}

json RaceClass(const json& case_doc, const std::string& claim) {
  const json& claims = ClaimsOfCase(case_doc);
  const json& v = FieldOrNull(claims, claim.c_str());
  if (claim == "client_bytes") {
    if (!v.is_number_integer()) return v;
    const json& all =
        FieldOrNull(FieldOrNull(FieldOrNull(case_doc, "parameters"), "applied"), "payload_bytes");
    const int64_t got = v.get<int64_t>();
    if (got == 0) return "none";
    if (all.is_number_integer() && got == all.get<int64_t>()) return "all";
    return "some";
  }
  if (claim == "close_ended_by" || claim == "close_blocks") {
    const json& blocked = FieldOrNull(claims, "close_blocked_s");
    const json& ended = FieldOrNull(claims, "close_ended_by");
    const bool quick = blocked.is_number() && blocked.get<double>() < kImmediateCloseS &&
                       (ended == "immediate" || ended == "peer_acked");
    if (quick) return "returned at once";
  }
  return v;
}

bool SameClaimValue(const json& base, const json& now, const std::string& claim) {
  // Equal values are equal whatever their class: the class of a close()
  // depends on its duration, and two identical "peer_acked" returns on
  // either side of the 50 ms line must not differ.
  if (FieldOrNull(ClaimsOfCase(base), claim.c_str()) ==
      FieldOrNull(ClaimsOfCase(now), claim.c_str()))
    return true;
  return RaceClass(base, claim) == RaceClass(now, claim);
}

std::vector<ClaimChange> DiffCase(const json& base, const json& now) {
  std::vector<ClaimChange> out;
  const std::string id =
      FieldOrNull(base, "id").is_string() ? FieldOrNull(base, "id").get<std::string>() : "?";
  auto add = [&](std::string what, json b, json n, std::string note) {
    out.push_back({id, std::move(what), std::move(b), std::move(n), std::move(note)});
  };
  if (FieldOrNull(base, "status") != FieldOrNull(now, "status"))
    add("status", FieldOrNull(base, "status"), FieldOrNull(now, "status"), "");

  // Every claim either side has, in the vocabulary's order, then unknown
  // ones (a newer classifier's) by name.
  std::vector<std::string> names;
  for (const ClaimInfo& c : AllClaims()) names.push_back(c.name);
  std::set<std::string> extra;
  for (const json* side : {&ClaimsOfCase(base), &ClaimsOfCase(now)})
    if (side->is_object())
      for (auto& [k, v] : side->items())
        if (!IsKnownClaim(k)) extra.insert(k);
  names.insert(names.end(), extra.begin(), extra.end());

  for (const std::string& name : names) {
    const json& b = FieldOrNull(ClaimsOfCase(base), name.c_str());
    const json& n = FieldOrNull(ClaimsOfCase(now), name.c_str());
    if (b.is_null() && n.is_null()) continue;
    const ClaimInfo* info = FindClaim(name);
    if (info && info->time_valued && b.is_number() && n.is_number()) {
      double tol = 0;
      if (!SameTimeValue(b.get<double>(), n.get<double>(), &tol)) {
        char note[64];
        std::snprintf(note, sizeof note, "differs by more than %.3g s", tol);
        add(name, b, n, note);
      }
      continue;
    }
    if (SameClaimValue(base, now, name)) continue;
    const json bc = RaceClass(base, name), nc = RaceClass(now, name);
    if (bc != b || nc != n)
      add(name, b, n, "by class: " + Short(bc) + " -> " + Short(nc));
    else
      add(name, b, n, "");
  }
  const json& bv = FieldOrNull(FieldOrNull(base, "verdict"), "status");
  const json& nv = FieldOrNull(FieldOrNull(now, "verdict"), "status");
  if (bv != nv) add("verdict", bv, nv, "");
  return out;
}

namespace {

// One side of a repeated case: its documents, the completed ones, and per
// claim the distinct values and race classes they gave.
struct Side {
  std::vector<const json*> docs, completed;
  json Distinct(const std::function<json(const json&)>& of, bool completed_only) const {
    json out = json::array();
    for (const json* d : completed_only ? completed : docs) {
      json v = of(*d);
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

Side MakeSide(const std::vector<const json*>& docs) {
  Side s;
  s.docs = docs;
  for (const json* d : docs)
    if (FieldOrNull(*d, "status") == "completed") s.completed.push_back(d);
  return s;
}

// The changes of a case with several documents on either side (a --repeat
// run): each claim as the set of values its completed repetitions gave --
// the same set, or the same set of race classes, is no change; durations
// as ranges that overlap within the tolerance -- and the sets of verdicts
// and statuses. Repeat counts may differ: only which values occur counts.
std::vector<ClaimChange> DiffRepeatedCase(const std::string& id, const Side& base,
                                          const Side& now) {
  std::vector<ClaimChange> out;
  const std::string note = "over " + std::to_string(base.docs.size()) + " and " +
                           std::to_string(now.docs.size()) + " repetitions";
  auto add = [&](std::string what, json b, json n, std::string extra) {
    out.push_back({id, std::move(what), std::move(b), std::move(n),
                   note + (extra.empty() ? "" : ", " + extra)});
  };
  auto status = [](const json& d) { return FieldOrNull(d, "status"); };
  if (base.Distinct(status, false) != now.Distinct(status, false))
    add("status", base.Distinct(status, false), now.Distinct(status, false), "");

  std::vector<std::string> names;
  for (const ClaimInfo& c : AllClaims()) names.push_back(c.name);
  std::set<std::string> extra;
  for (const Side* side : {&base, &now})
    for (const json* d : side->completed)
      if (ClaimsOfCase(*d).is_object())
        for (auto& [k, v] : ClaimsOfCase(*d).items())
          if (!IsKnownClaim(k)) extra.insert(k);
  names.insert(names.end(), extra.begin(), extra.end());

  for (const std::string& name : names) {
    auto value = [&](const json& d) { return FieldOrNull(ClaimsOfCase(d), name.c_str()); };
    auto race_class = [&](const json& d) { return RaceClass(d, name); };
    const json bv = base.Distinct(value, true), nv = now.Distinct(value, true);
    if (bv == nv || (bv == json::array({nullptr}) && nv.empty()) ||
        (nv == json::array({nullptr}) && bv.empty()))
      continue;
    const ClaimInfo* info = FindClaim(name);
    auto all_numbers = [](const json& a) {
      return !a.empty() &&
             std::all_of(a.begin(), a.end(), [](const json& v) { return v.is_number(); });
    };
    if (info && info->time_valued && all_numbers(bv) && all_numbers(nv)) {
      const double bmin = bv.front().get<double>(), bmax = bv.back().get<double>();
      const double nmin = nv.front().get<double>(), nmax = nv.back().get<double>();
      double tol = 0;
      SameTimeValue(std::max(bmax, nmax), std::max(bmax, nmax), &tol);
      if (nmin <= bmax + tol && nmax >= bmin - tol) continue;  // the ranges overlap
      char what[64];
      std::snprintf(what, sizeof what, "ranges apart by more than %.3g s", tol);
      add(name, json::array({bmin, bmax}), json::array({nmin, nmax}), what);
      continue;
    }
    const json bc = base.Distinct(race_class, true), nc = now.Distinct(race_class, true);
    if (bc == nc) continue;
    add(name, bv, nv, bc != bv || nc != nv ? "by class: " + bc.dump() + " -> " + nc.dump() : "");
  }
  auto verdict = [](const json& d) { return FieldOrNull(FieldOrNull(d, "verdict"), "status"); };
  if (base.Distinct(verdict, true) != now.Distinct(verdict, true))
    add("verdict", base.Distinct(verdict, true), now.Distinct(verdict, true), "");
  return out;
}

}  // namespace

std::vector<ClaimChange> DiffRuns(const json& base_doc, const json& new_doc,
                                  const std::vector<std::string>& order) {
  auto by_id = [](const json& doc) {
    std::map<std::string, std::vector<const json*>> m;
    for (auto& [id, docs] : GroupRepetitions(doc)) m[id] = docs;
    return m;
  };
  const auto base = by_id(base_doc), now = by_id(new_doc);
  std::vector<ClaimChange> out;
  for (const std::string& id : order) {
    auto b = base.find(id), n = now.find(id);
    if (b == base.end() && n == now.end()) continue;
    if (b == base.end() || n == now.end()) {
      out.push_back({id, "case", b == base.end() ? json() : json("present"),
                     n == now.end() ? json() : json("present"), "run in one file only"});
      continue;
    }
    // One document on each side: the single-run comparison, as before --repeat.
    std::vector<ClaimChange> changes =
        b->second.size() == 1 && n->second.size() == 1
            ? DiffCase(*b->second[0], *n->second[0])
            : DiffRepeatedCase(id, MakeSide(b->second), MakeSide(n->second));
    for (ClaimChange& c : changes) out.push_back(std::move(c));
  }
  return out;
}

std::string FormatChange(const ClaimChange& c) {
  std::string line = c.case_id + " " + c.what + ": " + Short(c.base) + " -> " + Short(c.now);
  if (!c.note.empty()) line += " (" + c.note + ")";
  return line;
}

}  // namespace lingerlab

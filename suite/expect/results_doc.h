// Reading a results document (doc/results-format.md): the one place that says
// where a result's platform, family and time scale come from, and the shape
// check every reader of a saved file (`check`, `report`) runs first.
//
// The platform and family of a result come from the agents' hellos
// (cases[].agents.server.platform), never from the coordinator's host
// (environment.host). The time scale of a run is environment.time_scale; a
// case's parameters.time_scale must equal it (CheckResultsDoc), so there is
// one value, not several that may disagree.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "suite/expect/compare.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

// cases[].agents.server.platform of one case, or nullptr when it has none.
const nlohmann::json* ServerPlatform(const nlohmann::json& case_doc);

// The family (agents.server.platform.family) and OS (.os, "FreeBSD") of one
// case; "" when absent or not a string.
std::string CaseFamily(const nlohmann::json& case_doc);
// The case's outcome.claims, or a shared null when the case has none.
const nlohmann::json& ClaimsOfCase(const nlohmann::json& case_doc);
std::string CaseHostOs(const nlohmann::json& case_doc);

// The options a case's verdict is computed with: the run's time scale, the
// server's OS (for `only`), and why the case has no capture when its
// capture says `"available": false` (then claims that need packets are
// not-comparable), and the case's stack fault (then claims it left
// unobserved are not-comparable, and the verdict gives it as its reason).
CompareOptions CaseCompareOptions(const nlohmann::json& case_doc, double time_scale);

// parameters.applied.linger_s of one case (what the run set, after
// --time-scale), or 0 when absent or not a number.
double CaseAppliedLinger(const nlohmann::json& case_doc);

// The server platform of the first case that reported one, or nullptr.
const nlohmann::json* RunPlatform(const nlohmann::json& results_doc);

// The family a run's verdicts are computed for: environment.expect_family
// (set by --expect), else the family of RunPlatform; "" when neither exists.
std::string RunFamily(const nlohmann::json& results_doc);

// environment.time_scale; 1 when absent (a document CheckResultsDoc accepted
// always has it).
double RunTimeScale(const nlohmann::json& results_doc);

// `run --repeat N` runs every case at most this many times; environment.repeat
// and a case's "repetition" are checked against it.
constexpr int kMaxRepeat = 1000;

// Checks every field `check` and `report` read, before they read it: format,
// environment (an object with a finite time_scale in (0, 100], optional
// string expect_family, target, optional integer repeat in [1, kMaxRepeat]), cases (objects with a
// string id that is a case of `matrix`, name, status "completed" or "error", error string or null,
// optional integer repetition in [1, environment.repeat], parameters whose time_scale equals the
// environment's, agents' platform fields as strings, event lists of objects with a string step,
// packets with t, dir, flags, seq, ack and len, outcome claims of the
// vocabulary with values of their type). kInvalidInput "<path>: <field>: <what>" on the first
// problem.
Status CheckResultsDoc(const nlohmann::json& doc, const std::string& path, const Matrix& matrix);

// LoadJsonFile (bounded size and depth) + CheckResultsDoc.
Result<nlohmann::json> LoadResultsFile(const std::string& path, const Matrix& matrix);

}  // namespace lingerlab

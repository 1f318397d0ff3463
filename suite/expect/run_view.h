// One results document (doc/results-format.md) as the report needs it: a
// label for its host, its family's expected table, and each case's observed
// claims with a verdict recomputed against the current expected files.
//
// Recomputing (rather than reading the stored `verdict`) keeps the report's
// marks consistent with the expected tables it prints beside them. Platform,
// family and time scale are read by results_doc.h (the agents' platform,
// never the coordinator's host). Missing or malformed fields never fail:
// they fall back to "unknown" / no claims, and a family without an expected
// table gets no verdicts.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/expect/expected_table.h"
#include "suite/expect/stability.h"

namespace lingerlab {

struct RunCase {
  std::string id;
  std::string status;  // "completed" | "error" (as recorded)
  std::string error;   // the reason, when status is "error"
  nlohmann::json claims = nlohmann::json::object();
  nlohmann::json verdict;  // CompareCase's result; null for an error case or without a table
};

struct RunView {
  std::string label;   // "Linux 6.1.0, netns, time scale 0.05" (the server agent's platform)
  std::string family;  // RunFamily: environment.expect_family, else the server agent's family
  double time_scale = 1.0;
  const ExpectedTable* table = nullptr;  // into the `tables` given to MakeRunView
  // By case id. A --repeat run: the case's first repetition (its other
  // repetitions are summed up in `stability`).
  std::map<std::string, RunCase> cases;
  int repeat = 1;  // RunRepeat: environment.repeat
  // repeat > 1: each case's stability over its repetitions, verdicts
  // recomputed as for `cases`; empty otherwise.
  std::map<std::string, CaseStability> stability;
};

RunView MakeRunView(const nlohmann::json& results_doc, const std::vector<ExpectedTable>& tables);

}  // namespace lingerlab

// Analysis of finished cases: classification (suite/classify) and comparison
// with the expected table of a platform family (suite/expect). Shared by
// `run` (as each case finishes) and `check` (on a saved file).
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "suite/expect/expected_table.h"

namespace lingerlab {

class Analyzer {
 public:
  // `tables`: every family's expected table. `forced_family`: --expect, or
  // "" to use the family each case's agent reported.
  Analyzer(std::vector<ExpectedTable> tables, std::string forced_family);

  // Adds "outcome" and "verdict" to a case document, compared with the table
  // of --expect or else of the server agent's family (CaseFamily). `time_scale`
  // is the run's (RunOptions::time_scale, environment.time_scale of a saved
  // file) for both classification and comparison. Cases that did not
  // complete, and documents too malformed to analyse, get verdict "error"
  // with the reason. Never throws.
  void Analyze(nlohmann::json& case_doc, double time_scale) const;

 private:
  void AnalyzeUnchecked(nlohmann::json& case_doc, double time_scale) const;

  std::map<std::string, ExpectedTable> tables_;
  std::string forced_family_;
};

}  // namespace lingerlab

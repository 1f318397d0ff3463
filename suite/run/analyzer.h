// Analysis of finished cases: classification (suite/classify) and comparison
// with the expected table of a platform family (suite/expect). Shared by the
// run pipeline (as each case finishes) and by `check` and `diff` (on saved
// files). The Analyzer owns its expected tables; it changes only the case
// document it is handed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "suite/expect/expected_table.h"
#include "suite/matrix/matrix.h"

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

// An Analyzer over the expected tables of `expected_dir` (--expected-dir,
// "": the matrix's own, ExpectedDirFor) validated against `matrix`.
// `family` (--expect) must name one of those tables; "" compares each case
// with its agent's family. A bad table or an unknown family is kInvalidInput.
Result<Analyzer> MakeAnalyzer(const std::string& expected_dir, const std::string& family,
                              const Matrix& matrix);

}  // namespace lingerlab

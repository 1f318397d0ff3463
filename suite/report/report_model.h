// What every report over results files shows, decided once for all formats
// (markdown_report.h, html_report.h): the expected tables in the article's
// order, one RunView per results document, the deviations numbered in run,
// case and check order, the article's two summary tables as rows of cells,
// and the case-by-case grid's cells as lines. Formats only lay it out.
//
// Building never fails: absent data becomes "—" or no lines (run_view.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/expect/article_tables.h"
#include "suite/expect/claims.h"  // ClaimValueText
#include "suite/expect/expected_table.h"
#include "suite/expect/run_view.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

// A check that deviated; `number` is its place in the report's list (1-based).
struct ReportDeviation {
  int number = 0;
  size_t run = 0;
  std::string case_id, claim;
  nlohmann::json expected, observed;
  std::string source, note;
};

// One row of a summary table: a family's published row or a run's measured
// row. `marks[i]` lists the deviations behind cell i (measured rows only).
struct SummaryRow {
  std::string label;
  bool measured = false;
  size_t run = 0;  // measured rows: which run
  std::vector<std::string> cells;
  std::vector<std::vector<int>> marks;
};

struct SummaryTableModel {
  std::string title;  // "Effect of SO_LINGER set to {on, 0}"
  std::vector<std::string> headings;
  std::vector<SummaryRow> rows;
};

// One line of a grid cell: text, and the deviation it shows (0: none).
struct CellLine {
  std::string text;
  int deviation = 0;
};

// A run's cell for one case: its verdict status ("" when it has none) and
// one line per check.
struct MeasuredCell {
  std::string status;    // "pass", "deviation", ..., "error", "" (no case / no table)
  std::string headline;  // shown when status is "": "—", "(no expected table)"
  std::vector<CellLine> lines;
};

struct ReportModel {
  const Matrix* matrix = nullptr;
  std::vector<const ExpectedTable*> tables;  // article order, then others by name
  std::vector<RunView> runs;
  std::vector<ReportDeviation> deviations;
  std::vector<SummaryTableModel> summary;  // empty when the matrix has no summary_tables
  std::string sources;                     // the expected tables' source documents, "; "-joined
};

// One case of a --repeat run's stability table (RunView::stability).
struct StabilityRow {
  std::string case_id, name;
  int repetitions = 0, completed = 0;
  std::string verdicts;              // "pass 10/10" (recomputed against the run's table)
  std::vector<std::string> same;     // "abort_on_close=true": equal in every completed repetition
  std::vector<std::string> varying;  // VariationLines: "(race)", "(within …)" or "FINDING"
  int findings = 0;
};

// The stability rows of run `run` in the matrix's case order; empty when the
// run has no repetitions.
std::vector<StabilityRow> StabilityRows(const ReportModel& model, size_t run);
// How many of `rows` have findings.
int UnstableCases(const std::vector<StabilityRow>& rows);
// The stability section's explanation, shared by the formats.
extern const char* const kStabilityNote;

// The model points into `tables` (and `matrix`): keep them alive while it is used.
ReportModel BuildReportModel(const Matrix& matrix, const std::vector<ExpectedTable>& tables,
                             const std::vector<nlohmann::json>& results_docs);

// "R1", "R2", ...
std::string RunName(size_t index);
// A family's expectations for a case, one line each ("close_blocks=true (linger)").
std::vector<std::string> ExpectedLines(const std::vector<Expectation>* expectations);
MeasuredCell MeasuredCellOf(const ReportModel& model, size_t run, const std::string& case_id);
// "#03, #33" (or "#03 and #33" with sep " and ").
std::string CaseIdList(const std::vector<std::string>& ids, const std::string& sep = ", ");

}  // namespace lingerlab

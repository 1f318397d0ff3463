// The reports' run-comparison grid: for every case of the matrix and every
// results document, every measured claim, with the cells where runs differ
// from each other marked -- whether or not an expected table says anything
// about the case. The HTML and Markdown reports lay it out
// (html_report.cc, markdown_report.cc); this file only decides.
//
// "Differ" is exactly what `lingerlab diff` reports: the grid calls
// DiffRuns (suite/expect/run_diff.h) on the documents, never a comparison
// of its own, so the report and `diff` cannot disagree. The first run is the
// baseline: run j's cell is marked where `lingerlab diff R1 Rj` reports a
// change, and each row also lists every pair of runs that differ (run_diff
// compares within tolerances and by race class, which is not transitive, so
// R2 and R3 can differ while both match R1).
//
// As `diff` does after re-analysing (suite/cli/analysis.h), a case's verdict
// is its verdict against the run's family: the one the report shows
// (run_view.h), "no-expectation" without a table, "error" for a case that
// did not complete. Claims are the documents' own; `diff` re-classifies
// them first, so the two agree on files written by this version (`check
// --write` brings an older file up to date). Building never fails.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/expect/run_diff.h"
#include "suite/report/report_model.h"

namespace lingerlab {

// One measured claim of a cell.
struct GridClaim {
  std::string claim;
  std::string text;      // "abort_on_close=true", "close_blocked_s: not observed"
  std::string check;     // the verdict's result for it: "pass", "deviation", ..., "" (none)
  int deviation = 0;     // its number in the report's list of deviations (0: none)
  bool changed = false;  // differs from the baseline run (`diff` reports it)
  std::string base;      // the baseline's value as text, when changed ("(absent)")
};

struct GridCell {
  bool present = false;  // the run has this case
  std::string status;    // the verdict ("pass", "deviation", "no-expectation", ...) or "error"
  std::string error;     // why the case did not complete
  std::vector<GridClaim> claims;
  std::vector<ClaimChange> changes;  // against the baseline run (empty for the baseline)
};

// Two runs that differ on a case, and how (DiffCase's changes, `a` as base).
struct RunPairChanges {
  size_t a = 0, b = 0;
  std::vector<ClaimChange> changes;
};

struct GridRow {
  std::string case_id, name;
  std::vector<GridCell> cells;        // one per run
  std::vector<RunPairChanges> pairs;  // every pair of runs that differ, (0,1), (0,2), (1,2), ...
  bool Differs() const { return !pairs.empty(); }
};

struct RunGrid {
  std::vector<GridRow> rows;  // the matrix's cases, in its order
  // Per run j > 0: the ids of the cases where it differs from the baseline,
  // as `lingerlab diff R1 Rj` lists them. [0] is empty.
  std::vector<std::vector<std::string>> changed_vs_base;
};

// `results_docs` are the documents `model` was built from, in its order.
RunGrid BuildRunGrid(const ReportModel& model, const std::vector<nlohmann::json>& results_docs);

// What a row's pairs say, one entry per pair: "R2 vs R1: abort_on_close,
// client_bytes, verdict" (claims by name, each once).
std::vector<std::string> PairSummaries(const GridRow& row);

// A run's environment as a label: "netns · host-kernel · Linux 6.1.0"
// (target, stack, the server's platform; parts that are absent left out).
std::string RunEnvironmentLabel(const nlohmann::json& results_doc);

}  // namespace lingerlab

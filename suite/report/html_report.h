// The HTML report (`lingerlab report RESULTS... --format html -o FILE`): one
// self-contained page — no network, no scripts, no external fonts or
// images — readable on a laptop screen and printable.
//
//   - the article's two summary tables, each published row with the
//     measured rows beneath, deviating cells marked and linked to the list
//     of deviations;
//   - the case grid (run_grid.h): one row per case of the matrix, one column
//     per results file, a cell giving the verdict and every measured claim;
//     cells where runs differ (as `lingerlab diff` says) are marked, with or
//     without an expected table; the run's expected claims open on demand
//     (<details>);
//   - per case, its SVG timeline (timeline_svg.h) in every run, stacked on
//     one time axis, each captioned with its run's environment and linked
//     to its pcap;
//   - the numbered deviations with their sources.
// Printed (@media print) every <details> is open: nothing is hover-only.
// It lays out the same ReportModel as the Markdown report. Rendering cannot
// fail; every text from a results file is escaped.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/expect/expected_table.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

// `pcap_dirs[i]`: the directory of results_docs[i]'s file relative to the
// page, so "pcaps/04__….pcap" becomes a working link ("" = same directory).
std::string RenderHtmlReport(const Matrix& matrix, const std::vector<ExpectedTable>& tables,
                             const std::vector<nlohmann::json>& results_docs,
                             const std::vector<std::string>& pcap_dirs);

}  // namespace lingerlab

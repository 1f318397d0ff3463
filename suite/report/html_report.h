// The HTML report (`lingerlab report RESULTS... --format html -o FILE`): one
// self-contained page — no network, no scripts, no external fonts or
// images — readable on a laptop screen and printable.
//
//   - the article's two summary tables, each published row with the
//     measured rows beneath, deviating cells marked and linked to the list
//     of deviations;
//   - the case grid: one row per case of the matrix, one column per results
//     file, a cell giving the verdict and its checks; the run's expected
//     claims and the case's figure open on demand (<details>);
//   - per run and case, the SVG timeline (timeline_svg.h) with a link to the
//     case's pcap;
//   - the numbered deviations with their sources.
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

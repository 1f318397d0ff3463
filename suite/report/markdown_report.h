// The Markdown report: the article's two summary tables and a case-by-case
// grid of the matrix's cases, rebuilt from the expected files, with one measured row (tables) or
// column (grid) per results document.
//
// A measured cell that deviates from its family's expectation is marked
// "⚠N", N pointing into a closing list of deviations (case, claim, expected,
// observed, source). Rendering cannot fail: absent data shows as "—", a
// results document whose family has no expected table is shown unmarked.
// Output is deterministic (no clock, stable order) so it can be golden-tested.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "suite/expect/expected_table.h"
#include "suite/matrix/matrix.h"

namespace lingerlab {

// Rows of the grid are `matrix`'s cases, in its order; the two summary tables
// appear when the matrix has "summary_tables". `tables` and `results_docs`
// are expected to be validated against `matrix` (LoadExpectedDir,
// CheckResultsDoc).
std::string RenderMarkdownReport(const Matrix& matrix, const std::vector<ExpectedTable>& tables,
                                 const std::vector<nlohmann::json>& results_docs);

}  // namespace lingerlab
